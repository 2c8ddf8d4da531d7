"""Reading an inbound message: strip quoted history and signatures, guess the language, extract facts.

Pure functions (no I/O). The libraries do what they do well: ``email_reply_parser`` cuts quoted replies
and signatures, ``dateparser`` reads dates in several languages ("28.11.2026", "30 novembre", "December
3rd"), ``price_parser`` reads amounts in local formats ("1 250,00 €", "1.250,00 EUR", "£1,250.00").
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from email_reply_parser import EmailReplyParser

from triage.domain import MAX_AMOUNT

# Quote headers email_reply_parser does not know (it reads English "On ... wrote:").
QUOTE_HEADERS = re.compile(
    r"^\s*(?:Le .{5,80}a écrit\s*:|Am .{5,80}schrieb.{0,60}:|El .{5,80}escribió\s*:|"
    r"-{2,}\s*(?:Original Message|Message d'origine|Ursprüngliche Nachricht|Mensaje original)\s*-{2,}|"
    r"From:\s.+|De\s?:\s.+|Von:\s.+)\s*$",
    re.IGNORECASE | re.MULTILINE,
)

STOPWORDS = {
    "en": {"the", "and", "you", "we", "is", "for", "please", "will", "have", "this", "to", "of", "thanks", "hi",
           "invoice", "payment", "our", "your", "it", "on", "not", "be"},
    "fr": {"le", "la", "les", "de", "des", "nous", "vous", "est", "pour", "merci", "bonjour", "facture", "une",
           "et", "je", "pas", "du", "au", "ce", "votre", "notre", "cordialement"},
    "de": {"der", "die", "das", "und", "wir", "sie", "ist", "bitte", "rechnung", "nicht", "mit", "ich", "ihre",
           "zu", "den", "für", "grüßen", "hallo", "danke", "auf", "eine"},
    "es": {"el", "la", "los", "las", "de", "que", "y", "para", "por", "factura", "gracias", "hola", "no",
           "un", "una", "nos", "su", "con", "saludos", "es"},
}
WORD = re.compile(r"[a-zà-ÿäöüßñ']+", re.IGNORECASE)

INVOICE_NUMBER = re.compile(r"\b(?:INV|FAC|FA|RE|F|R|RG|NR)[-/ ]?\d[\d-]{1,18}\d\b", re.IGNORECASE)

CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "EURO": "EUR", "EUROS": "EUR", "CHF": "CHF",
                    "EUR": "EUR", "USD": "USD", "GBP": "GBP"}
# The digits of an amount run 24 characters at most ("1 000 000 000,00" is 16): unbounded, a long run
# of digits and spaces with no currency after it cost time quadratic in its length (a 20,000-character
# "1 1 1 ..." took 11 s, and the service's one thread with it).
AMOUNT = re.compile(
    r"(?:(?:€|\$|£|\b(?:EUR|USD|GBP|CHF))\s?\d[\d.,'\u00a0\u202f ]{0,24}\d?|"
    r"\b\d[\d.,'\u00a0\u202f ]{0,24}\d?\s?(?:€|\$|£|(?:EUR|USD|GBP|CHF|euros?)\b))",
    re.IGNORECASE,
)

MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
          "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|"
          "decembre|januar|februar|märz|maerz|juni|juli|oktober|dezember|enero|febrero|marzo|abril|mayo|"
          "junio|julio|agosto|septiembre|octubre|noviembre|diciembre|jan|feb|mar|apr|jun|jul|aug|sep|sept|"
          "oct|nov|dec")
WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
    "montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5, "sonntag": 6,
    "lunes": 0, "martes": 1, "miércoles": 2, "miercoles": 2, "jueves": 3, "viernes": 4, "sábado": 5,
    "domingo": 6,
}
DATE_CANDIDATES = re.compile(
    r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|"
    r"\b\d{4}-\d{2}-\d{2}\b|"
    rf"\b(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th|er)?\.?\s+(?:of\s+|de\s+)?(?:{MONTHS})\b(?:\s+(?:de\s+)?\d{{4}})?|"
    rf"\b(?:{MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?|"
    rf"\b(?:next\s+|this\s+|nächsten\s+|kommenden\s+|el\s+próximo\s+|próximo\s+)?(?:{'|'.join(WEEKDAYS)})"
    r"(?:\s+prochain|\s+próximo)?\b",
    re.IGNORECASE,
)


def strip_quoted(text: str) -> str:
    """The new part of a message: quoted history and signature removed (what the sender wrote now)."""
    if not text:
        return ""
    cut = QUOTE_HEADERS.search(text)
    if cut:
        text = text[:cut.start()]
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    reply = EmailReplyParser.parse_reply("\n".join(lines))
    return reply.strip() or text.strip()


def detect_language(text: str) -> str:
    words = [w.lower() for w in WORD.findall(text)]
    if not words:
        return "en"
    scores = {lang: sum(w in stop for w in words) for lang, stop in STOPWORDS.items()}
    best = max(scores, key=lambda k: (scores[k], k == "en"))
    return best if scores[best] > 0 else "en"


def invoice_numbers(text: str, known: list[str] = ()) -> list[str]:
    """Invoice numbers the text names: known numbers found verbatim first, then anything shaped like one."""
    found: list[str] = []
    lowered = text.lower()
    for number in known:
        if number and number.lower() in lowered and number not in found:
            found.append(number)
    for match in INVOICE_NUMBER.finditer(text):
        value = match.group(0).upper().replace(" ", "-")
        if value not in found and not any(value.lower() == k.lower() for k in found):
            found.append(value)
    return found[:20]


def _currency(raw: str | None, text: str) -> str | None:
    if raw:
        key = raw.strip().upper()
        if key in CURRENCY_SYMBOLS:
            return CURRENCY_SYMBOLS[key]
        if key.startswith("EURO"):
            return "EUR"
    return None


def amount(text: str) -> tuple[Decimal | None, str | None]:
    """The first amount with a currency in the text, as (Decimal, ISO code)."""
    from price_parser import Price

    for match in AMOUNT.finditer(text):
        snippet = match.group(0).strip().rstrip(".,")
        price = Price.fromstring(snippet)
        if price.amount is None or not 0 < price.amount < MAX_AMOUNT:  # not money anyone owes
            continue
        currency = _currency(price.currency, snippet)
        if currency is None:
            continue
        return price.amount.quantize(Decimal("0.01")), currency
    return None, None


@lru_cache(maxsize=1)
def _dateparser():
    import dateparser

    return dateparser


def _weekday_date(snippet: str, today: date) -> date | None:
    words = snippet.lower().split()
    for word in words:
        if word in WEEKDAYS:
            ahead = (WEEKDAYS[word] - today.weekday()) % 7 or 7
            return today + timedelta(days=ahead)
    return None


@lru_cache(maxsize=4096)  # date phrases repeat a lot ("next Thursday", "end of month"); parsing is ~5 ms
def parse_date(snippet: str, today: date, language: str) -> date | None:
    cleaned = re.sub(r"^(?:the|el|le)\s+", "", snippet.strip(), flags=re.IGNORECASE)
    weekday = _weekday_date(cleaned, today)
    if weekday is not None:
        return weekday
    languages = list(dict.fromkeys([language, "en", "fr", "de", "es"]))
    parsed = _dateparser().parse(cleaned, languages=languages, settings={
        "PREFER_DATES_FROM": "future", "RELATIVE_BASE": datetime(today.year, today.month, today.day),
        "DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first"})
    return parsed.date() if parsed else None


def dates(text: str, today: date, language: str) -> list[date]:
    found = []
    for match in DATE_CANDIDATES.finditer(text):
        parsed = parse_date(match.group(0), today, language)
        if parsed is not None and parsed not in found:
            found.append(parsed)
    return found


def promised_date(text: str, today: date, language: str) -> date | None:
    """The first date on or after today (a promise is about the future)."""
    for found in dates(text, today, language):
        if found >= today and found <= today + timedelta(days=366):
            return found
    return None
