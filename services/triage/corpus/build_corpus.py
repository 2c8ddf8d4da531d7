"""Builds the labelled triage corpus (train.jsonl, heldout.jsonl) from the hand-written messages below.

``python services/triage/corpus/build_corpus.py`` rewrites both files; it is deterministic (seeded).

Every message was written for this project: inbound emails, SMS and call transcripts a collections team
receives, in English, French, German and Spanish. Slots ({inv}, {amount}, {date}, {name}, {company}) are
filled with different values per rendering, and each message is placed in front of 1-4 open tasks of the
customer, so the corpus also measures linking: the gold task is the one whose invoice the message names,
else the one of the same category, else the most recently active one for an out-of-office reply, else none
(a new task). The held-out part takes about 30 % of the renderings of every template, and a few templates
(``HELDOUT_ONLY``) appear only in it, so part of the held-out text was never seen in training at all.
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
]

# Templates kept out of training entirely: the held-out part also measures text never seen in training.
HELDOUT_ONLY = {"ptp-en-5", "paid-en-5", "disp-en-4", "invreq-en-4", "q-en-4", "ooo-en-4", "wrong-en-4",
                "unsub-en-4", "other-en-4"}
RENDERINGS = 3

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
    "es": ["30 de noviembre", "28/11/2026", "el próximo viernes", "5 de diciembre"],
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
    if category == "out_of_office":
        gold = max(range(n), key=lambda i: tasks[i]["last_activity_at"])  # the reminder it answers
    for i, t in enumerate(tasks):
        t["id"] = f"task-{i}"
    return tasks, gold


def build() -> tuple[list[dict], list[dict]]:
    rng = random.Random(SEED)
    now = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
    train, heldout = [], []
    for tid, category, channel, lang, subject, body in MESSAGES:
        indexes = list(range(RENDERINGS))
        held = set(indexes) if tid in HELDOUT_ONLY else {rng.randrange(RENDERINGS)}
        for k in indexes:
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
            (heldout if k in held else train).append(record)
    return train, heldout


def main() -> None:
    train, heldout = build()
    for name, rows in (("train", train), ("heldout", heldout)):
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(train)} train, {len(heldout)} held-out messages from {len(MESSAGES)} templates")


if __name__ == "__main__":
    main()
