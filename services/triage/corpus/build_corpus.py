"""Builds the labelled triage corpus (train.jsonl, heldout.jsonl) from the hand-written messages below.

``python services/triage/corpus/build_corpus.py`` rewrites both files; it is deterministic (seeded).

Every message was written for this project: inbound emails, SMS and call transcripts a collections team
receives, in English, French, German and Spanish: terse and misspelt SMS, formal letters, angry replies,
messy call transcripts ("Agent:"/"Customer:", "Client :", "Kunde:", "Cliente:"), replies above quoted
history, signatures and disclaimers, a few mixed-language ones. One entry is a *template*; its slots
({inv}, {amount}, {date}, {name}, {company}, {domain}) are filled with different values per rendering.

Category of a message with several intents: what the collector has to act on. A future commitment to pay
is ``promise_to_pay`` (even after a part payment); a payment reported as made is ``payment_sent`` (even
with "please confirm receipt"); contesting the amount, goods or service is ``dispute`` (even when it asks
for a credit note); asking for an invoice document, a copy or a reissue (PO number, entity, VAT id) is
``invoice_request``; any other question about the account, terms or how to pay is ``question``; an
automatic absence reply is ``out_of_office``; "not me / not this company / not my job" is
``wrong_contact``; asking to stop being contacted is ``unsubscribe``; everything else (orders, deliveries,
thanks, meetings, product questions) is ``other``.

Linking: each rendering is placed in front of 1-4 open tasks of the customer; the gold task is the one
whose invoice the message names (quoted history included), else the one of the same category, else the
most recently active one for an out-of-office reply, else none (a new task).

Split: template-disjoint. Every template is either train-only or held-out-only, with all its renderings,
so no held-out message shares its wording with a training message: the held-out part measures text the
classifier has never seen, only slot values (drawn from the same pools) recur. Within each category about
``HELDOUT_SHARE`` of the templates (at least one per language where there are enough) go to held-out,
drawn with a seeded RNG (``SPLIT_SEED``, fixed once, never tuned on results). The draw is made per batch
of templates (``MESSAGES``, then ``MESSAGES_2`` and ``MESSAGES_3``, written later), so adding a batch never
moves an existing template across the split. The build fails unless held-out covers every category,
language and channel, and training every category and language.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261122

# (template id, category, channel, language, subject, body)
MESSAGES: list[tuple[str, str, str, str, str | None, str]] = [
    # ---- promise_to_pay -------------------------------------------------------------------------
    ("ptp-en-1", "promise_to_pay", "email", "en", "Re: Overdue invoice {inv}",
     "Hi,\n\nSorry for the delay on {inv}. Cash flow has been tight this month but we will pay {amount} on "
     "{date}. I'll send the remittance once it's done.\n\nBest regards,\n{name}\n{company}\n\n"
     "On Mon, Nov 16, 2026 at 9:02 AM Accounts <ar@followup.example> wrote:\n> Dear customer, invoice {inv} is "
     "now 15 days overdue.\n> Please arrange payment."),
    ("ptp-en-2", "promise_to_pay", "sms", "en", None,
     "Hi it's {name} from {company}. Can't pay {inv} today, will transfer {amount} by {date}. Thanks for your patience"),
    ("ptp-en-3", "promise_to_pay", "call", "en", None,
     "Agent: Hello, I'm calling about invoice {inv}, it's past due.\nCustomer: Yes, I know, sorry about that. "
     "We're waiting on a payment from our own client.\nAgent: When do you think you can settle it?\n"
     "Customer: I can commit to {amount} on {date}, that's a promise.\nAgent: Great, I'll note that down."),
    ("ptp-en-4", "promise_to_pay", "email", "en", "Payment plan for {inv}",
     "Hello,\n\nWe'd like to settle {inv} in full. Our finance team has scheduled the transfer of {amount} "
     "for {date}. Please hold off on further reminders until then.\n\nKind regards,\n{name}"),
    ("ptp-fr-1", "promise_to_pay", "email", "fr", "Re: Relance facture {inv}",
     "Bonjour,\n\nNous avons bien reçu votre relance concernant la facture {inv}. Nous nous engageons à "
     "régler {amount} le {date}.\n\nCordialement,\n{name}\n\nLe 16 nov. 2026 à 09:02, Comptabilité a écrit :\n"
     "> Madame, Monsieur, sauf erreur de notre part la facture {inv} reste impayée."),
    ("ptp-fr-2", "promise_to_pay", "sms", "fr", None,
     "Bonjour, c'est {name} ({company}). Je vous fais le virement de {amount} pour la facture {inv} d'ici le {date}. Merci"),
    ("ptp-de-1", "promise_to_pay", "email", "de", "AW: Zahlungserinnerung {inv}",
     "Guten Tag,\n\ndie Rechnung {inv} werden wir am {date} begleichen. Der Betrag von {amount} ist bereits "
     "zur Zahlung vorgemerkt.\n\nMit freundlichen Grüßen\n{name}"),
    ("ptp-es-1", "promise_to_pay", "email", "es", "Re: Factura vencida {inv}",
     "Buenos días,\n\nLes confirmo que pagaremos la factura {inv} por un importe de {amount} el {date}. "
     "Disculpen el retraso.\n\nSaludos,\n{name}"),
    ("ptp-en-5", "promise_to_pay", "call", "en", None,
     "Agent: Good afternoon, this is accounts receivable regarding your balance.\nCustomer: Right. Look, "
     "I'll pay {amount} on {date}, you have my word.\nAgent: Is that for {inv}?\nCustomer: Yes, that one."),

    # ---- payment_sent -----------------------------------------------------------------------------
    ("paid-en-1", "payment_sent", "email", "en", "Payment for {inv}",
     "Hello,\n\nWe paid invoice {inv} yesterday by bank transfer ({amount}). The remittance advice is "
     "attached. Please update your records.\n\nThanks,\n{name}\n--\n{company} | Accounts payable"),
    ("paid-en-2", "payment_sent", "sms", "en", None,
     "Hi, payment of {amount} for {inv} was sent this morning. Ref {inv}. Cheers {name}"),
    ("paid-en-3", "payment_sent", "call", "en", None,
     "Agent: I'm calling about the overdue balance on {inv}.\nCustomer: That's already been paid, we sent "
     "the wire on Friday.\nAgent: Do you have the transaction reference?\nCustomer: I'll email it. It was "
     "{amount}, it should have cleared by now."),
    ("paid-en-4", "payment_sent", "email", "en", "Remittance advice",
     "Dear team,\n\nPlease find below our remittance advice: invoice {inv}, amount {amount}, paid by SEPA "
     "transfer on {date}.\n\nRegards,\n{name}"),
    ("paid-fr-1", "payment_sent", "email", "fr", "Virement effectué {inv}",
     "Bonjour,\n\nLe virement de {amount} pour la facture {inv} a été effectué ce matin. Vous trouverez "
     "l'avis de paiement en pièce jointe.\n\nBien à vous,\n{name}"),
    ("paid-fr-2", "payment_sent", "sms", "fr", None,
     "Bonjour, c'est réglé ! Virement de {amount} envoyé hier pour {inv}. Bonne journée, {name}"),
    ("paid-de-1", "payment_sent", "email", "de", "Zahlung {inv} erfolgt",
     "Hallo,\n\nwir haben die Rechnung {inv} heute per Überweisung bezahlt ({amount}). Der Zahlungsbeleg "
     "liegt bei.\n\nViele Grüße\n{name}"),
    ("paid-es-1", "payment_sent", "sms", "es", None,
     "Hola, ya hemos pagado la factura {inv}, transferencia de {amount} realizada hoy. Saludos, {name}"),
    ("paid-en-5", "payment_sent", "email", "en", "Re: Statement of account",
     "Hi,\n\nI've checked your statement: {inv} was settled on {date}, the funds left our account that day. "
     "Could you confirm you received them?\n\nThank you,\n{name}"),

    # ---- dispute ---------------------------------------------------------------------------------
    ("disp-en-1", "dispute", "email", "en", "Invoice {inv} is incorrect",
     "Hello,\n\nWe dispute invoice {inv}. We were charged for 40 hours but only 25 were agreed in the "
     "purchase order. We won't pay until a corrected invoice is issued.\n\nRegards,\n{name}\n{company}"),
    ("disp-en-2", "dispute", "call", "en", None,
     "Agent: Hi, I'm following up on {inv}.\nCustomer: We're not paying that. The goods arrived damaged and "
     "half the order was missing. I've already complained twice.\nAgent: I'm sorry to hear that. I'll open "
     "a dispute.\nCustomer: Please do."),
    ("disp-en-3", "dispute", "sms", "en", None,
     "This invoice {inv} is wrong, we never ordered the extra licences. Not paying it. {name}"),
    ("disp-en-4", "dispute", "email", "en", "Overcharged on {inv}",
     "Hi,\n\nThe price on {inv} doesn't match the quote you sent us: {amount} instead of the agreed rate. "
     "Please send a credit note for the difference before we process anything.\n\n{name}"),
    ("disp-fr-1", "dispute", "email", "fr", "Contestation facture {inv}",
     "Bonjour,\n\nNous contestons la facture {inv} : la prestation n'a pas été réalisée conformément au "
     "devis. Merci de nous envoyer un avoir.\n\nCordialement,\n{name}"),
    ("disp-fr-2", "dispute", "call", "fr", None,
     "Agent : Bonjour, je vous appelle au sujet de la facture {inv}.\nClient : Cette facture est erronée, "
     "le matériel livré était défectueux. Nous refusons de payer tant que ce n'est pas réglé.\n"
     "Agent : Je transmets la réclamation."),
    ("disp-de-1", "dispute", "email", "de", "Reklamation Rechnung {inv}",
     "Sehr geehrte Damen und Herren,\n\nwir widersprechen der Rechnung {inv}. Die Lieferung war "
     "unvollständig und der berechnete Betrag ist falsch. Bitte senden Sie eine Gutschrift.\n\n{name}"),
    ("disp-es-1", "dispute", "email", "es", "Reclamación factura {inv}",
     "Hola,\n\nNo estamos de acuerdo con la factura {inv}: el importe cobrado no corresponde al presupuesto. "
     "Solicitamos una factura rectificativa.\n\nUn saludo,\n{name}"),

    # ---- invoice_request --------------------------------------------------------------------------
    ("invreq-en-1", "invoice_request", "email", "en", "Copy of invoice {inv}",
     "Hi,\n\nCould you send us a copy of invoice {inv}? We can't find it in our system and our AP team "
     "needs the PDF to process payment.\n\nThanks,\n{name}"),
    ("invreq-en-2", "invoice_request", "sms", "en", None,
     "Hi, can you resend invoice {inv} to accounts@{domain}? Never received it. {name}"),
    ("invreq-en-3", "invoice_request", "email", "en", "Invoice needs our PO number",
     "Hello,\n\nOur accounts payable rejected {inv} because it doesn't show our purchase order number. "
     "Please reissue the invoice with PO 4500012345 and send it to ap@{domain}.\n\nBest,\n{name}"),
    ("invreq-en-4", "invoice_request", "call", "en", None,
     "Agent: Hello, calling about an unpaid invoice.\nCustomer: Which one? We never received any invoice "
     "from you.\nAgent: It's {inv}.\nCustomer: Can you email me the invoice and a statement of account? "
     "Then I'll get it approved."),
    ("invreq-fr-1", "invoice_request", "email", "fr", "Duplicata facture {inv}",
     "Bonjour,\n\nPourriez-vous nous renvoyer la facture {inv} ? Nous ne l'avons jamais reçue. Merci "
     "d'indiquer également notre numéro de commande.\n\nCordialement,\n{name}"),
    ("invreq-fr-2", "invoice_request", "sms", "fr", None,
     "Bonjour, pouvez-vous m'envoyer une copie de la facture {inv} par mail svp ? Merci {name}"),
    ("invreq-de-1", "invoice_request", "email", "de", "Rechnungskopie {inv}",
     "Guten Tag,\n\nkönnten Sie uns bitte eine Kopie der Rechnung {inv} zusenden? Wir haben sie nicht "
     "erhalten.\n\nDanke und Gruß\n{name}"),
    ("invreq-es-1", "invoice_request", "email", "es", "Copia de factura",
     "Hola,\n\n¿Podrían enviarnos una copia de la factura {inv}? No la encontramos.\n\nGracias,\n{name}"),

    # ---- question ---------------------------------------------------------------------------------
    ("q-en-1", "question", "email", "en", "Question about our account",
     "Hello,\n\nCould you tell me what the current balance on our account is, and which invoices are still "
     "open? Also, do you accept payment by credit card?\n\nThanks,\n{name}"),
    ("q-en-2", "question", "sms", "en", None,
     "Hi, what are your bank details for payment? Is it the same IBAN as last year? {name}"),
    ("q-en-3", "question", "call", "en", None,
     "Agent: Hello, accounts receivable.\nCustomer: Hi, I have a quick question. Can we pay {inv} in two "
     "instalments, and would there be a fee for that?\nAgent: Let me check and get back to you."),
    ("q-en-4", "question", "email", "en", "Due date of {inv}?",
     "Hi there,\n\nWhen exactly is {inv} due, and what are your payment terms - 30 or 60 days? I want to "
     "make sure we schedule it correctly.\n\nRegards,\n{name}"),
    ("q-fr-1", "question", "email", "fr", "Question sur notre compte",
     "Bonjour,\n\nPourriez-vous m'indiquer le solde de notre compte client et les modalités de paiement "
     "possibles ? Acceptez-vous le prélèvement ?\n\nMerci,\n{name}"),
    ("q-fr-2", "question", "sms", "fr", None,
     "Bonjour, quel est votre RIB pour le paiement de la facture {inv} ? Merci"),
    ("q-de-1", "question", "email", "de", "Frage zu Zahlungsbedingungen",
     "Hallo,\n\nwelche Zahlungsbedingungen gelten für unsere Rechnungen, und ist eine Zahlung per "
     "Lastschrift möglich?\n\nGruß\n{name}"),
    ("q-es-1", "question", "sms", "es", None,
     "Hola, ¿cuál es el número de cuenta para pagar la factura {inv}? Gracias"),

    # ---- out_of_office ----------------------------------------------------------------------------
    ("ooo-en-1", "out_of_office", "email", "en", "Automatic reply: Overdue invoice {inv}",
     "Thank you for your email. I am currently out of the office with limited access to email and will "
     "return on {date}. For urgent matters please contact finance@{domain}.\n\n{name}"),
    ("ooo-en-2", "out_of_office", "email", "en", "Out of Office",
     "I'm on annual leave until {date} and will respond to your message when I'm back. This is an "
     "automated response."),
    ("ooo-en-3", "out_of_office", "email", "en", "Auto-reply: Payment reminder",
     "Hello, I am away from the office on parental leave. Your message will not be forwarded. Please "
     "write to accounts@{domain} instead. Best, {name}"),
    ("ooo-fr-1", "out_of_office", "email", "fr", "Réponse automatique : Relance {inv}",
     "Bonjour,\n\nJe suis absent(e) du bureau jusqu'au {date} inclus. Pour toute urgence, merci de contacter "
     "compta@{domain}.\n\nCordialement,\n{name}"),
    ("ooo-fr-2", "out_of_office", "email", "fr", "Absence",
     "Message automatique : je suis actuellement en congés et n'ai pas accès à ma messagerie. Je vous "
     "répondrai à mon retour le {date}."),
    ("ooo-de-1", "out_of_office", "email", "de", "Abwesenheitsnotiz",
     "Vielen Dank für Ihre Nachricht. Ich bin bis zum {date} nicht im Büro und habe keinen Zugriff auf meine "
     "E-Mails. In dringenden Fällen wenden Sie sich bitte an buchhaltung@{domain}."),
    ("ooo-es-1", "out_of_office", "email", "es", "Respuesta automática",
     "Gracias por su mensaje. Estoy fuera de la oficina hasta el {date} con acceso limitado al correo. "
     "Para asuntos urgentes escriba a contabilidad@{domain}."),
    ("ooo-en-4", "out_of_office", "sms", "en", None,
     "Auto-reply: I'm travelling and unavailable until {date}. I'll get back to you then."),

    # ---- wrong_contact ----------------------------------------------------------------------------
    ("wrong-en-1", "wrong_contact", "email", "en", "Re: Overdue invoice {inv}",
     "Hi,\n\nI think you have the wrong person. I left {company} in March and no longer deal with their "
     "invoices. Please remove me from this thread and contact their finance department.\n\n{name}"),
    ("wrong-en-2", "wrong_contact", "sms", "en", None,
     "Wrong number. I don't know any {company}, please stop texting me."),
    ("wrong-en-3", "wrong_contact", "call", "en", None,
     "Agent: Hello, may I speak to someone in accounts payable at {company}?\nCustomer: You've got the "
     "wrong number, this is a private line. I've never heard of that company.\nAgent: Apologies for the "
     "trouble."),
    ("wrong-en-4", "wrong_contact", "email", "en", "Not the right contact",
     "Hello,\n\nI'm not responsible for payments. Please send invoices to our accounts payable team at "
     "ap@{domain}, I can't help with this.\n\nThanks,\n{name}"),
    ("wrong-fr-1", "wrong_contact", "email", "fr", "Erreur de destinataire",
     "Bonjour,\n\nJe ne travaille plus chez {company} depuis plusieurs mois, ce message ne m'est pas "
     "destiné. Merci de mettre à jour vos contacts.\n\n{name}"),
    ("wrong-fr-2", "wrong_contact", "sms", "fr", None,
     "Vous vous trompez de numéro, je ne connais pas cette société. Merci de ne plus m'écrire."),
    ("wrong-de-1", "wrong_contact", "email", "de", "Falscher Ansprechpartner",
     "Hallo,\n\nich bin nicht mehr bei {company} tätig und nicht zuständig. Bitte wenden Sie sich an die "
     "Buchhaltung.\n\n{name}"),
    ("wrong-es-1", "wrong_contact", "sms", "es", None,
     "Número equivocado, no conozco a esa empresa. Por favor no me escriban más."),

    # ---- unsubscribe ------------------------------------------------------------------------------
    ("unsub-en-1", "unsubscribe", "email", "en", "Unsubscribe",
     "Please unsubscribe me from these emails. I do not want to receive any more reminders or newsletters "
     "from you.\n\n{name}"),
    ("unsub-en-2", "unsubscribe", "sms", "en", None, "STOP"),
    ("unsub-en-3", "unsubscribe", "sms", "en", None, "Stop texting me. Unsubscribe. Remove this number from your list."),
    ("unsub-en-4", "unsubscribe", "email", "en", "Remove me from your mailing list",
     "Hi,\n\nKindly take my address off your mailing list, I keep receiving automated messages. Opt me "
     "out of all communications please.\n\n{name}"),
    ("unsub-fr-1", "unsubscribe", "email", "fr", "Désinscription",
     "Bonjour,\n\nMerci de me désinscrire de votre liste de diffusion, je ne souhaite plus recevoir vos "
     "messages.\n\n{name}"),
    ("unsub-fr-2", "unsubscribe", "sms", "fr", None, "STOP SMS. Ne plus m'envoyer de messages svp"),
    ("unsub-de-1", "unsubscribe", "email", "de", "Abmelden",
     "Bitte tragen Sie mich aus Ihrem Verteiler aus. Ich möchte keine weiteren E-Mails erhalten.\n\n{name}"),
    ("unsub-es-1", "unsubscribe", "sms", "es", None, "BAJA. No quiero recibir más mensajes, darme de baja por favor"),

    # ---- other ------------------------------------------------------------------------------------
    ("other-en-1", "other", "email", "en", "New delivery address",
     "Hello,\n\nPlease note that our warehouse has moved. From next month deliveries should go to 12 Harbour "
     "Road, Unit 4. Everything else stays the same.\n\nBest,\n{name}"),
    ("other-en-2", "other", "email", "en", "Thank you",
     "Hi,\n\nJust wanted to say thanks for the quick help from your support team last week, the installation "
     "went smoothly.\n\nCheers,\n{name}"),
    ("other-en-3", "other", "call", "en", None,
     "Agent: Hello, how can I help?\nCustomer: Hi, I'd like to order another batch of the same cartridges "
     "as last time, and check whether you have the blue ones in stock.\nAgent: I'll put you through to sales."),
    ("other-en-4", "other", "sms", "en", None,
     "Hi, the technician can come on {date} morning? Let me know. {name}"),
    ("other-fr-1", "other", "email", "fr", "Changement d'interlocuteur",
     "Bonjour,\n\nJe vous informe que notre nouvelle directrice des achats est Mme Laurent. Elle sera votre "
     "interlocutrice pour les prochaines commandes.\n\nCordialement,\n{name}"),
    ("other-fr-2", "other", "sms", "fr", None, "Merci pour la livraison rapide, tout est arrivé en bon état !"),
    ("other-de-1", "other", "email", "de", "Neue Bestellung",
     "Hallo,\n\nwir möchten gerne weitere 20 Paletten bestellen. Können Sie uns ein Angebot schicken?\n\n{name}"),
    ("other-es-1", "other", "email", "es", "Nueva dirección",
     "Hola,\n\nLes informamos de que hemos cambiado de oficina. La nueva dirección es Calle Mayor 10, "
     "Madrid.\n\nSaludos,\n{name}"),
    # ---- more phrasings (train) ----------------------------------------------------------------------
    ("ptp-en-6", "promise_to_pay", "email", "en", "Re: Account overdue",
     "Hello,\n\nApologies, we missed the payment run. {inv} will go out with our next run on {date}, "
     "{amount} in full. You can count on it.\n\nThanks,\n{name}"),
    ("ptp-en-7", "promise_to_pay", "sms", "en", None,
     "Sorry for the wait. I get paid on {date} and will clear the {amount} then. {name}"),
    ("paid-en-6", "payment_sent", "email", "en", "Already paid",
     "Hi,\n\nOur records show {inv} was paid in full on {date}. The transfer reference is TRX-88213. "
     "Please check your bank account and stop the reminders.\n\n{name}"),
    ("paid-en-7", "payment_sent", "call", "en", None,
     "Agent: Calling about the open balance.\nCustomer: We settled that last week, the money left our account "
     "on Tuesday. You should see {amount} on your side.\nAgent: Thanks, I'll check with our bank."),
    ("disp-en-5", "dispute", "email", "en", "Wrong amount billed",
     "Hello,\n\nWe were billed twice for the same delivery on {inv}. The amount is wrong and we disagree "
     "with the late fee you added. Please correct it.\n\n{name}"),
    ("disp-en-6", "dispute", "sms", "en", None,
     "The rate on {inv} is not what we agreed. Please fix the price before we pay anything. {name}"),
    ("invreq-en-5", "invoice_request", "email", "en", "Missing invoice",
     "Hi,\n\nWe have no record of {inv}. Could you forward the invoice, together with the delivery note, "
     "to our finance mailbox?\n\nThanks,\n{name}"),
    ("q-en-5", "question", "email", "en", "Payment terms",
     "Hello,\n\nQuick question: what payment terms apply to our contract, and can we get an early-payment "
     "discount? Also, is a partial payment possible?\n\nBest,\n{name}"),
    ("q-en-6", "question", "sms", "en", None, "Hi, how much do we owe you in total right now? And by when? {name}"),
    ("ooo-en-5", "out_of_office", "email", "en", "Automatic reply",
     "This mailbox is not monitored while I'm away. I will be back in the office on {date}. Thank you for "
     "your patience."),
    ("wrong-en-5", "wrong_contact", "email", "en", "You have the wrong address",
     "Hello,\n\nThis isn't my department and I don't handle billing. Please direct this to the finance "
     "team, not to me.\n\n{name}"),
    ("wrong-en-6", "wrong_contact", "call", "en", None,
     "Agent: Hello, is this the accounts department of {company}?\nCustomer: No, I only work in the "
     "warehouse, I have nothing to do with payments. You need to call head office.\nAgent: Sorry, thanks."),
    ("unsub-en-5", "unsubscribe", "email", "en", "Stop sending these",
     "Hi,\n\nPlease stop sending me marketing and reminder emails. Remove my address from all your "
     "lists.\n\n{name}"),
    ("other-en-5", "other", "email", "en", "Meeting next week",
     "Hi,\n\nCould we set up a meeting on {date} to discuss next year's contract and new products? "
     "Morning works best for us.\n\nRegards,\n{name}"),
    ("other-en-6", "other", "sms", "en", None, "Hi, can your driver deliver on {date} afternoon instead? Thanks {name}"),
    ("other-fr-3", "other", "email", "fr", "Rendez-vous",
     "Bonjour,\n\nSerait-il possible de fixer un rendez-vous le {date} pour parler de la nouvelle gamme ?\n\n{name}"),
    # =============================================================================================
    # Second batch: more languages per category, calls in every language, formal letters, angry
    # customers, terse/typo SMS, quoted reply history, signatures, mixed languages.
    # =============================================================================================

    # ---- promise_to_pay -------------------------------------------------------------------------
    ("ptp-en-8", "promise_to_pay", "email", "en", "Your letter of 12 November - account {inv}",
     "Dear Sir or Madam,\n\nThank you for your letter regarding the outstanding balance on invoice {inv}. We "
     "regret the delay, which was caused by a change of bank. We confirm that the amount of {amount} will be "
     "remitted in full no later than {date}.\n\nYours faithfully,\n\n{name}\nFinancial Controller\n{company}\n"
     "Tel. +44 20 7946 0321"),
    ("ptp-en-9", "promise_to_pay", "sms", "en", None, "will pay {inv} on {date} sry for the delay"),
    ("ptp-en-10", "promise_to_pay", "call", "en", None,
     "Agent: Hi, is that {name}?\nCustomer: Speaking.\nAgent: It's about invoice {inv}, it's now two weeks "
     "overdue.\nCustomer: Uh, yeah, yeah. Look, the boss signs the payments on Fridays, so... {date}, okay? "
     "You'll have it {date}.\nAgent: For the full {amount}?\nCustomer: Full amount, yes.\nAgent: Thanks, I've "
     "noted that."),
    ("ptp-en-11", "promise_to_pay", "email", "en", "Re: FINAL NOTICE {inv}",
     "Honestly there is no need for 'final notices' after one missed payment, we have been your customer for "
     "eight years. The {amount} will be with you by {date}, as I already told your colleague on the "
     "phone.\n\n{name}"),
    ("ptp-en-12", "promise_to_pay", "email", "en", "Settling {inv}",
     "Hi,\n\nWe can't clear all of {inv} in one go this month. What we'll do: the first {amount} goes out on "
     "{date} and the remainder at the end of next month. Hope that works for you.\n\nCheers,\n{name}"),
    ("ptp-fr-3", "promise_to_pay", "call", "fr", None,
     "Agent : Bonjour, je vous appelle pour la facture {inv} qui est échue.\nClient : Oui oui, je sais. Euh, "
     "on a eu un souci de trésorerie. Je peux vous faire le virement le {date}.\nAgent : Pour la totalité, "
     "{amount} ?\nClient : Oui, la totalité. Vous l'aurez le {date}, promis."),
    ("ptp-fr-4", "promise_to_pay", "email", "fr", "Votre courrier du 10 novembre",
     "Madame, Monsieur,\n\nSuite à votre courrier de relance, nous vous confirmons que le règlement de la "
     "facture {inv} d'un montant de {amount} interviendra au plus tard le {date}.\n\nNous vous prions "
     "d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.\n\n{name}\nService "
     "comptabilité\n{company}"),
    ("ptp-fr-5", "promise_to_pay", "sms", "fr", None,
     "slt desolé pr le retard, je paye les {amount} le {date} sans faute. {name}"),
    ("ptp-de-2", "promise_to_pay", "sms", "de", None,
     "Hallo, hier {name}. Zahle die {amount} für {inv} bis {date}, versprochen. Sorry für die Verspätung!"),
    ("ptp-de-3", "promise_to_pay", "call", "de", None,
     "Agent: Guten Tag, ich rufe wegen der offenen Rechnung {inv} an.\nKunde: Ja, äh, die liegt hier bei "
     "mir. Wir überweisen das am {date}.\nAgent: Den vollen Betrag von {amount}?\nKunde: Ja, komplett. Sie "
     "können sich darauf verlassen."),
    ("ptp-de-4", "promise_to_pay", "email", "de", "AW: Zahlungserinnerung",
     "Hallo,\n\nentschuldigen Sie die Verzögerung. Wir haben die Zahlung für den {date} eingeplant, Sie "
     "erhalten dann den vollständigen Betrag.\n\nBeste Grüße\n{name}\n\nAm 16.11.2026 um 09:02 schrieb "
     "Buchhaltung <ar@followup.example>:\n> Sehr geehrte Damen und Herren,\n> die Rechnung {inv} ist seit "
     "14 Tagen fällig."),
    ("ptp-de-5", "promise_to_pay", "email", "de", "Ratenzahlung Rechnung {inv}",
     "Sehr geehrte Frau Wagner,\n\nwie telefonisch besprochen begleichen wir die Rechnung {inv} in zwei "
     "Raten. Die erste Rate über {amount} überweisen wir am {date}, die zweite Ende Januar.\n\nMit "
     "freundlichen Grüßen\n\n{name}\n{company}"),
    ("ptp-es-2", "promise_to_pay", "sms", "es", None,
     "Hola soy {name}, pago los {amount} de la factura {inv} el {date} sin falta. Perdón por el retraso"),
    ("ptp-es-3", "promise_to_pay", "call", "es", None,
     "Agente: Buenos días, le llamo por la factura {inv}, que está vencida.\nCliente: Sí, ya lo sé, eh... "
     "hemos tenido problemas de liquidez. Le hago la transferencia el {date}.\nAgente: ¿Por el importe total "
     "de {amount}?\nCliente: Sí, todo. Se lo prometo."),
    ("ptp-es-4", "promise_to_pay", "email", "es", "Re: Recordatorio de pago",
     "Estimados señores:\n\nEn respuesta a su recordatorio, les confirmamos que el pago de la factura {inv} "
     "se realizará el {date}. Ya hemos dado la orden a nuestro banco con esa fecha.\n\nAtentamente,\n{name}\n"
     "Departamento de Administración\n{company}"),
    ("ptp-es-5", "promise_to_pay", "email", "es", "Re: Overdue invoice {inv}",
     "Hola,\n\nsorry, my English is not very good. Vamos a pagar {amount} el {date}, esto está confirmado "
     "por nuestro director.\n\nUn saludo,\n{name}"),

    # ---- payment_sent -----------------------------------------------------------------------------
    ("paid-en-8", "payment_sent", "sms", "en", None, "paid {inv} today. {amount}. pls check"),
    ("paid-en-9", "payment_sent", "email", "en", "Re: Second reminder {inv}",
     "This is the third time I'm writing. {inv} WAS PAID on {date}. I have the bank confirmation in front of "
     "me. Check your own accounts before sending threatening letters.\n\n{name}"),
    ("paid-en-10", "payment_sent", "email", "en", "RE: Payment reminder",
     "Hi,\n\nThis went out on {date}, see the attached proof of payment. Let me know if it hasn't reached "
     "you.\n\nKind regards\n{name}\nAccounts Payable Clerk | {company}\nThis email and any attachments are "
     "confidential.\n\n-----Original Message-----\nFrom: Accounts Receivable\nSent: 16 November 2026 09:02\n"
     "Subject: Payment reminder\n\nDear customer, our records show invoice {inv} as unpaid."),
    ("paid-en-11", "payment_sent", "call", "en", None,
     "Agent: Morning, I'm calling from accounts about {inv}.\nCustomer: Hang on... let me pull it up. Yeah, "
     "no, we paid that. The cheque went in the post on {date}.\nAgent: A cheque? For {amount}?\nCustomer: "
     "Yep. Should've arrived by now, to be honest."),
    ("paid-fr-3", "payment_sent", "call", "fr", None,
     "Agent : Bonjour, c'est au sujet de la facture {inv}.\nClient : Ah mais elle est payée ! Le virement est "
     "parti le {date}, j'ai l'avis de débit sous les yeux.\nAgent : D'accord, pour {amount} ?\nClient : Oui "
     "c'est ça. Regardez de votre côté."),
    ("paid-fr-4", "payment_sent", "email", "fr", "RE: Relance",
     "Bonjour,\n\nCe règlement a déjà été effectué le {date} par virement, je vous joins la preuve de "
     "paiement.\n\nCdt,\n{name}\n\nDe : Service recouvrement\nEnvoyé : lundi 16 novembre 2026 09:02\nObjet : "
     "Relance\n\nMadame, Monsieur, la facture {inv} reste impayée à ce jour."),
    ("paid-fr-5", "payment_sent", "sms", "fr", None, "C fait, chèque de {amount} posté ce matin pour la {inv}. {name}"),
    ("paid-de-2", "payment_sent", "sms", "de", None,
     "Hallo, {inv} ist bezahlt, die Überweisung ging gestern raus. Gruß {name}"),
    ("paid-de-3", "payment_sent", "call", "de", None,
     "Agent: Guten Morgen, es geht um die Rechnung {inv}.\nKunde: Die haben wir doch schon bezahlt! Am {date} "
     "überwiesen, {amount}.\nAgent: Haben Sie eine Referenz?\nKunde: Ich schicke Ihnen den Kontoauszug per "
     "Mail."),
    ("paid-de-4", "payment_sent", "email", "de", "Zahlungseingang prüfen - {inv}",
     "Sehr geehrte Damen und Herren,\n\nIhre Mahnung ist uns unverständlich. Der Betrag von {amount} wurde am "
     "{date} vollständig beglichen. Bitte prüfen Sie Ihren Zahlungseingang und stellen Sie das "
     "Mahnverfahren ein.\n\nMit freundlichen Grüßen\n{name}\n{company}"),
    ("paid-de-5", "payment_sent", "email", "de", "Zahlungsavis",
     "Guten Tag,\n\nanbei unser Zahlungsavis: Rechnung {inv}, Betrag {amount}, Valuta {date}.\n\nFreundliche "
     "Grüße\n{name}"),
    ("paid-es-2", "payment_sent", "email", "es", "Justificante de pago {inv}",
     "Buenas tardes,\n\nAdjunto el justificante de la transferencia de {amount} correspondiente a la factura "
     "{inv}, realizada el {date}.\n\nUn saludo,\n{name}\n{company}"),
    ("paid-es-3", "payment_sent", "call", "es", None,
     "Agente: Hola, le llamo por el saldo pendiente de la factura {inv}.\nCliente: ¿Pendiente? No, no, eso ya "
     "está pagado. Hicimos la transferencia el {date}.\nAgente: ¿Tiene la referencia?\nCliente: Sí, se la "
     "mando por correo ahora mismo."),
    ("paid-es-4", "payment_sent", "email", "es", "Re: Segundo aviso",
     "Buenos días,\n\nYa les dije la semana pasada que la factura {inv} está PAGADA. El dinero salió de "
     "nuestra cuenta el {date}. Por favor revisen sus cuentas y dejen de enviarnos avisos.\n\n{name}"),
    ("paid-es-5", "payment_sent", "sms", "es", None,
     "Buenas, ya está abonado lo de {inv}, {amount} por transferencia esta mañana. {name}"),

    # ---- dispute ---------------------------------------------------------------------------------
    ("disp-en-7", "dispute", "call", "en", None,
     "Agent: Hi, calling about {inv}, which is now overdue.\nCustomer: Yeah, no. I'm not paying that one. "
     "Your guys were supposed to come out and fix the unit and they never turned up.\nAgent: I see. So the "
     "service wasn't delivered?\nCustomer: Not delivered, not fixed, nothing. And you're charging me {amount} "
     "for it. Unbelievable.\nAgent: I'll raise it with the service team."),
    ("disp-en-8", "dispute", "email", "en", "Formal complaint regarding invoice {inv}",
     "Dear Sirs,\n\nWe write to formally contest invoice {inv}. The consultancy days listed were not "
     "authorised by our project lead and no timesheets were provided. Until this matter is resolved we will "
     "be withholding payment of the disputed amount.\n\nYours faithfully,\n{name}\nHead of Procurement, "
     "{company}"),
    ("disp-en-9", "dispute", "sms", "en", None,
     "ur invoice {inv} is a joke, we cancelled that contract in june. not paying"),
    ("disp-en-10", "dispute", "email", "en", "Re: Overdue invoice {inv}",
     "As I explained to your colleague, the second delivery was returned to you on the 3rd because it was "
     "the wrong model. The invoice should be cancelled, not chased.\n\n{name}\n\nOn Mon, Nov 16, 2026 at "
     "9:02 AM Accounts <ar@followup.example> wrote:\n> Dear customer, invoice {inv} is now 15 days overdue."),
    ("disp-fr-3", "dispute", "sms", "fr", None,
     "Bonjour, la facture {inv} ne correspond pas à ce qu'on a commandé. On ne paiera pas en l'état. {name}"),
    ("disp-fr-4", "dispute", "email", "fr", "Re: Mise en demeure {inv}",
     "Monsieur,\n\nJe conteste formellement cette facture. Le chantier a été abandonné à mi-parcours et nous "
     "avons dû faire appel à une autre entreprise pour le terminer. Il est hors de question de régler "
     "{amount}.\n\n{name}"),
    ("disp-fr-5", "dispute", "email", "fr", "Erreur sur la facture {inv}",
     "Bonjour,\n\nLa facture {inv} comporte une erreur : la remise de 10 % prévue au contrat n'a pas été "
     "appliquée. Merci de nous faire parvenir une facture corrigée ou un avoir.\n\nBien cordialement,\n{name}"),
    ("disp-de-2", "dispute", "call", "de", None,
     "Agent: Hallo, ich rufe wegen der Rechnung {inv} an.\nKunde: Ach, die. Die Ware war beschädigt, das habe "
     "ich Ihrem Kollegen schon zweimal gesagt. Die zahlen wir nicht.\nAgent: Haben Sie die Reklamation "
     "schriftlich gemeldet?\nKunde: Ja, mit Fotos. Ich erwarte eine Gutschrift."),
    ("disp-de-3", "dispute", "sms", "de", None,
     "Die Rechnung {inv} ist falsch, wir haben nur 10 Stück bestellt, nicht 20. Bitte korrigieren. {name}"),
    ("disp-de-4", "dispute", "email", "de", "Widerspruch gegen Ihre Mahnung",
     "Sehr geehrte Damen und Herren,\n\nhiermit widersprechen wir Ihrer Mahnung zur Rechnung {inv}. Die "
     "Leistung wurde nicht vertragsgemäß erbracht; die Mängel haben wir Ihnen am 2. November schriftlich "
     "angezeigt. Bis zur Klärung behalten wir den Betrag ein.\n\nMit freundlichen Grüßen\n{name}\nEinkauf, "
     "{company}"),
    ("disp-de-5", "dispute", "email", "de", "Preis falsch",
     "Hallo,\n\nauf {inv} steht ein höherer Stundensatz als im Angebot vereinbart. So können wir die Rechnung "
     "nicht freigeben.\n\nGruß\n{name}"),
    ("disp-es-2", "dispute", "call", "es", None,
     "Agente: Buenas tardes, le llamo por la factura {inv}.\nCliente: Mire, esa factura no la vamos a pagar. "
     "El material llegó roto y nadie nos ha contestado la reclamación.\nAgente: Lo siento mucho. Voy a abrir "
     "una incidencia.\nCliente: Eso espero."),
    ("disp-es-3", "dispute", "sms", "es", None,
     "La factura {inv} está mal, nos cobran un servicio que no hemos contratado. No vamos a pagar. {name}"),
    ("disp-es-4", "dispute", "email", "es", "Re: Aviso de impago {inv}",
     "Buenos días:\n\nEs increíble que nos reclamen {amount} por un pedido que devolvimos hace un mes. Tienen "
     "el albarán de devolución firmado. Anulen la factura inmediatamente.\n\n{name}"),
    ("disp-es-5", "dispute", "email", "es", "Discrepancia en factura {inv}",
     "Hola,\n\nHemos revisado la factura {inv} y las horas facturadas no coinciden con el parte de trabajo. "
     "Les rogamos que la revisen y nos envíen un abono por la diferencia.\n\nGracias,\n{name}"),

    # ---- invoice_request --------------------------------------------------------------------------
    ("invreq-en-6", "invoice_request", "sms", "en", None,
     "hi can u email me the invoice for {inv}? cant find it anywhere. thx"),
    ("invreq-en-7", "invoice_request", "email", "en", "Request for invoice copies",
     "Dear Accounts Team,\n\nAs part of our year-end audit, could you please provide copies of all invoices "
     "issued to {company} this year, including {inv}, together with a statement of account?\n\nMany "
     "thanks,\n{name}\nAudit & Compliance\n{company}"),
    ("invreq-en-8", "invoice_request", "call", "en", None,
     "Agent: Hi, I'm calling about the balance on your account.\nCustomer: Er, which invoice is that?\n"
     "Agent: {inv}, for {amount}.\nCustomer: I don't think we ever got that. Our portal only accepts invoices "
     "uploaded by the supplier. Could you upload it there, or email a PDF to ap@{domain}?\nAgent: Sure, I'll "
     "send it today."),
    ("invreq-en-9", "invoice_request", "email", "en", "Invoice addressed to the wrong entity",
     "Hello,\n\nInvoice {inv} was issued to our old company name. Could you reissue it to {company} with our "
     "new VAT number? Our AP system won't accept it otherwise.\n\nThanks,\n{name}"),
    ("invreq-fr-3", "invoice_request", "call", "fr", None,
     "Agent : Bonjour, je vous appelle concernant la facture {inv}.\nClient : Euh, je ne l'ai pas, cette "
     "facture. Vous pouvez me l'envoyer par mail ?\nAgent : Bien sûr, à quelle adresse ?\nClient : "
     "compta@{domain}. Et mettez notre numéro de bon de commande dessus, sinon elle sera rejetée."),
    ("invreq-fr-4", "invoice_request", "email", "fr", "Facture introuvable",
     "Bonjour,\n\nImpossible de retrouver la facture {inv} dans notre logiciel. Pourriez-vous nous en "
     "adresser un duplicata ainsi qu'un relevé de compte ?\n\nMerci d'avance,\n{name}\n{company}"),
    ("invreq-fr-5", "invoice_request", "email", "fr", "Facture au nom de la mauvaise société",
     "Bonjour,\n\nLa facture {inv} a été établie au nom de notre ancienne filiale. Pouvez-vous la refaire au "
     "nom de {company} avec la bonne adresse de facturation ?\n\nBien à vous,\n{name}"),
    ("invreq-de-2", "invoice_request", "sms", "de", None,
     "Hallo, könnt ihr mir die Rechnung {inv} nochmal als PDF schicken? Danke, {name}"),
    ("invreq-de-3", "invoice_request", "call", "de", None,
     "Agent: Guten Tag, es geht um die offene Rechnung {inv}.\nKunde: Die ist bei uns nie angekommen. Können "
     "Sie die bitte an rechnungen@{domain} schicken?\nAgent: Mache ich.\nKunde: Danke, dann geben wir sie "
     "gleich frei."),
    ("invreq-de-4", "invoice_request", "email", "de", "Fehlende Bestellnummer auf {inv}",
     "Sehr geehrte Damen und Herren,\n\nauf Ihrer Rechnung {inv} fehlt unsere Bestellnummer. Bitte stellen "
     "Sie die Rechnung mit der Bestellnummer 4711-22 neu aus und senden Sie sie an "
     "eingangsrechnungen@{domain}.\n\nMit freundlichen Grüßen\n{name}\nKreditorenbuchhaltung"),
    ("invreq-de-5", "invoice_request", "email", "de", "Kontoauszug und Rechnungskopien",
     "Hallo,\n\nkönnten Sie uns einen aktuellen Kontoauszug sowie Kopien aller offenen Rechnungen schicken? "
     "Wir gleichen gerade unsere Kreditoren ab.\n\nViele Grüße\n{name}"),
    ("invreq-es-2", "invoice_request", "sms", "es", None,
     "Hola, me pueden reenviar la factura {inv}? no me ha llegado. Gracias {name}"),
    ("invreq-es-3", "invoice_request", "call", "es", None,
     "Agente: Buenos días, llamo por la factura {inv}, que sigue pendiente.\nCliente: ¿Qué factura? A "
     "nosotros no nos ha llegado nada.\nAgente: Es la {inv}, de {amount}.\nCliente: Pues mándenmela por correo "
     "a administracion@{domain} y la tramito."),
    ("invreq-es-4", "invoice_request", "email", "es", "Solicitud de duplicado",
     "Buenas tardes,\n\nLes agradecería que nos remitieran un duplicado de la factura {inv}, ya que el "
     "original se ha extraviado. Indiquen por favor nuestro número de pedido.\n\nAtentamente,\n{name}\n"
     "{company}"),
    ("invreq-es-5", "invoice_request", "email", "es", "Factura con datos fiscales incorrectos",
     "Hola,\n\nLa factura {inv} tiene mal nuestro CIF. ¿Podrían emitirla de nuevo con los datos correctos de "
     "{company}? Sin eso no la podemos contabilizar.\n\nSaludos,\n{name}"),

    # ---- question ---------------------------------------------------------------------------------
    ("q-en-7", "question", "call", "en", None,
     "Agent: Accounts receivable, how can I help?\nCustomer: Hi, yeah, um, quick one. If we pay by card is "
     "there a surcharge? And can I pay {inv} over the phone?\nAgent: Let me find out for you.\nCustomer: "
     "Cheers."),
    ("q-en-8", "question", "email", "en", "Late fee on statement?",
     "Hello,\n\nOur latest statement shows a late payment fee that I don't understand. Could you explain how "
     "it is calculated and whether it applies to {inv} as well?\n\nThanks,\n{name}"),
    ("q-en-9", "question", "sms", "en", None,
     "Hi, do u take direct debit? and whats the reference I should use for {inv}? {name}"),
    ("q-fr-3", "question", "call", "fr", None,
     "Agent : Service comptabilité, bonjour.\nClient : Bonjour, j'aurais une question. Est-ce qu'on peut "
     "payer par chèque, ou seulement par virement ?\nAgent : Les deux sont possibles.\nClient : Et pour la "
     "facture {inv}, quelle est la date d'échéance exactement ?"),
    ("q-fr-4", "question", "email", "fr", "Échéancier possible ?",
     "Bonjour,\n\nSerait-il possible d'étaler le paiement de la facture {inv} sur trois mois ? Si oui, y "
     "a-t-il des frais ?\n\nCordialement,\n{name}"),
    ("q-fr-5", "question", "sms", "fr", None, "Bonjour, combien reste-t-il à payer sur notre compte svp ? {name}"),
    ("q-de-2", "question", "sms", "de", None, "Hallo, wie lautet eure IBAN? Hat sich die Bankverbindung geändert? {name}"),
    ("q-de-3", "question", "call", "de", None,
     "Agent: Buchhaltung, guten Tag.\nKunde: Ja, guten Tag, kurze Frage: Bis wann ist die Rechnung {inv} "
     "eigentlich fällig? Und gibt es Skonto, wenn wir früher zahlen?\nAgent: Ich schaue nach und melde mich."),
    ("q-de-4", "question", "email", "de", "Offener Saldo?",
     "Guten Tag,\n\nkönnen Sie mir sagen, wie hoch unser offener Saldo aktuell ist und welche Rechnungen "
     "darin enthalten sind?\n\nVielen Dank\n{name}"),
    ("q-de-5", "question", "email", "de", "Teilzahlung möglich?",
     "Hallo,\n\nist es möglich, die Rechnung {inv} in Raten zu bezahlen? Welche Konditionen gelten dann?\n\n"
     "Beste Grüße\n{name}\n{company}"),
    ("q-es-2", "question", "email", "es", "Consulta sobre forma de pago",
     "Hola,\n\n¿Aceptan pago con tarjeta o solo transferencia? ¿Y cuál es el plazo de pago de la factura "
     "{inv}?\n\nGracias,\n{name}"),
    ("q-es-3", "question", "call", "es", None,
     "Agente: Contabilidad, dígame.\nCliente: Hola, una pregunta: ¿cuánto debemos en total ahora mismo? Es "
     "que tengo varias facturas y me he perdido.\nAgente: Se lo miro ahora.\nCliente: Y ¿se puede pagar en "
     "dos plazos?"),
    ("q-es-4", "question", "email", "es", "Saldo pendiente",
     "Buenos días,\n\n¿Podrían indicarme el saldo pendiente de nuestra cuenta y qué facturas están "
     "abiertas?\n\nUn saludo,\n{name}\n{company}"),
    ("q-es-5", "question", "sms", "es", None,
     "Hola, ¿hay descuento por pronto pago? ¿y hasta cuándo tengo para pagar la {inv}?"),

    # ---- out_of_office ----------------------------------------------------------------------------
    ("ooo-en-6", "out_of_office", "email", "en", "Automatic reply: Invoice {inv}",
     "Hi,\n\nI'm out of the office until {date} with no access to email. Your message has not been "
     "forwarded. If your query is about payments, please contact {name} at payables@{domain}.\n\nKind "
     "regards\n\n--\n{company}\nThis message was sent automatically."),
    ("ooo-en-7", "out_of_office", "email", "en", "OOO",
     "OOO until {date}. Limited connectivity. For anything urgent ring the office."),
    ("ooo-en-8", "out_of_office", "email", "en", "Auto: Statement of account",
     "Our offices are closed for the holidays and will reopen on {date}. Emails received during this period "
     "will be answered on our return. Happy holidays from all at {company}!"),
    ("ooo-fr-3", "out_of_office", "email", "fr", "Absent du bureau",
     "Bonjour,\n\nJe suis en déplacement jusqu'au {date} et consulterai mes messages de façon irrégulière. En "
     "cas d'urgence, vous pouvez joindre {name} au standard.\n\nBien cordialement"),
    ("ooo-fr-4", "out_of_office", "email", "fr", "Réponse automatique : Facture {inv}",
     "Ceci est une réponse automatique. Je suis en congé maternité et ne traite plus ce dossier jusqu'à "
     "nouvel ordre. Merci d'adresser vos demandes à comptabilite@{domain}."),
    ("ooo-fr-5", "out_of_office", "sms", "fr", None,
     "[Message automatique] Je suis indisponible jusqu'au {date}. Je vous recontacterai à mon retour."),
    ("ooo-de-2", "out_of_office", "email", "de", "Automatische Antwort: Zahlungserinnerung {inv}",
     "Guten Tag,\n\nich befinde mich bis einschließlich {date} im Urlaub. Ihre E-Mail wird nicht "
     "weitergeleitet. In dringenden Fällen erreichen Sie meine Kollegin {name} unter "
     "buchhaltung@{domain}.\n\nMit freundlichen Grüßen"),
    ("ooo-de-3", "out_of_office", "email", "de", "Abwesend",
     "Ich bin derzeit auf Geschäftsreise und ab dem {date} wieder im Büro. Ich werde Ihre Nachricht nach "
     "meiner Rückkehr beantworten."),
    ("ooo-de-4", "out_of_office", "email", "de", "Betriebsferien",
     "Sehr geehrte Damen und Herren,\n\nunser Unternehmen befindet sich bis zum {date} in den "
     "Betriebsferien. Ab dann sind wir wieder wie gewohnt für Sie da.\n\nIhr Team von {company}"),
    ("ooo-de-5", "out_of_office", "sms", "de", None,
     "Automatische Antwort: Bin bis {date} nicht erreichbar. Melde mich danach."),
    ("ooo-es-2", "out_of_office", "email", "es", "Fuera de la oficina",
     "Hola,\n\nEstaré de vacaciones hasta el {date}. Durante mi ausencia no revisaré el correo. Para "
     "cualquier tema de pagos, contacte con {name} en pagos@{domain}.\n\nGracias"),
    ("ooo-es-3", "out_of_office", "email", "es", "Respuesta automática: Factura {inv}",
     "Este es un mensaje automático. Me encuentro de baja y no tengo acceso al correo electrónico. Su "
     "mensaje no será reenviado."),
    ("ooo-es-4", "out_of_office", "email", "es", "Cierre por vacaciones",
     "Estimado cliente:\n\nNuestras oficinas permanecerán cerradas hasta el {date}. Atenderemos su correo a "
     "nuestra vuelta.\n\nAtentamente,\n{company}"),
    ("ooo-es-5", "out_of_office", "sms", "es", None,
     "Respuesta automática: no estoy disponible hasta el {date}. Le contestaré a la vuelta."),

    # ---- wrong_contact ----------------------------------------------------------------------------
    ("wrong-en-7", "wrong_contact", "sms", "en", None,
     "who is this? i think u have the wrong number, never heard of {company}"),
    ("wrong-en-8", "wrong_contact", "email", "en", "Re: Overdue invoice {inv}",
     "Hi,\n\n{name} retired at the end of last year and this mailbox is now mine. I work in marketing and "
     "have no access to billing. Please update your contact records for {company}.\n\nThanks"),
    ("wrong-en-9", "wrong_contact", "call", "en", None,
     "Agent: Hello, is that {name}?\nCustomer: No, {name} doesn't work here anymore. Left a couple of months "
     "ago.\nAgent: Oh. Do you know who handles invoices now?\nCustomer: No idea, sorry, try the main "
     "switchboard."),
    ("wrong-fr-3", "wrong_contact", "call", "fr", None,
     "Agent : Bonjour, je souhaiterais parler au service comptabilité de {company}.\nClient : Ah non, vous "
     "êtes chez un particulier ici. Vous avez dû faire un mauvais numéro.\nAgent : Excusez-moi pour le "
     "dérangement."),
    ("wrong-fr-4", "wrong_contact", "email", "fr", "Re: Relance facture {inv}",
     "Bonjour,\n\nJe ne suis pas la bonne personne pour ce sujet, je m'occupe uniquement des ressources "
     "humaines. Merci de vous adresser au service comptable de {company}.\n\n{name}"),
    ("wrong-fr-5", "wrong_contact", "sms", "fr", None,
     "Bonjour, ce numéro n'est plus celui de {name} depuis longtemps, merci de mettre à jour votre fichier."),
    ("wrong-de-2", "wrong_contact", "sms", "de", None, "Falsche Nummer. Ich kenne keine Firma {company}."),
    ("wrong-de-3", "wrong_contact", "call", "de", None,
     "Agent: Guten Tag, spreche ich mit der Buchhaltung von {company}?\nKunde: Nein, hier ist die Praxis "
     "Dr. Keller. Da haben Sie sich verwählt.\nAgent: Oh, Entschuldigung."),
    ("wrong-de-4", "wrong_contact", "email", "de", "Nicht zuständig",
     "Guten Tag,\n\nfür Rechnungen bin ich leider nicht zuständig, ich arbeite im Vertrieb. Bitte schicken "
     "Sie Ihre Nachricht an unsere Kreditorenbuchhaltung: kreditoren@{domain}.\n\nGruß\n{name}"),
    ("wrong-de-5", "wrong_contact", "email", "de", "AW: Mahnung {inv}",
     "Hallo,\n\nHerr Brandt ist seit September nicht mehr bei uns beschäftigt. Ich kann Ihnen bei dieser "
     "Angelegenheit leider nicht weiterhelfen. Bitte wenden Sie sich an unsere Zentrale und korrigieren Sie "
     "den Ansprechpartner.\n\n{name}"),
    ("wrong-es-2", "wrong_contact", "email", "es", "Destinatario equivocado",
     "Hola,\n\nCreo que este correo no es para mí. Ya no trabajo en {company} y no llevo temas de "
     "facturación. Por favor, actualicen sus datos de contacto.\n\n{name}"),
    ("wrong-es-3", "wrong_contact", "call", "es", None,
     "Agente: Buenos días, ¿hablo con el departamento de administración de {company}?\nCliente: No, señora, "
     "esto es una casa particular. Se ha equivocado.\nAgente: Disculpe las molestias."),
    ("wrong-es-4", "wrong_contact", "email", "es", "No soy la persona adecuada",
     "Buenas tardes,\n\nYo me encargo del almacén, no de los pagos. Envíen las facturas a "
     "contabilidad@{domain}, que es quien lo gestiona.\n\nSaludos,\n{name}"),
    ("wrong-es-5", "wrong_contact", "sms", "es", None,
     "Este número ya no es de {name}, lo tengo yo desde hace un año. No conozco esa empresa."),

    # ---- unsubscribe ------------------------------------------------------------------------------
    ("unsub-en-6", "unsubscribe", "sms", "en", None, "pls stop sending me these texts"),
    ("unsub-en-7", "unsubscribe", "email", "en", "GDPR - stop contacting me",
     "To whom it may concern,\n\nI have asked twice to be removed from your mailing list. Under GDPR I "
     "request that you stop contacting me and delete my personal data. Any further emails will be "
     "reported.\n\n{name}"),
    ("unsub-en-8", "unsubscribe", "call", "en", None,
     "Agent: Hello, I'm calling from accounts receivable.\nCustomer: Look, I've told you people before, I "
     "don't want these calls. Take my number off your list.\nAgent: I understand, I'll note it.\nCustomer: "
     "Thank you. And no more texts either."),
    ("unsub-fr-3", "unsubscribe", "email", "fr", "Ne plus me contacter",
     "Bonjour,\n\nJe ne souhaite plus être contacté(e) par e-mail ni par SMS. Merci de supprimer mes "
     "coordonnées de vos fichiers conformément au RGPD.\n\n{name}"),
    ("unsub-fr-4", "unsubscribe", "call", "fr", None,
     "Agent : Bonjour, je vous appelle de la part du service client.\nClient : Écoutez, je ne veux plus "
     "recevoir d'appels de votre part. Retirez mon numéro de votre liste, s'il vous plaît.\nAgent : C'est "
     "noté, excusez-nous."),
    ("unsub-fr-5", "unsubscribe", "sms", "fr", None, "Stop. Arrêtez de m'envoyer des sms"),
    ("unsub-de-2", "unsubscribe", "sms", "de", None, "STOPP. Keine SMS mehr bitte."),
    ("unsub-de-3", "unsubscribe", "email", "de", "Abmeldung Newsletter und Erinnerungen",
     "Guten Tag,\n\nbitte löschen Sie meine E-Mail-Adresse aus allen Ihren Verteilern. Ich widerspreche der "
     "weiteren Zusendung von Werbung und automatischen Nachrichten.\n\n{name}"),
    ("unsub-de-4", "unsubscribe", "call", "de", None,
     "Agent: Guten Tag, hier ist der Kundenservice.\nKunde: Rufen Sie mich bitte nicht mehr an. Ich möchte "
     "keine Anrufe und keine Nachrichten mehr von Ihnen bekommen.\nAgent: Verstanden, ich trage das ein."),
    ("unsub-de-5", "unsubscribe", "email", "de", "Keine E-Mails mehr",
     "Hallo,\n\nich möchte mich von Ihren E-Mails abmelden. Bitte streichen Sie mich aus der Liste.\n\n"
     "Danke\n{name}"),
    ("unsub-es-2", "unsubscribe", "email", "es", "Darse de baja",
     "Hola,\n\nPor favor, den de baja mi correo de su lista de envíos. No deseo recibir más "
     "comunicaciones.\n\n{name}"),
    ("unsub-es-3", "unsubscribe", "call", "es", None,
     "Agente: Buenas tardes, le llamo de atención al cliente.\nCliente: Mire, no me llamen más. Quiero que "
     "borren mi número de su base de datos.\nAgente: De acuerdo, lo anoto."),
    ("unsub-es-4", "unsubscribe", "email", "es", "Protección de datos",
     "Buenos días:\n\nSolicito que dejen de enviarme correos y mensajes y que eliminen mis datos personales "
     "de sus ficheros, conforme al RGPD.\n\nAtentamente,\n{name}"),
    ("unsub-es-5", "unsubscribe", "sms", "es", None, "No me manden más SMS por favor. STOP"),

    # ---- other ------------------------------------------------------------------------------------
    ("other-en-7", "other", "email", "en", "Re: Your order",
     "Hi,\n\nGreat, thanks! Could we also add two more boxes of the A4 labels to the order? Same delivery "
     "address as before.\n\n{name}\n\nOn Fri, Nov 20, 2026 at 4:11 PM Sales <sales@followup.example> "
     "wrote:\n> Your order has been dispatched."),
    ("other-en-8", "other", "call", "en", None,
     "Agent: Good morning, accounts.\nCustomer: Hi, er, I think I've been put through to the wrong "
     "department. I'm after a quote for the new printers?\nAgent: That's sales, let me transfer you.\n"
     "Customer: Great, thanks."),
    ("other-en-9", "other", "sms", "en", None, "Thanks for sorting the delivery yesterday, all good now. {name}"),
    ("other-fr-4", "other", "call", "fr", None,
     "Agent : Bonjour, que puis-je pour vous ?\nClient : Bonjour, je voudrais savoir si vous faites aussi "
     "l'installation du matériel, on ouvre un deuxième magasin en janvier.\nAgent : Je vous passe le service "
     "commercial."),
    ("other-fr-5", "other", "email", "fr", "Merci pour le salon",
     "Bonjour,\n\nUn grand merci à votre équipe pour l'organisation du salon la semaine dernière. Au plaisir "
     "de vous revoir l'année prochaine !\n\n{name}\n{company}"),
    ("other-de-2", "other", "email", "de", "Neue Lieferadresse",
     "Hallo,\n\nab dem {date} lautet unsere Lieferadresse Industriestraße 5, 70565 Stuttgart. Bitte passen "
     "Sie das für künftige Lieferungen an.\n\nViele Grüße\n{name}"),
    ("other-de-3", "other", "call", "de", None,
     "Agent: Guten Tag, was kann ich für Sie tun?\nKunde: Hallo, ich wollte fragen, ob Sie die Ersatzteile "
     "für die Maschine auf Lager haben. Wir bräuchten sie bis Ende der Woche.\nAgent: Ich verbinde Sie mit "
     "dem Vertrieb."),
    ("other-de-4", "other", "sms", "de", None, "Danke für die schnelle Lieferung, alles angekommen! {name}"),
    ("other-de-5", "other", "email", "de", "Termin Wartung",
     "Guten Tag,\n\nkönnte Ihr Techniker am {date} vormittags zur Wartung der Anlage vorbeikommen? Bitte "
     "kurz bestätigen.\n\nMfG\n{name}"),
    ("other-es-2", "other", "sms", "es", None, "Hola, el transportista puede venir el {date} por la tarde? Gracias {name}"),
    ("other-es-3", "other", "call", "es", None,
     "Agente: Buenos días, ¿en qué puedo ayudarle?\nCliente: Hola, quería hacer un pedido de repuestos, los "
     "mismos que la última vez.\nAgente: Le paso con el departamento comercial."),
    ("other-es-4", "other", "email", "es", "Cambio de persona de contacto",
     "Buenos días,\n\nLes comunico que a partir de ahora la persona responsable de compras será {name}. Por "
     "favor, diríjanse a ella para futuros pedidos.\n\nUn saludo,\n{company}"),
    ("other-es-5", "other", "email", "es", "Agradecimiento",
     "Hola,\n\nSolo queríamos darles las gracias por la rapidez en la instalación. Todo funciona "
     "perfectamente.\n\nSaludos,\n{name}"),

    # ---- harder cases: mixed intents (labelled by the rule in the module doc), mixed languages -----
    ("ptp-en-13", "promise_to_pay", "email", "en", "Re: {inv} part payment",
     "Hi,\n\nWe paid part of {inv} last week already. The remaining {amount} will follow on {date}, once our "
     "customer has paid us.\n\nThanks for bearing with us,\n{name}"),
    ("paid-en-12", "payment_sent", "email", "en", "Transfer for {inv} - please confirm",
     "Good morning,\n\nWe transferred {amount} for {inv} on {date}. Can you confirm receipt so I can close "
     "this on our side?\n\nMany thanks\n{name}\n{company}"),
    ("disp-en-11", "dispute", "sms", "en", None,
     "Why am I being charged {amount} for {inv}?? We never received the goods. Cancel it."),
    ("invreq-en-10", "invoice_request", "email", "en", "Re: Outstanding balance",
     "Hi,\n\nWe don't seem to have this one on file. Could you attach the invoice itself so our approvers "
     "can sign it off?\n\nThanks,\n{name}\n\nOn Mon, Nov 16, 2026 at 9:02 AM Accounts <ar@followup.example> "
     "wrote:\n> Dear customer, invoice {inv} is still outstanding."),
    ("q-en-10", "question", "email", "en", "Paying by cheque",
     "Hello,\n\nWho should we make the cheque payable to, and which address do we post it to? Our system "
     "only has your old address.\n\nRegards,\n{name}"),
    ("ooo-en-9", "out_of_office", "email", "en", "Acknowledgement: your message to {company}",
     "Thank you for contacting {company}. This is an automated acknowledgement: our accounts team is working "
     "reduced hours until {date} and will reply as soon as possible."),
    ("other-en-10", "other", "email", "en", "Office move",
     "Hello,\n\nJust a heads-up: our site will be closed on {date} for the move to the new building, so "
     "deliveries that day can't be accepted. From then on please use the new gate on Mill Lane.\n\n{name}"),
    ("unsub-en-9", "unsubscribe", "sms", "en", None, "UNSUBSCRIBE pls. no more msgs to this number"),
    ("wrong-en-10", "wrong_contact", "email", "en", "Re: Payment reminder",
     "Hello,\n\nYou have the wrong company: we are not {company}, we just have a similar name. We have no "
     "account with you, so please check your records and stop sending these to us.\n\nRegards,\n{name}"),
    ("disp-fr-6", "dispute", "email", "fr", "Facture {inv} - not accepted",
     "Bonjour,\n\nSorry, I write in English and French. The invoice {inv} is not correct : vous avez facturé "
     "deux fois la même livraison. Nous ne pouvons pas la valider.\n\n{name}"),
    ("q-de-6", "question", "email", "de", "Kurze Frage zu {inv}",
     "Hi,\n\nkurze Frage - can we pay {inv} in USD, oder nur in EUR? Und welche Bankverbindung gilt dafür?\n\n"
     "Danke\n{name}"),
    ("wrong-fr-6", "wrong_contact", "sms", "fr", None,
     "Bonjour, wrong number, je ne connais pas {company}. Merci de ne plus m'appeler à ce sujet."),
    ("unsub-es-6", "unsubscribe", "sms", "es", None, "STOP por favor. Unsubscribe. No quiero más mensajes"),
    ("paid-de-6", "payment_sent", "call", "de", None,
     "Agent: Hallo, hier ist die Buchhaltung wegen {inv}.\nKunde: Ja, hallo. Das ist erledigt, wir haben am "
     "{date} überwiesen. Ist das noch nicht bei Ihnen eingegangen?\nAgent: Ich sehe es noch nicht.\nKunde: "
     "Dann warten Sie bitte noch ein, zwei Tage, das Geld ist unterwegs."),
    ("ptp-fr-6", "promise_to_pay", "email", "fr", "Re: Facture {inv}",
     "Bonjour,\n\nDésolé, nous n'avons pas pu payer ce mois-ci. Le paiement partira le {date} avec notre "
     "prochaine échéance fournisseurs, vous pouvez compter dessus.\n\nBien à vous\n{name}"),
    ("other-fr-6", "other", "sms", "fr", None, "Bonjour, le livreur peut passer le {date} plutôt ? Merci. {name}"),
]

# Second batch (its own split draw, see split_templates): new situations and wordings in every category and
# language, two per (category, language).
MESSAGES_2: list[tuple[str, str, str, str, str | None, str]] = [
    # ---- promise_to_pay -------------------------------------------------------------------------
    ("ptp-en-14", "promise_to_pay", "sms", "en", None,
     "Morning. Money's tight till payday, I'll sort the {amount} on {date}. Sorry again {name}"),
    ("ptp-en-15", "promise_to_pay", "email", "en", "Account {inv} - payment date",
     "Hello,\n\nJust to let you know our bank loan is being released this week. As soon as it lands we'll "
     "clear {inv}, at the latest by {date}. I'll email you the confirmation the same day.\n\nRegards,\n{name}\n"
     "Operations Director, {company}"),
    ("ptp-fr-7", "promise_to_pay", "call", "fr", None,
     "Agent : Bonjour Madame, c'est au sujet du solde de la facture {inv}.\nCliente : Oui, je suis désolée, "
     "j'attends le paiement d'un gros client. Je pourrai vous régler le {date}.\nAgent : Le montant complet ?\n"
     "Cliente : Oui, les {amount}. Je m'y engage."),
    ("ptp-fr-8", "promise_to_pay", "email", "fr", "Règlement en attente",
     "Bonjour,\n\nNotre trésorerie sera de nouveau disponible en début de mois. Le virement de {amount} sera "
     "donc passé le {date}, je vous enverrai l'avis dès qu'il sera fait.\n\nBien cordialement,\n{name}\n"
     "{company}"),
    ("ptp-de-6", "promise_to_pay", "email", "de", "Offene Posten",
     "Hallo Frau Becker,\n\nleider hat sich die Zahlung verzögert, weil unser Geschäftsführer im Urlaub war. "
     "Er ist ab Montag zurück und gibt die Überweisung über {amount} dann sofort frei, spätestens am "
     "{date}.\n\nViele Grüße\n{name}"),
    ("ptp-de-7", "promise_to_pay", "sms", "de", None,
     "Moin, die {amount} kommen am {date}, ganz sicher. Bitte noch keine Mahnung schicken. {name}"),
    ("ptp-es-6", "promise_to_pay", "call", "es", None,
     "Agente: Buenas, le llamo de administración por la factura {inv}.\nCliente: Sí, mire, esta semana no "
     "puedo, pero el {date} le ingreso los {amount}.\nAgente: ¿Me lo confirma?\nCliente: Confirmado, el {date} "
     "lo tiene."),
    ("ptp-es-7", "promise_to_pay", "email", "es", "Compromiso de pago {inv}",
     "Buenas tardes:\n\nTras hablar con nuestro gerente, nos comprometemos a abonar la factura {inv} antes "
     "del {date}. Rogamos disculpen las molestias.\n\nCordialmente,\n{name}\n{company}"),

    # ---- payment_sent -----------------------------------------------------------------------------
    ("paid-en-13", "payment_sent", "email", "en", "Paid via your portal",
     "Hi there,\n\nI settled {inv} through your online payment portal by card this afternoon ({amount}). The "
     "portal gave me confirmation number 55102. Can you mark it as paid on your side?\n\nThanks,\n{name}"),
    ("paid-en-14", "payment_sent", "call", "en", None,
     "Agent: Hi, it's accounts receivable, quick call about {inv}.\nCustomer: Oh, I sorted that out on "
     "{date}. Did a bank transfer, the full {amount}.\nAgent: Right, it may not have been matched yet.\n"
     "Customer: Probably because I forgot to put the invoice number as the reference, sorry."),
    ("paid-fr-6", "payment_sent", "email", "fr", "Paiement facture {inv}",
     "Madame, Monsieur,\n\nNous vous informons que la facture {inv} a été réglée par chèque n° 4471023, "
     "expédié le {date}. Merci de bien vouloir vérifier sa bonne réception.\n\nVeuillez agréer nos "
     "salutations distinguées,\n{name}\n{company}"),
    ("paid-fr-7", "payment_sent", "sms", "fr", None,
     "Bjr, virement fait hier soir pour la {inv} ({amount}). Vous devriez le voir demain. {name}"),
    ("paid-de-7", "payment_sent", "email", "de", "Re: Mahnung",
     "Guten Tag,\n\nwir verstehen Ihre Mahnung nicht: Der Betrag wurde bereits am {date} per Lastschrift von "
     "unserem Konto abgebucht. Bitte gleichen Sie Ihre Buchhaltung ab.\n\nMfG\n{name}\n\nAm 16.11.2026 um "
     "09:02 schrieb Buchhaltung <ar@followup.example>:\n> die Rechnung {inv} ist weiterhin offen."),
    ("paid-de-8", "payment_sent", "sms", "de", None,
     "Hab grad die {amount} für {inv} überwiesen. Beleg kommt per Mail. LG {name}"),
    ("paid-es-6", "payment_sent", "call", "es", None,
     "Agente: Hola, buenos días, llamo por la factura {inv}.\nCliente: Eso lo pagamos el {date}, por "
     "transferencia. {amount}.\nAgente: No me consta todavía.\nCliente: Pues le reenvío el comprobante del "
     "banco ahora mismo."),
    ("paid-es-7", "payment_sent", "email", "es", "Pago realizado",
     "Hola,\n\nOs confirmo que la factura {inv} quedó saldada el {date} mediante pago con tarjeta. Adjunto el "
     "recibo.\n\nUn abrazo,\n{name}"),

    # ---- dispute ---------------------------------------------------------------------------------
    ("disp-en-12", "dispute", "email", "en", "VAT charged incorrectly on {inv}",
     "Hello,\n\nYou've charged VAT on {inv}, but we gave you our EU VAT number and the supply should be "
     "reverse-charged. We can't approve the invoice as it stands.\n\nBest regards,\n{name}\nFinance, {company}"),
    ("disp-en-13", "dispute", "call", "en", None,
     "Agent: Good morning, I'm calling about {inv}.\nCustomer: Ah, yes. We have an issue with that one. Only "
     "12 of the 20 chairs were delivered, and two of those were scratched.\nAgent: So you'd like the invoice "
     "adjusted?\nCustomer: I'd like to pay for what we actually received, nothing more."),
    ("disp-fr-7", "dispute", "call", "fr", None,
     "Agent : Bonjour, je vous contacte pour la facture {inv}.\nClient : Je vous arrête tout de suite, on n'a "
     "jamais signé ce devis. Cette facture, on ne la doit pas.\nAgent : Vous contestez donc la prestation ?\n"
     "Client : Exactement. Envoyez-moi le bon signé si vous l'avez."),
    ("disp-fr-8", "dispute", "email", "fr", "Tarif non respecté",
     "Bonjour,\n\nLe prix unitaire appliqué sur la facture {inv} est supérieur à celui de notre contrat-cadre. "
     "Nous ne validerons cette facture qu'après correction du tarif.\n\nSalutations,\n{name}\nAcheteuse, "
     "{company}"),
    ("disp-de-6", "dispute", "sms", "de", None,
     "Rechnung {inv} stimmt nicht, Lieferung kam 2 Wochen zu spät und halb kaputt. Zahlung erst nach Klärung. "
     "{name}"),
    ("disp-de-7", "dispute", "email", "de", "Beanstandung {inv}",
     "Guten Tag,\n\ndie mit {inv} berechneten Arbeitsstunden wurden von uns nie abgezeichnet. Wir erkennen "
     "diese Position nicht an und bitten um eine korrigierte Rechnung ohne diese Stunden.\n\nFreundliche "
     "Grüße\n{name}\n{company}"),
    ("disp-es-6", "dispute", "sms", "es", None,
     "Oiga, la {inv} no es correcta, nos han cobrado el transporte y era gratis según la oferta. {name}"),
    ("disp-es-7", "dispute", "email", "es", "Queja por factura {inv}",
     "Estimados señores:\n\nLes escribo para manifestar nuestro desacuerdo con la factura {inv}. El servicio "
     "de mantenimiento no se prestó en las fechas acordadas y la máquina sigue averiada. No procederemos al "
     "pago hasta que se resuelva.\n\nAtentamente,\n{name}"),

    # ---- invoice_request --------------------------------------------------------------------------
    ("invreq-en-11", "invoice_request", "email", "en", "Proforma needed",
     "Hi,\n\nBefore our bank will release the funds we need a proforma invoice or a signed copy of {inv} on "
     "your letterhead. Could you send one across today?\n\nCheers,\n{name}"),
    ("invreq-en-12", "invoice_request", "call", "en", None,
     "Agent: Hello, I'm calling about your overdue account.\nCustomer: I'm happy to look into it but I need "
     "the paperwork first. Can you email the invoices over? We switched systems and lost a few.\nAgent: Of "
     "course, which address?\nCustomer: invoices@{domain}, thanks."),
    ("invreq-fr-6", "invoice_request", "sms", "fr", None,
     "Bonjour, je n'ai pas reçu la facture {inv}, vous pouvez me la transmettre svp ? {name}"),
    ("invreq-fr-7", "invoice_request", "email", "fr", "Demande de facture détaillée",
     "Bonjour,\n\nPour pouvoir passer la facture {inv} en paiement, notre contrôle de gestion a besoin d'une "
     "version détaillée, ligne par ligne, avec les dates d'intervention. Pouvez-vous nous l'adresser ?\n\n"
     "Merci,\n{name}"),
    ("invreq-de-6", "invoice_request", "call", "de", None,
     "Agent: Guten Tag, wir hatten Ihnen wegen der Rechnung {inv} geschrieben.\nKunde: Ja, aber die Rechnung "
     "selbst habe ich nirgends. Schicken Sie mir die bitte noch mal per E-Mail?\nAgent: Selbstverständlich.\n"
     "Kunde: An einkauf@{domain}, danke."),
    ("invreq-de-7", "invoice_request", "email", "de", "Bitte Rechnung an neue Adresse",
     "Hallo,\n\nwir haben eine zentrale Rechnungsadresse eingeführt. Könnten Sie die Rechnung {inv} bitte "
     "erneut an rechnungseingang@{domain} senden? Per Post verschickte Rechnungen werden nicht mehr "
     "bearbeitet.\n\nDanke\n{name}"),
    ("invreq-es-6", "invoice_request", "sms", "es", None,
     "Buenas, necesito la factura {inv} en PDF para pasarla a contabilidad. ¿Me la envían? {name}"),
    ("invreq-es-7", "invoice_request", "email", "es", "Factura desglosada",
     "Hola,\n\nNuestro departamento financiero necesita la factura {inv} desglosada por conceptos y con el "
     "número de pedido. ¿Podrían hacernos llegar una nueva versión?\n\nGracias de antemano,\n{name}\n{company}"),

    # ---- question ---------------------------------------------------------------------------------
    ("q-en-11", "question", "email", "en", "Currency question",
     "Hi,\n\nOur bank charges a lot for euro transfers. Is it possible to pay {inv} in pounds instead, and if "
     "so what exchange rate would you use?\n\nThanks,\n{name}"),
    ("q-en-12", "question", "call", "en", None,
     "Agent: Accounts, good afternoon.\nCustomer: Hi, I'm new in the finance team at {company}. Could you tell "
     "me how many invoices we've got open with you and what the total is?\nAgent: I can email you a summary.\n"
     "Customer: Perfect."),
    ("q-fr-6", "question", "email", "fr", "Question sur les pénalités",
     "Bonjour,\n\nPouvez-vous m'expliquer à quoi correspondent les pénalités de retard qui apparaissent sur "
     "notre relevé ? Comment sont-elles calculées ?\n\nMerci d'avance,\n{name}"),
    ("q-fr-7", "question", "sms", "fr", None,
     "Bonjour, on peut payer par carte bancaire chez vous ? Et à quel numéro ? {name}"),
    ("q-de-7", "question", "call", "de", None,
     "Agent: Guten Tag, Debitorenbuchhaltung.\nKunde: Hallo, eine Frage zu unserer Rechnung {inv}: Ist die "
     "Mehrwertsteuer da schon drin, oder kommt die noch dazu?\nAgent: Ich prüfe das kurz.\nKunde: Danke. Und "
     "wie lange ist unser Zahlungsziel?"),
    ("q-de-8", "question", "sms", "de", None, "Hallo, kann man bei euch auch per PayPal zahlen? Gruß {name}"),
    ("q-es-6", "question", "email", "es", "Duda sobre intereses",
     "Buenos días,\n\nEn el último extracto aparecen intereses de demora. ¿Nos podrían explicar cómo se "
     "calculan y desde qué fecha se aplican?\n\nUn saludo,\n{name}"),
    ("q-es-7", "question", "call", "es", None,
     "Agente: Administración, buenas tardes.\nCliente: Hola, llamo de {company}. ¿Me puede decir a qué número "
     "de cuenta tengo que hacer el pago y qué concepto pongo?\nAgente: Se lo envío por correo.\nCliente: Vale, "
     "gracias."),

    # ---- out_of_office ----------------------------------------------------------------------------
    ("ooo-en-10", "out_of_office", "email", "en", "Away: Re: {inv}",
     "Hello, thanks for your message. I'm currently on a training course and back at my desk on {date}. I'll "
     "deal with your email then.\n\nBest,\n{name}\n{company}"),
    ("ooo-en-11", "out_of_office", "email", "en", "Automatic reply",
     "Please note I have changed roles and this inbox is only checked weekly. For invoices and payments write "
     "to ap@{domain}. This is an automatic message."),
    ("ooo-fr-6", "out_of_office", "email", "fr", "Réponse automatique",
     "Bonjour, merci pour votre message. Je suis actuellement en arrêt maladie. Je traiterai votre demande "
     "dès mon retour, prévu le {date}. Cordialement"),
    ("ooo-fr-7", "out_of_office", "email", "fr", "Fermeture annuelle",
     "Madame, Monsieur,\n\nNos bureaux sont fermés pour congés annuels jusqu'au {date}. Votre message sera "
     "traité à la réouverture.\n\nL'équipe {company}"),
    ("ooo-de-6", "out_of_office", "email", "de", "Abwesenheit",
     "Guten Tag, ich bin auf einer Messe und erst ab {date} wieder erreichbar. Ihre Nachricht lese ich nach "
     "meiner Rückkehr. Freundliche Grüße, {name}"),
    ("ooo-de-7", "out_of_office", "email", "de", "Automatische Antwort",
     "Diese E-Mail-Adresse ist bis {date} nicht besetzt. Bitte wenden Sie sich in der Zwischenzeit an unsere "
     "Zentrale unter info@{domain}. Dies ist eine automatisch generierte Nachricht."),
    ("ooo-es-6", "out_of_office", "email", "es", "Ausente",
     "Hola, me encuentro en un viaje de trabajo hasta el {date} con acceso muy limitado al correo. Responderé "
     "a su mensaje a mi regreso. Saludos, {name}"),
    ("ooo-es-7", "out_of_office", "email", "es", "Respuesta automática",
     "Gracias por escribirnos. Este buzón no se revisa durante el periodo navideño. Volveremos a atenderle a "
     "partir del {date}. Este es un mensaje generado automáticamente."),

    # ---- wrong_contact ----------------------------------------------------------------------------
    ("wrong-en-11", "wrong_contact", "call", "en", None,
     "Agent: Hi, could I speak to the accounts payable manager at {company}?\nCustomer: Sorry, you've reached "
     "the reception of a hotel. We get these calls a lot, I think your number is out of date.\nAgent: My "
     "apologies."),
    ("wrong-en-12", "wrong_contact", "email", "en", "Re: Statement of account",
     "Hi,\n\nI'm a freelance designer who did one job for {company} two years ago. I'm not their employee and "
     "can't do anything about their invoices. Please find the right person there.\n\n{name}"),
    ("wrong-fr-7", "wrong_contact", "email", "fr", "Message reçu par erreur",
     "Bonjour,\n\nJ'ai reçu ce courriel par erreur : je ne fais pas partie de la société {company}. Merci de "
     "corriger l'adresse dans votre fichier client.\n\nCordialement,\n{name}"),
    ("wrong-fr-8", "wrong_contact", "call", "fr", None,
     "Agent : Bonjour, est-ce que je peux parler à {name} ?\nClient : Ah, {name} est partie à la retraite en "
     "juin. Moi je m'occupe de l'accueil, je ne peux rien pour vous.\nAgent : Vous auriez le nom de la "
     "personne qui la remplace ?\nClient : Non, désolé, rappelez le standard."),
    ("wrong-de-6", "wrong_contact", "email", "de", "Irrläufer",
     "Hallo,\n\nIhre E-Mail ist bei mir falsch gelandet. Ich bin Privatperson und habe mit {company} nichts "
     "zu tun. Bitte prüfen Sie die Adresse.\n\nGruß"),
    ("wrong-de-7", "wrong_contact", "call", "de", None,
     "Agent: Guten Tag, ich hätte gern Frau Schulz aus der Buchhaltung.\nKunde: Frau Schulz ist seit dem "
     "Sommer in Rente. Ich bin vom Lager und kann Ihnen da nicht helfen.\nAgent: Wer ist denn jetzt "
     "zuständig?\nKunde: Keine Ahnung, versuchen Sie es über die Zentrale."),
    ("wrong-es-6", "wrong_contact", "email", "es", "Correo recibido por error",
     "Buenos días,\n\nHe recibido este correo por error. No tengo ninguna relación con {company} ni con esa "
     "factura. Por favor, corrijan su base de datos.\n\nSaludos"),
    ("wrong-es-7", "wrong_contact", "call", "es", None,
     "Agente: Buenas tardes, ¿está el responsable de pagos de {company}?\nCliente: Aquí no es, esto es una "
     "peluquería. Este número lo tenemos desde hace años.\nAgente: Perdone, debe de ser un error nuestro."),

    # ---- unsubscribe ------------------------------------------------------------------------------
    ("unsub-en-10", "unsubscribe", "email", "en", "Please stop",
     "Hello,\n\nI never signed up to receive texts or emails from your company. Please take me off every list "
     "you have and confirm that you've done so.\n\n{name}"),
    ("unsub-en-11", "unsubscribe", "sms", "en", None, "STOP ALL MESSAGES"),
    ("unsub-fr-6", "unsubscribe", "sms", "fr", None, "Merci de ne plus m'envoyer de SMS. STOP au 36180"),
    ("unsub-fr-7", "unsubscribe", "email", "fr", "Opposition",
     "Bonjour,\n\nJe m'oppose à toute nouvelle sollicitation de votre part, par courrier électronique comme "
     "par téléphone. Veuillez effacer mes données.\n\n{name}"),
    ("unsub-de-6", "unsubscribe", "sms", "de", None,
     "Bitte keine Werbung und keine Erinnerungen mehr an diese Nummer. Danke."),
    ("unsub-de-7", "unsubscribe", "email", "de", "Widerruf Einwilligung",
     "Sehr geehrte Damen und Herren,\n\nhiermit widerrufe ich meine Einwilligung zum Erhalt von E-Mails und "
     "SMS. Bitte bestätigen Sie mir die Löschung meiner Kontaktdaten.\n\n{name}"),
    ("unsub-es-7", "unsubscribe", "sms", "es", None, "Quiero dejar de recibir estos mensajes. Baja por favor."),
    ("unsub-es-8", "unsubscribe", "email", "es", "Solicitud de baja",
     "Buenas tardes,\n\nLes pido que me eliminen de todas sus listas de correo. No he solicitado estas "
     "comunicaciones y no quiero seguir recibiéndolas.\n\nGracias,\n{name}"),

    # ---- other ------------------------------------------------------------------------------------
    ("other-en-11", "other", "email", "en", "Price list 2027",
     "Hi,\n\nCould you send me your updated price list for next year? We're planning our budget and want to "
     "compare a few suppliers.\n\nThanks,\n{name}\nPurchasing, {company}"),
    ("other-en-12", "other", "call", "en", None,
     "Agent: Hello, accounts receivable.\nCustomer: Hi, it's {name} from {company}. Just calling to say the "
     "new machine is working great, the engineer did a brilliant job.\nAgent: That's lovely to hear, I'll "
     "pass it on."),
    ("other-fr-7", "other", "email", "fr", "Invitation",
     "Bonjour,\n\nNous organisons une journée portes ouvertes le {date} dans nos nouveaux locaux et serions "
     "ravis de vous y accueillir.\n\nBien à vous,\n{name}\n{company}"),
    ("other-fr-8", "other", "call", "fr", None,
     "Agent : Bonjour, comptabilité, je vous écoute.\nClient : Bonjour, c'est pour réserver la salle de "
     "formation le mois prochain, on m'a donné ce numéro.\nAgent : Ce n'est pas notre service, je vous "
     "transfère à l'accueil."),
    ("other-de-6", "other", "email", "de", "Kooperation",
     "Guten Tag,\n\nwir würden gerne über eine mögliche Zusammenarbeit bei der Messe im Frühjahr sprechen. "
     "Hätten Sie am {date} Zeit für ein kurzes Telefonat?\n\nBeste Grüße\n{name}"),
    ("other-de-7", "other", "sms", "de", None,
     "Hallo, der Fahrer steht vor dem Tor, aber keiner macht auf. Kann jemand runterkommen? {name}"),
    ("other-es-6", "other", "email", "es", "Catálogo",
     "Hola,\n\n¿Nos podrían enviar el catálogo actualizado con las novedades de este año? Estamos pensando en "
     "ampliar el pedido.\n\nSaludos,\n{name}"),
    ("other-es-7", "other", "sms", "es", None,
     "Hola! Muchas gracias por el regalo de Navidad, todo el equipo lo ha disfrutado. {name}"),
]

# Third batch (its own split draw): three more per (category, language), again new situations and wordings.
MESSAGES_3: list[tuple[str, str, str, str, str | None, str]] = [
    # ---- promise_to_pay -------------------------------------------------------------------------
    ("ptp-en-16", "promise_to_pay", "email", "en", "Re: Reminder {inv}",
     "Hi,\n\nApologies, this slipped through while our bookkeeper was off sick. I've put {inv} on tomorrow's "
     "payment batch, so you should see {amount} by {date}.\n\nThanks,\n{name}"),
    ("ptp-en-17", "promise_to_pay", "call", "en", None,
     "Agent: Hi, it's about the {amount} outstanding on {inv}.\nCustomer: Yeah... look, I can do half now-ish "
     "and the rest on {date}. Is that alright?\nAgent: When exactly is the first half?\nCustomer: End of this "
     "week. Definitely."),
    ("ptp-en-18", "promise_to_pay", "sms", "en", None,
     "Hi, {name} here. Card payment for {inv} will go through on {date} when the new account is open. Promise."),
    ("ptp-fr-9", "promise_to_pay", "sms", "fr", None,
     "Bonjour, je règlerai la facture {inv} dès réception de mon salaire, le {date}. Désolé pour le retard. "
     "{name}"),
    ("ptp-fr-10", "promise_to_pay", "email", "fr", "Échéancier proposé",
     "Bonjour,\n\nComme convenu au téléphone, nous réglerons la facture {inv} en trois mensualités ; la "
     "première, de {amount}, sera virée le {date}.\n\nCordialement,\n{name}\n{company}"),
    ("ptp-fr-11", "promise_to_pay", "call", "fr", None,
     "Agent : Bonjour Monsieur, je vous appelle pour la facture {inv}.\nClient : Oui, écoutez, le comptable "
     "revient lundi, il fera le virement dans la foulée, au plus tard le {date}.\nAgent : Très bien, je note.\n"
     "Client : Vous pouvez compter sur nous."),
    ("ptp-de-8", "promise_to_pay", "email", "de", "Zahlungszusage {inv}",
     "Sehr geehrte Damen und Herren,\n\nhiermit sagen wir Ihnen die Zahlung der Rechnung {inv} in Höhe von "
     "{amount} bis zum {date} verbindlich zu.\n\nMit freundlichen Grüßen\n{name}\n{company}"),
    ("ptp-de-9", "promise_to_pay", "call", "de", None,
     "Agent: Guten Tag, es geht um die überfällige Rechnung {inv}.\nKunde: Ja, ich weiß. Ich kann Ihnen "
     "{amount} am {date} überweisen, den Rest Anfang nächsten Monats.\nAgent: Passt, ich notiere das.\nKunde: "
     "Danke für Ihr Verständnis."),
    ("ptp-de-10", "promise_to_pay", "sms", "de", None,
     "Hi, sorry, die Zahlung für {inv} verschiebt sich, kommt aber sicher bis {date}. {name}"),
    ("ptp-es-8", "promise_to_pay", "sms", "es", None,
     "Buenas, la {inv} la pago el {date} cuando cobre. Disculpa las molestias. {name}"),
    ("ptp-es-9", "promise_to_pay", "email", "es", "Re: Factura pendiente {inv}",
     "Hola,\n\nPerdonad el retraso, hemos tenido un problema con el banco. Haremos el ingreso de {amount} "
     "como muy tarde el {date}.\n\nUn saludo,\n{name}"),
    ("ptp-es-10", "promise_to_pay", "call", "es", None,
     "Agente: Hola, llamo por el importe pendiente de la factura {inv}.\nCliente: Sí, sí, ya lo tengo en "
     "cuenta. El {date} hacemos la transferencia sin falta.\nAgente: ¿Por los {amount}?\nCliente: Eso es, "
     "todo junto."),

    # ---- payment_sent -----------------------------------------------------------------------------
    ("paid-en-15", "payment_sent", "email", "en", "Crossed in the post?",
     "Hello,\n\nI think our payment and your reminder crossed. We transferred {amount} for {inv} on {date}; "
     "the reference on the transfer was the invoice number.\n\nKind regards\n{name}"),
    ("paid-en-16", "payment_sent", "sms", "en", None,
     "{inv} paid in full this morning via the bank app. Ref is your invoice no. {name}"),
    ("paid-en-17", "payment_sent", "call", "en", None,
     "Agent: Hello, I'm calling regarding invoice {inv}.\nCustomer: We paid it already, I'm looking at the "
     "bank statement right now. {amount} on {date}.\nAgent: Could you email that statement to us?\nCustomer: "
     "Sure, give me five minutes."),
    ("paid-fr-8", "payment_sent", "email", "fr", "Facture {inv} soldée",
     "Bonjour,\n\nJe vous confirme que nous avons soldé la facture {inv} le {date} par virement SEPA de "
     "{amount}. Merci de mettre à jour votre relance.\n\nBonne journée,\n{name}"),
    ("paid-fr-9", "payment_sent", "call", "fr", None,
     "Agent : Bonjour, c'est le service recouvrement au sujet de la facture {inv}.\nClient : On vous a payé "
     "il y a dix jours ! Par chèque, {amount}.\nAgent : Nous ne l'avons pas encore encaissé.\nClient : Alors "
     "il est peut-être perdu à la poste, vérifiez de votre côté."),
    ("paid-fr-10", "payment_sent", "sms", "fr", None,
     "Bonjour, paiement de la facture {inv} effectué aujourd'hui par CB sur votre site. Merci. {name}"),
    ("paid-de-9", "payment_sent", "email", "de", "Überweisung erfolgt",
     "Hallo,\n\ndie offene Rechnung {inv} haben wir am {date} überwiesen, Betrag {amount}. Das Geld sollte "
     "inzwischen auf Ihrem Konto sein.\n\nGrüße\n{name}"),
    ("paid-de-10", "payment_sent", "call", "de", None,
     "Agent: Hallo, ich melde mich wegen der Rechnung {inv}.\nKunde: Die ist längst bezahlt. Meine Kollegin "
     "hat das am {date} erledigt.\nAgent: Können Sie uns den Beleg schicken?\nKunde: Ja, mache ich heute noch."),
    ("paid-de-11", "payment_sent", "sms", "de", None,
     "Guten Morgen, {amount} sind heute für {inv} rausgegangen. Gruß {name}"),
    ("paid-es-8", "payment_sent", "email", "es", "Re: Factura {inv} impagada",
     "Buenas,\n\nLa factura {inv} se abonó el {date} por transferencia bancaria. Les adjunto el comprobante "
     "para que lo comprueben.\n\nSaludos cordiales,\n{name}\n{company}"),
    ("paid-es-9", "payment_sent", "sms", "es", None,
     "Hola, ya os hice el pago de {amount} de la factura {inv} ayer por la tarde. {name}"),
    ("paid-es-10", "payment_sent", "call", "es", None,
     "Agente: Buenos días, le llamo por la factura {inv}.\nCliente: Esa ya la pagamos, hombre. Mi socio hizo "
     "la transferencia el {date}.\nAgente: No la veo registrada.\nCliente: Pues mírelo bien, que el dinero ya "
     "no está en nuestra cuenta."),

    # ---- dispute ---------------------------------------------------------------------------------
    ("disp-en-14", "dispute", "email", "en", "Query on {inv} - not accepted",
     "Hi,\n\nWe can't accept {inv}. The contract price was fixed for the year and this invoice uses the new "
     "rates. Please re-invoice at the contract price; until then this one is on hold.\n\nThanks,\n{name}"),
    ("disp-en-15", "dispute", "sms", "en", None,
     "Got invoice {inv} but the job isn't finished, the painters left half the rooms undone. Won't pay until "
     "it's done. {name}"),
    ("disp-en-16", "dispute", "call", "en", None,
     "Agent: I'm calling to follow up on {inv}.\nCustomer: Honestly, I'm fuming about that one. You billed "
     "us for next-day delivery and it took a week.\nAgent: I'm sorry, I'll pass it on.\nCustomer: I want the "
     "express charge taken off before I pay a penny."),
    ("disp-fr-9", "dispute", "email", "fr", "Litige facture {inv}",
     "Bonjour,\n\nNous avons reçu la facture {inv} mais les heures facturées ne correspondent pas aux feuilles "
     "de présence signées. Nous la bloquons en attendant vos explications.\n\nCordialement,\n{name}"),
    ("disp-fr-10", "dispute", "sms", "fr", None,
     "Facture {inv} inacceptable, le matériel est tombé en panne au bout de 2 jours. Je ne paie pas. {name}"),
    ("disp-fr-11", "dispute", "call", "fr", None,
     "Agent : Bonjour, au sujet de votre facture {inv}...\nClient : Ah, celle-là ! On nous a facturé une "
     "installation qui n'a jamais eu lieu.\nAgent : Je vois. Vous souhaitez un avoir ?\nClient : Évidemment."),
    ("disp-de-8", "dispute", "email", "de", "Einspruch Rechnung {inv}",
     "Guten Tag,\n\ngegen die Rechnung {inv} legen wir Einspruch ein. Die gelieferte Menge entspricht nicht "
     "dem Lieferschein, es fehlen drei Kartons.\n\nFreundliche Grüße\n{name}"),
    ("disp-de-9", "dispute", "sms", "de", None,
     "Hallo, {inv} zahlen wir so nicht, der Preis ist höher als abgesprochen. Bitte melden. {name}"),
    ("disp-de-10", "dispute", "call", "de", None,
     "Agent: Guten Tag, ich rufe wegen {inv} an.\nKunde: Die Rechnung ist eine Frechheit. Der Monteur war eine "
     "Stunde da und Sie berechnen vier.\nAgent: Das kläre ich intern.\nKunde: Bis dahin zahlen wir nichts."),
    ("disp-es-8", "dispute", "email", "es", "Factura {inv} no conforme",
     "Buenos días,\n\nRechazamos la factura {inv}: se nos ha aplicado un precio distinto del pactado en el "
     "contrato. Solicitamos su anulación y una nueva factura correcta.\n\nAtentamente,\n{name}\n{company}"),
    ("disp-es-9", "dispute", "call", "es", None,
     "Agente: Buenas, le llamo por la factura {inv}.\nCliente: Mire, esa no la pagamos hasta que nos cambien "
     "las piezas defectuosas. Ya lo hablé con su comercial.\nAgente: Entendido, lo anoto como reclamación.\n"
     "Cliente: Gracias."),
    ("disp-es-10", "dispute", "sms", "es", None,
     "Oigan, nos han facturado dos veces el mismo pedido, la {inv} está duplicada. No pagamos. {name}"),

    # ---- invoice_request --------------------------------------------------------------------------
    ("invreq-en-13", "invoice_request", "email", "en", "Invoice {inv} - needs to go through our portal",
     "Hello,\n\nWe only pay invoices submitted through our supplier portal. Could you upload {inv} there? "
     "Until it's in the portal we can't schedule it.\n\nThanks,\n{name}\nAccounts Payable, {company}"),
    ("invreq-en-14", "invoice_request", "sms", "en", None,
     "Hi, we never got {inv}. Pls email it over to accounts@{domain} and we'll process it. {name}"),
    ("invreq-en-15", "invoice_request", "call", "en", None,
     "Agent: Calling about {inv}.\nCustomer: Can you send me that invoice again, with the delivery note? Our "
     "auditors want both.\nAgent: Sure, same email as before?\nCustomer: Yes, thanks."),
    ("invreq-fr-8", "invoice_request", "email", "fr", "Besoin de la facture originale",
     "Bonjour,\n\nPour notre dossier de subvention, nous avons besoin de l'original de la facture {inv}, "
     "tamponné et signé. Pourriez-vous nous l'envoyer par courrier ?\n\nMerci beaucoup,\n{name}"),
    ("invreq-fr-9", "invoice_request", "sms", "fr", None,
     "Bonjour, vous pouvez me renvoyer la facture {inv} à compta@{domain} svp ? Je crois qu'elle est partie "
     "dans les spams."),
    ("invreq-fr-10", "invoice_request", "call", "fr", None,
     "Agent : Bonjour, je vous appelle pour la facture {inv}.\nClient : Je ne la trouve pas dans nos papiers. "
     "Vous pouvez me l'envoyer avec le bon de livraison ?\nAgent : Bien sûr, je vous l'envoie aujourd'hui.\n"
     "Client : Parfait, je la ferai valider."),
    ("invreq-de-8", "invoice_request", "sms", "de", None,
     "Hallo, bitte Rechnung {inv} nochmal schicken, die Mail ist bei uns nicht angekommen. Danke {name}"),
    ("invreq-de-9", "invoice_request", "email", "de", "Rechnung im Original benötigt",
     "Guten Tag,\n\nfür unsere Förderstelle benötigen wir die Rechnung {inv} im Original mit Unterschrift. "
     "Können Sie uns diese per Post zukommen lassen?\n\nVielen Dank\n{name}\n{company}"),
    ("invreq-de-10", "invoice_request", "call", "de", None,
     "Agent: Guten Tag, wir vermissen noch die Zahlung zu {inv}.\nKunde: Dazu liegt mir keine Rechnung vor. "
     "Können Sie mir die bitte mailen, zusammen mit einem Kontoauszug?\nAgent: Ja, geht heute raus.\nKunde: "
     "Danke."),
    ("invreq-es-8", "invoice_request", "email", "es", "Factura en formato electrónico",
     "Hola,\n\nDesde este mes solo aceptamos facturas electrónicas. ¿Nos podrían reenviar la factura {inv} en "
     "formato electrónico a través de la plataforma?\n\nGracias,\n{name}\nCuentas a pagar"),
    ("invreq-es-9", "invoice_request", "call", "es", None,
     "Agente: Buenas tardes, llamo por la factura {inv}.\nCliente: No me consta esa factura. ¿Me la puede "
     "enviar por correo con el albarán?\nAgente: Claro, ahora mismo.\nCliente: Gracias, así la paso a pagos."),
    ("invreq-es-10", "invoice_request", "sms", "es", None,
     "Hola, ¿me mandáis copia de la factura {inv}? La necesito para la gestoría. {name}"),

    # ---- question ---------------------------------------------------------------------------------
    ("q-en-13", "question", "sms", "en", None, "Quick q - does the {amount} on {inv} include VAT? {name}"),
    ("q-en-14", "question", "email", "en", "Early settlement",
     "Hello,\n\nIf we settle all open invoices before the end of the month, would you offer any discount? And "
     "do you need us to quote each invoice number on the transfer?\n\nRegards,\n{name}\n{company}"),
    ("q-en-15", "question", "call", "en", None,
     "Agent: Hello, accounts.\nCustomer: Hi, what's the cut-off for payments to count this month? And is there "
     "a minimum for card payments?\nAgent: I'll check and call you back.\nCustomer: Thanks."),
    ("q-fr-8", "question", "email", "fr", "Modalités de paiement",
     "Bonjour,\n\nQuels sont vos délais de paiement habituels ? Est-il possible de payer par prélèvement "
     "automatique chaque mois ?\n\nMerci,\n{name}"),
    ("q-fr-9", "question", "call", "fr", None,
     "Agent : Comptabilité, bonjour.\nClient : Bonjour, petite question : la facture {inv}, elle est à payer "
     "à 30 jours ou à réception ?\nAgent : Je regarde.\nClient : Et vous acceptez les virements instantanés ?"),
    ("q-fr-10", "question", "sms", "fr", None, "Bonjour, quel est le montant exact restant dû sur la {inv} ? Merci"),
    ("q-de-9", "question", "email", "de", "Frage Zahlungsart",
     "Guten Tag,\n\nkönnen wir Ihre Rechnungen künftig per Kreditkarte bezahlen? Und fallen dafür Gebühren "
     "an?\n\nMit freundlichen Grüßen\n{name}"),
    ("q-de-10", "question", "sms", "de", None, "Hallo, wie viel ist bei uns aktuell noch offen? Gruß {name}"),
    ("q-de-11", "question", "call", "de", None,
     "Agent: Buchhaltung, guten Morgen.\nKunde: Morgen, ich hätte eine Frage: Welchen Verwendungszweck sollen "
     "wir bei der Überweisung für {inv} angeben?\nAgent: Einfach die Rechnungsnummer.\nKunde: Alles klar, "
     "danke."),
    ("q-es-8", "question", "sms", "es", None, "Hola, ¿aceptáis Bizum para pagar la {inv}? {name}"),
    ("q-es-9", "question", "email", "es", "Consulta vencimiento",
     "Buenas tardes,\n\n¿Podrían confirmarme la fecha de vencimiento de la factura {inv}? En nuestro sistema "
     "aparece una fecha diferente.\n\nGracias,\n{name}"),
    ("q-es-10", "question", "call", "es", None,
     "Agente: Cobros, buenos días.\nCliente: Hola, una duda: ¿si pago hoy con tarjeta se aplica algún "
     "recargo?\nAgente: No, ninguno.\nCliente: ¿Y puedo pagar solo una parte ahora?"),

    # ---- out_of_office ----------------------------------------------------------------------------
    ("ooo-en-12", "out_of_office", "email", "en", "Out of office: {inv}",
     "Hi, I'm on leave from today and returning {date}. Messages are not being checked. Accounts queries: "
     "finance@{domain}. Thanks, {name}"),
    ("ooo-en-13", "out_of_office", "sms", "en", None,
     "Auto-response: {name} is unavailable until {date}. Messages will be read on return."),
    ("ooo-en-14", "out_of_office", "email", "en", "Automatic reply: Statement",
     "Thank you for your email. Please note that I work Monday to Wednesday only. I will reply on my next "
     "working day.\n\n{name} | {company}"),
    ("ooo-fr-8", "out_of_office", "email", "fr", "Absence du bureau",
     "Bonjour,\n\nJe serai absent à partir du {date} et jusqu'au 2 janvier inclus, sans accès à mes courriels. "
     "Votre message ne sera pas transféré.\n\nCordialement,\n{name}"),
    ("ooo-fr-9", "out_of_office", "email", "fr", "Réponse automatique : Relance",
     "Merci pour votre message. Je suis en formation toute la semaine et répondrai dès que possible. Pour une "
     "urgence : accueil@{domain}."),
    ("ooo-fr-10", "out_of_office", "sms", "fr", None,
     "Réponse auto : absent jusqu'au {date}, je vous rappelle à mon retour."),
    ("ooo-de-8", "out_of_office", "email", "de", "Abwesenheitsnotiz: Rechnung {inv}",
     "Vielen Dank für Ihre E-Mail. Ich bin bis {date} in Elternzeit. Ihre Nachricht wird nicht automatisch "
     "weitergeleitet. Bitte schreiben Sie an team@{domain}."),
    ("ooo-de-9", "out_of_office", "sms", "de", None, "Autom. Antwort: Im Urlaub bis {date}. Keine Weiterleitung."),
    ("ooo-de-10", "out_of_office", "email", "de", "Außer Haus",
     "Guten Tag,\n\nich bin heute und morgen außer Haus und kann Ihre Nachricht erst ab {date} bearbeiten.\n\n"
     "Freundliche Grüße\n{name}"),
    ("ooo-es-8", "out_of_office", "email", "es", "Respuesta automática: Recordatorio",
     "Hola, estoy de permiso hasta el {date}. No tendré acceso al correo durante este tiempo. Para temas "
     "urgentes, llame a la centralita.\n\n{name}"),
    ("ooo-es-9", "out_of_office", "sms", "es", None,
     "Mensaje automático: estoy fuera hasta el {date}. Contestaré a mi regreso."),
    ("ooo-es-10", "out_of_office", "email", "es", "Fuera de la oficina: Factura {inv}",
     "Gracias por su correo. Estoy asistiendo a una feria y volveré a la oficina el {date}. Su mensaje será "
     "atendido a mi vuelta.\n\nSaludos,\n{name}\n{company}"),

    # ---- wrong_contact ----------------------------------------------------------------------------
    ("wrong-en-13", "wrong_contact", "email", "en", "Re: Payment reminder {inv}",
     "Hi,\n\nYou've got the wrong {name}. I'm a student and have never had any business with {company}. "
     "Please check your contact list.\n\nThanks"),
    ("wrong-en-14", "wrong_contact", "sms", "en", None,
     "This isn't {name}'s number any more, I got it a few months ago. Please update your records."),
    ("wrong-en-15", "wrong_contact", "call", "en", None,
     "Agent: Good morning, is that the finance office at {company}?\nCustomer: No, sorry, this is a school. "
     "You must have dialled the wrong number.\nAgent: Apologies, thank you."),
    ("wrong-fr-9", "wrong_contact", "sms", "fr", None, "Bonjour, vous avez le mauvais numéro, ce n'est pas {company} ici."),
    ("wrong-fr-10", "wrong_contact", "email", "fr", "Re: Facture {inv}",
     "Bonjour,\n\n{name} a quitté l'entreprise le mois dernier et je ne suis pas en charge de la facturation. "
     "Merci de contacter directement notre service comptable.\n\nBien cordialement"),
    ("wrong-fr-11", "wrong_contact", "call", "fr", None,
     "Agent : Bonjour, je cherche à joindre le service des paiements de {company}.\nClient : Ici c'est un "
     "cabinet médical, vous faites erreur.\nAgent : Pardon pour le dérangement."),
    ("wrong-de-8", "wrong_contact", "sms", "de", None,
     "Hallo, diese Nummer gehört nicht mehr {name}. Bitte in Ihrer Kartei ändern."),
    ("wrong-de-9", "wrong_contact", "email", "de", "Falscher Empfänger",
     "Guten Tag,\n\nich glaube, Sie haben die falsche E-Mail-Adresse. Ich arbeite nicht für {company} und "
     "kenne die Rechnung {inv} nicht.\n\nMit freundlichen Grüßen\n{name}"),
    ("wrong-de-10", "wrong_contact", "call", "de", None,
     "Agent: Guten Tag, ist dort die Buchhaltung von {company}?\nKunde: Nein, hier ist ein Privathaushalt. Die "
     "Firma gibt es hier nicht.\nAgent: Entschuldigen Sie die Störung."),
    ("wrong-es-8", "wrong_contact", "sms", "es", None,
     "Hola, se han equivocado de persona. No sé nada de {company} ni de ninguna factura."),
    ("wrong-es-9", "wrong_contact", "email", "es", "Re: Factura pendiente {inv}",
     "Buenas,\n\n{name} ya no forma parte de nuestro equipo y yo no me ocupo de los pagos. Les ruego que "
     "contacten con administración.\n\nGracias"),
    ("wrong-es-10", "wrong_contact", "call", "es", None,
     "Agente: Buenas tardes, ¿es el teléfono de {company}?\nCliente: No, es un número personal. Creo que "
     "tienen un dato erróneo.\nAgente: Disculpe, lo corregimos."),

    # ---- unsubscribe ------------------------------------------------------------------------------
    ("unsub-en-12", "unsubscribe", "sms", "en", None, "Remove me from your SMS list please"),
    ("unsub-en-13", "unsubscribe", "email", "en", "Unsubscribe from payment reminders",
     "Hi,\n\nPlease stop all automated reminder emails to this address. We don't want to receive these "
     "messages any more.\n\nRegards,\n{name}"),
    ("unsub-en-14", "unsubscribe", "call", "en", None,
     "Agent: Hi, I'm calling on behalf of accounts receivable.\nCustomer: Please stop calling this number. I "
     "don't want any more calls or messages from you.\nAgent: Understood, I'll update our records."),
    ("unsub-fr-8", "unsubscribe", "sms", "fr", None, "Désabonnement svp. Je ne veux plus recevoir ces messages."),
    ("unsub-fr-9", "unsubscribe", "email", "fr", "Plus de relances par mail",
     "Bonjour,\n\nMerci de retirer mon adresse de votre liste d'envoi. Je ne souhaite plus recevoir de "
     "courriels automatiques de votre part.\n\n{name}"),
    ("unsub-fr-10", "unsubscribe", "call", "fr", None,
     "Agent : Bonjour, service clients.\nClient : Oui, je voudrais que vous arrêtiez de m'appeler et de "
     "m'envoyer des SMS. Supprimez mon numéro.\nAgent : Entendu, c'est fait."),
    ("unsub-de-8", "unsubscribe", "sms", "de", None, "Bitte diese Nummer aus dem Verteiler nehmen. Keine SMS mehr."),
    ("unsub-de-9", "unsubscribe", "email", "de", "Abmeldung",
     "Guten Tag,\n\nbitte nehmen Sie mich aus Ihrem E-Mail-Verteiler. Ich möchte keine weiteren Nachrichten von "
     "Ihnen erhalten.\n\nDanke\n{name}"),
    ("unsub-de-10", "unsubscribe", "call", "de", None,
     "Agent: Guten Tag, Kundenservice.\nKunde: Ja, hallo. Ich will, dass Sie meine Daten löschen und mich "
     "nicht mehr kontaktieren.\nAgent: Verstanden, ich leite das weiter."),
    ("unsub-es-9", "unsubscribe", "sms", "es", None, "Baja de sus mensajes por favor. No quiero más SMS."),
    ("unsub-es-10", "unsubscribe", "email", "es", "No quiero recibir más correos",
     "Hola,\n\nPor favor, eliminen mi dirección de su lista de correo. No quiero recibir más mensajes "
     "suyos.\n\n{name}"),
    ("unsub-es-11", "unsubscribe", "call", "es", None,
     "Agente: Buenos días, le llamo de atención al cliente.\nCliente: Por favor, no me vuelvan a llamar ni a "
     "escribir. Borren mis datos.\nAgente: De acuerdo, lo tramitamos."),

    # ---- other ------------------------------------------------------------------------------------
    ("other-en-13", "other", "email", "en", "Holiday opening hours",
     "Hi,\n\nCould you let us know your warehouse opening hours over Christmas? We'd like to collect an order "
     "before the break.\n\nThanks,\n{name}"),
    ("other-en-14", "other", "sms", "en", None,
     "Hi, parcel arrived but the box was open. Contents ok though. Just fyi. {name}"),
    ("other-en-15", "other", "call", "en", None,
     "Agent: Accounts receivable, hello.\nCustomer: Hi, I'm trying to reach your IT support, our login to the "
     "ordering site isn't working.\nAgent: I'll give you their number."),
    ("other-fr-9", "other", "email", "fr", "Nouveau site de livraison",
     "Bonjour,\n\nÀ partir du {date}, merci de livrer nos commandes à notre nouvel entrepôt de Lyon, 8 rue des "
     "Tanneurs.\n\nBonne journée,\n{name}"),
    ("other-fr-10", "other", "sms", "fr", None,
     "Bonjour, votre technicien a oublié sa sacoche chez nous. Il peut passer la récupérer ? {name}"),
    ("other-fr-11", "other", "call", "fr", None,
     "Agent : Bonjour, comptabilité.\nClient : Bonjour, je voudrais un devis pour 50 chaises de bureau, vous "
     "pouvez me passer quelqu'un ?\nAgent : Je vous transfère au commercial."),
    ("other-de-8", "other", "email", "de", "Neue Ansprechpartnerin Einkauf",
     "Guten Tag,\n\nab sofort ist Frau Neumann Ihre Ansprechpartnerin für alle Bestellungen. Ihre Kontaktdaten "
     "finden Sie in der Signatur.\n\nViele Grüße\n{name}"),
    ("other-de-9", "other", "sms", "de", None,
     "Hallo, könnt ihr morgen statt heute liefern? Wir haben Inventur. {name}"),
    ("other-de-10", "other", "call", "de", None,
     "Agent: Guten Tag, Buchhaltung.\nKunde: Hallo, ich möchte gern einen Besuchstermin mit Ihrem Außendienst "
     "vereinbaren, wegen der neuen Produkte.\nAgent: Ich verbinde Sie mit dem Vertrieb."),
    ("other-es-8", "other", "email", "es", "Horario de entrega",
     "Hola,\n\nOs escribimos para pediros que las entregas se hagan por la mañana, ya que por la tarde el "
     "almacén está cerrado.\n\nGracias,\n{name}"),
    ("other-es-9", "other", "sms", "es", None, "Hola, el pedido llegó perfecto, muchas gracias por la rapidez! {name}"),
    ("other-es-10", "other", "call", "es", None,
     "Agente: Administración, dígame.\nCliente: Hola, quería saber si tienen en stock el modelo nuevo de "
     "impresora.\nAgente: Eso se lo miran en ventas, le paso."),
]

BATCHES = (MESSAGES, MESSAGES_2, MESSAGES_3)  # in the order written; each has its own split draw
ALL_MESSAGES = [m for batch in BATCHES for m in batch]

HELDOUT_SHARE = 0.3
SPLIT_SEED = 20261123
RENDERINGS = 2

NAMES = ["Marie Dupont", "John Carter", "Anna Schmidt", "Lucía García", "Paul Martin", "Sarah O'Neil",
         "Jürgen Weber", "Claire Moreau", "David Chen", "Elena Rossi", "Tom Baker", "Sophie Leroy"]
COMPANIES = [("Dupont SARL", "dupont.example"), ("Carter & Sons Ltd", "carter.example"),
             ("Schmidt GmbH", "schmidt.example"), ("García Hermanos SL", "garcia.example"),
             ("Northwind Traders", "northwind.example"), ("Blue Harbour Inc", "blueharbour.example")]
INVOICE_FORMATS = ["INV-2026-{n:04d}", "F-{n:05d}", "RE-{n:04d}", "FAC-{n:04d}"]
AMOUNTS = {
    "en": ["£1,250.00", "$980.50", "EUR 2,400.00", "€1,125.40", "$12,000"],
    "fr": ["1 250,00 €", "980,50 EUR", "2 400 €", "315,90 €"],
    "de": ["1.250,00 €", "980,50 EUR", "2.400 EUR", "315,90 €"],
    "es": ["1.250,00 €", "980,50 EUR", "2.400 €"],
}
DATES = {
    "en": ["next Thursday", "28.11.2026", "December 3rd", "Friday", "the 15th of December", "30/11/2026"],
    "fr": ["30 novembre", "28.11.2026", "vendredi prochain", "5 décembre 2026", "15/12/2026"],
    "de": ["28.11.2026", "3. Dezember", "nächsten Freitag", "15.12.2026"],
    "es": ["30 de noviembre", "28/11/2026", "próximo viernes", "5 de diciembre"],
}
TASK_TITLES = {
    "promise_to_pay": "Promise to pay {inv}", "payment_sent": "Check payment received for {inv}",
    "dispute": "Dispute on {inv}", "invoice_request": "Send copy of {inv}", "question": "Customer question",
    "out_of_office": "Out of office reply", "wrong_contact": "Update contact details",
    "unsubscribe": "Unsubscribe request", "other": "Customer message", "payment_reminder": "Overdue invoice {inv}",
}
TASK_CATEGORIES = ["payment_reminder", "promise_to_pay", "dispute", "invoice_request", "question", "other"]


def render(template: str, slots: dict) -> str:
    out = template
    for key, value in slots.items():
        out = out.replace("{" + key + "}", value)
    return out


def open_tasks_for(rng: random.Random, category: str, inv: str, mentions_invoice: bool, now: datetime):
    """1-4 open tasks; returns (tasks, gold index or None) following the linking rule in the module doc."""
    n = rng.randint(1, 4)
    tasks, used = [], {inv}
    for i in range(n):
        cat = rng.choice([c for c in TASK_CATEGORIES if c != category])
        other_inv = inv
        while other_inv in used:
            other_inv = rng.choice(INVOICE_FORMATS).format(n=rng.randint(100, 99999))
        used.add(other_inv)
        tasks.append({"title": TASK_TITLES[cat].format(inv=other_inv), "category": cat,
                      "invoice_numbers": [other_inv],
                      "last_activity_at": (now - timedelta(days=rng.randint(1, 40), hours=i)).isoformat()})
    roll = rng.random()
    gold = None
    if mentions_invoice and roll < 0.6:
        gold = rng.randrange(n)  # the task about the invoice the message names
        tasks[gold]["invoice_numbers"] = [inv]
        tasks[gold]["title"] = TASK_TITLES[tasks[gold]["category"]].format(inv=inv)
    elif category not in ("out_of_office", "other") and roll < 0.8:
        gold = rng.randrange(n)  # a task of the same category, no invoice named in common
        tasks[gold]["category"] = category
        tasks[gold]["title"] = TASK_TITLES[category].format(inv=tasks[gold]["invoice_numbers"][0])
    if category == "out_of_office" and gold is None:
        gold = max(range(n), key=lambda i: tasks[i]["last_activity_at"])  # the reminder it answers
    for i, t in enumerate(tasks):
        t["id"] = f"task-{i}"
    return tasks, gold


def split_templates() -> set[str]:
    """The held-out template ids. Drawn per batch (``BATCHES``, in the order written), so a later batch
    never moves an earlier template across the split; within a batch, per category, ``HELDOUT_SHARE`` of
    the templates in shuffled order, taking first one of each language not yet covered."""
    rng = random.Random(SPLIT_SEED)
    held: set[str] = set()
    for batch in BATCHES:
        for category in sorted({m[1] for m in batch}):
            templates = sorted((m for m in batch if m[1] == category), key=lambda m: m[0])
            rng.shuffle(templates)
            want = max(1, round(HELDOUT_SHARE * len(templates)))
            chosen: list[str] = []
            for m in templates:
                if len(chosen) < want and m[3] not in {t[3] for t in templates if t[0] in chosen}:
                    chosen.append(m[0])
            for m in templates:
                if len(chosen) < want and m[0] not in chosen:
                    chosen.append(m[0])
            held.update(chosen)
    return held


def check_split(held: set[str]) -> None:
    ids = [m[0] for m in ALL_MESSAGES]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate template ids")
    for name, side in (("held-out", [m for m in ALL_MESSAGES if m[0] in held]),
                       ("train", [m for m in ALL_MESSAGES if m[0] not in held])):
        for field, index in (("category", 1), ("language", 3)) + ((("channel", 2),) if name == "held-out" else ()):
            missing = {m[index] for m in ALL_MESSAGES} - {m[index] for m in side}
            if missing:
                raise SystemExit(f"{name} part lacks {field} {sorted(missing)}")


def build() -> tuple[list[dict], list[dict]]:
    rng = random.Random(SEED)
    now = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
    held = split_templates()
    check_split(held)
    train, heldout = [], []
    for tid, category, channel, lang, subject, body in ALL_MESSAGES:
        for k in range(RENDERINGS):
            company, domain = rng.choice(COMPANIES)
            inv = rng.choice(INVOICE_FORMATS).format(n=rng.randint(100, 99999))
            slots = {"inv": inv, "amount": rng.choice(AMOUNTS[lang]), "date": rng.choice(DATES[lang]),
                     "name": rng.choice(NAMES), "company": company, "domain": domain}
            text = render(body, slots)
            subj = render(subject, slots) if subject else None
            mentions = inv in text or (subj is not None and inv in subj)
            tasks, gold = open_tasks_for(rng, category, inv, mentions, now)
            record = {"id": f"{tid}-{k}", "template": tid, "category": category, "channel": channel,
                      "language": lang, "subject": subj, "body": text, "open_tasks": tasks,
                      "gold_task": None if gold is None else tasks[gold]["id"],
                      "facts": {"invoice_numbers": [inv] if mentions else [],
                                "amount": slots["amount"] if "{amount}" in body else None,
                                "date": slots["date"] if "{date}" in body else None}}
            (heldout if tid in held else train).append(record)
    return train, heldout


def main() -> None:
    train, heldout = build()
    for name, rows in (("train", train), ("heldout", heldout)):
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    held = {r["template"] for r in heldout}
    print(f"{len(ALL_MESSAGES)} templates ({len(ALL_MESSAGES) - len(held)} train, {len(held)} held-out; "
          f"template-disjoint): {len(train)} train, {len(heldout)} held-out messages")


if __name__ == "__main__":
    main()
