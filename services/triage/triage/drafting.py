"""Local (no network) reply drafts and conversation grading: the fallback behind the model. Pure functions."""
from __future__ import annotations

import re

from triage import extract

GREETING = {"en": ("Hello", "Kind regards"), "fr": ("Bonjour", "Cordialement"),
            "de": ("Guten Tag", "Mit freundlichen Grüßen"), "es": ("Hola", "Saludos cordiales")}
REPLIES = {
    "en": {
        "promise_to_pay": "Thank you for your message. We have noted your commitment to pay{what}{when}. "
                          "We will check the payment on that date.",
        "payment_sent": "Thank you for letting us know. We are checking the payment{what} against our bank "
                        "statements and will confirm once it is matched.",
        "dispute": "Thank you for raising this. We are reviewing{what} with the team concerned and will come "
                   "back to you shortly; reminders are paused meanwhile.",
        "invoice_request": "Please find attached a copy of the requested invoice{what}.",
        "question": "Thank you for your question. Here is the information you asked for: ",
        "default": "Thank you for your message. We will get back to you shortly.",
    },
    "fr": {
        "promise_to_pay": "Merci pour votre message. Nous prenons note de votre engagement de paiement{what}{when}.",
        "payment_sent": "Merci de nous avoir prévenus. Nous rapprochons le paiement{what} de nos relevés.",
        "dispute": "Merci de nous avoir signalé ce point. Nous examinons{what} et revenons vers vous rapidement.",
        "invoice_request": "Veuillez trouver ci-joint une copie de la facture demandée{what}.",
        "question": "Merci pour votre question. Voici les informations demandées : ",
        "default": "Merci pour votre message. Nous revenons vers vous rapidement.",
    },
}


def local_draft(context: dict) -> dict:
    """A reply in the customer's language, from the category and facts of their latest message."""
    communication = context.get("communication") or {}
    decision = communication.get("decision") or {}
    body = communication.get("body") or ""
    language = extract.detect_language(body)
    hello, bye = GREETING.get(language, GREETING["en"])
    texts = REPLIES.get(language, REPLIES["en"])
    facts = decision.get("facts") or {}
    numbers = facts.get("invoice_numbers") or []
    what = (" (" + ", ".join(numbers) + ")") if numbers else ""
    when = f" ({facts['promised_date']})" if facts.get("promised_date") else ""
    text = texts.get(decision.get("category") or "", texts["default"]).format(what=what, when=when)
    contact = (context.get("contact_name") or "").strip()
    subject = communication.get("subject") or context.get("task_title") or "Your message"
    if not subject.lower().startswith(("re:", "aw:", "réf")):
        subject = "Re: " + subject
    agent = context.get("agent_name") or ""
    return {"subject": subject[:300],
            "body": f"{hello}{(' ' + contact) if contact else ''},\n\n{text}\n\n{bye},\n{agent}".rstrip()}


WORD = re.compile(r"[a-zà-ÿäöüßñ]{4,}", re.IGNORECASE)


def local_grade(transcript: str, criteria: list[dict]) -> list[dict]:
    """Scores each criterion by how much of its wording the agent's side of the conversation covers.

    Crude but explainable: the feedback names what was heard and what was missing.
    """
    agent_lines = [line.split(":", 1)[1] for line in transcript.splitlines()
                   if ":" in line and line.split(":", 1)[0].strip().lower() in ("agent", "rep", "sales", "agente")]
    heard = " ".join(agent_lines) if agent_lines else transcript
    heard_words = {w.lower() for w in WORD.findall(heard)}
    graded = []
    for criterion in criteria:
        wanted = [w.lower() for w in WORD.findall(f"{criterion.get('name', '')} {criterion.get('description', '')}")]
        wanted = list(dict.fromkeys(wanted))
        covered = [w for w in wanted if w in heard_words or any(h.startswith(w[:5]) for h in heard_words)]
        score = round(100.0 * len(covered) / len(wanted), 1) if wanted else 0.0
        missing = [w for w in wanted if w not in covered]
        feedback = (f"Covered: {', '.join(covered[:6]) or 'nothing recognisable'}."
                    + (f" Not heard: {', '.join(missing[:6])}." if missing else " All points addressed."))
        graded.append({"name": criterion.get("name", ""), "score": score, "feedback": feedback})
    return graded


def weighted_score(graded: list[dict], criteria: list[dict]) -> float:
    weights = {c.get("name"): float(c.get("weight") or 1) for c in criteria}
    total = sum(weights.get(g["name"], 1.0) for g in graded)
    return round(sum(g["score"] * weights.get(g["name"], 1.0) for g in graded) / total, 2) if total else 0.0
