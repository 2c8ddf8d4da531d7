"""Pure rules of the notifications service: no I/O, no clock, no randomness of their own.

- which delivery state may follow which (E2), so a late or repeated provider
  callback can never move a delivery backwards;
- when to try a send again (exponential backoff with full jitter, bounded), and how long a send may
  take before its timer may be taken over;
- what a send request must satisfy before anything leaves (addresses,
  attachment sizes, template variables);
- tenant templates: sandboxed jinja2, refused at save with the line at fault (E4);
- what HTML an email may carry (sanitised with nh3, keeping what email layout needs);
- per-tenant / per-provider rate limits as token buckets;
- which in-app notifications a user also gets by email (A4, E5).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import html as html_lib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

import nh3
from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

# ---- delivery states (E2) ------------------------------------------------------------------

TERMINAL_FAILURES = frozenset({"bounced", "failed", "returned"})

# state -> the states a delivery may move to from it. "clicked" implies the message was seen, so
# an open reported after a click is kept out (it adds nothing and would read as going backwards).
# A provider's report or an open can come while the send that caused it is still being settled (a
# batch settles together): it implies "sent", so a queued delivery takes it, and the settle's own
# "sent" then changes nothing.
TRANSITIONS: dict[str, frozenset[str]] = {
    "queued": frozenset({"sent", "failed", "bounced", "delivered", "opened", "clicked", "returned"}),
    "sent": frozenset({"delivered", "bounced", "failed", "opened", "clicked", "returned"}),
    "delivered": frozenset({"opened", "clicked", "returned", "bounced"}),
    "opened": frozenset({"clicked"}),
    "clicked": frozenset(),
    "bounced": frozenset(),
    "failed": frozenset(),
    "returned": frozenset(),
}
STATES = tuple(TRANSITIONS)


def next_state(current: str, reported: str) -> str | None:
    """The state a delivery takes when ``reported`` arrives, or None when the report changes nothing.

    A repeated report (a provider retrying its callback, a second open) and a report that would
    go backwards (``delivered`` after ``opened``, anything after a bounce) are ignored, never errors:
    providers deliver callbacks at least once and out of order.
    """
    if current not in TRANSITIONS or reported not in TRANSITIONS:
        raise ValueError(f"unknown delivery state {current!r} -> {reported!r}")
    return reported if reported in TRANSITIONS[current] else None


# ---- retries (E3) ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_s: float = 2.0
    cap_s: float = 600.0

    def delay_s(self, attempt: int, rand: float) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]; ``rand`` in [0, 1).

        Jitter keeps a thousand messages refused at the same moment from all coming back at the
        same moment. Never below 10% of the step, so a retry is never immediate.
        """
        if attempt < 1:
            raise ValueError("attempts count from 1")
        step = min(self.cap_s, self.base_s * 2 ** (attempt - 1))
        return max(step * 0.1, step * rand)

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


def send_time_left(now: datetime, claimed_at: datetime, claimed_until: datetime, *,
                   batch_deadline_s: float, margin_share: float) -> float | None:
    """Seconds an attempt (look-up and send together) starting at ``now`` may take; None: it must not start.

    Once the timer's lease ends another replica may take the send over, find its outcome unknown, look
    it up, find nothing and send: a call of ours still on the wire then reaches the customer twice. So
    every call ends a share of the lease before it does (replicas' clocks differ, a busy process cuts
    a call off late, a provider finishes what it already had). The batch deadline counts from the claim,
    since a batch may wait for a worker first; sends it leaves go again soon instead of with a sliver
    of time.
    """
    if not 0 < margin_share < 1:
        raise ValueError("the margin is a share of the lease, between 0 and 1")
    must_end = claimed_until - (claimed_until - claimed_at) * margin_share
    start_by = min(claimed_at + timedelta(seconds=batch_deadline_s), must_end)
    return (must_end - now).total_seconds() if now < start_by else None


# ---- send requests ---------------------------------------------------------------------------

class Refused(ValueError):
    """A request that must send nothing; ``code`` and ``reason`` go on the failed delivery."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # per message, decoded; most receiving servers refuse beyond
MAX_SMS_CHARS = 1600  # 10 concatenated segments


def valid_email(address: str) -> bool:
    name, addr = parseaddr(address)
    return addr == address.strip() and len(address) <= 254 and bool(EMAIL_RE.match(address))


def check_address(channel: str, address: str) -> None:
    if channel == "email" and not valid_email(address):
        raise Refused("INVALID_ADDRESS", f"not an email address: {address!r}")
    if channel == "sms" and not E164_RE.match(address):
        raise Refused("INVALID_ADDRESS", f"not an E.164 phone number: {address!r}")


# ---- email copies of in-app notifications (A4, E5) ------------------------------------------------

def email_copies(kind: str, user_ids: list, settings: dict[str, dict]) -> list[tuple[str, str]]:
    """(user id, address) for each in-app recipient who asked for this kind by email, once per user.

    ``settings`` maps a user id (as a string) to its row: ``email`` and ``email_kinds``. A user with
    no row, or with an address that is no longer a valid one, gets the in-app notification only."""
    copies, seen = [], set()
    for user_id in user_ids:
        key = str(user_id) if user_id is not None else None
        row = settings.get(key) if key else None
        if key in seen or row is None or kind not in row["email_kinds"] or not valid_email(row["email"]):
            continue
        seen.add(key)
        copies.append((key, row["email"]))
    return copies


# ---- sender identities (per tenant) -----------------------------------------------------------------

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def sender_identity(address: str, default: bool) -> str:
    """A tenant's sender identity, normalised: a whole domain ("acme.example") or one mailbox
    ("billing@acme.example"). The default one, used for senders outside them, must be a mailbox."""
    normal = address.strip().lower()
    if "@" in normal:
        if not valid_email(normal):
            raise Refused("INVALID_ADDRESS", f"not an email address: {address!r}")
    elif not DOMAIN_RE.match(normal):
        raise Refused("INVALID_ADDRESS", f"neither a domain nor an email address: {address!r}")
    elif default:
        raise Refused("DEFAULT_NEEDS_MAILBOX", "the default sender identity must be a mailbox, not a domain")
    return normal


# Who may prove a domain is theirs by mail: the addresses the CA/B Forum accepts for domain validation
# (Baseline Requirements 3.2.2.4.4), which a domain's owner does not hand out to others.
DOMAIN_VERIFIERS = ("admin", "administrator", "hostmaster", "postmaster", "webmaster")
VERIFICATION_TTL_DAYS = 7
VERIFICATION_RESEND_S = 60


def mail_verification_again(identity: dict | None, sent_to: str, now: datetime) -> bool:
    """Whether saving an unverified identity mails a new link: not to the same mailbox within a minute of
    the last (each save would otherwise have the platform mail whatever address an admin types, as often
    as they like); at once to another of its mailboxes, or when no link is live."""
    expires = (identity or {}).get("verification_expires_at")
    if expires is None or expires <= now or (identity or {}).get("verification_sent_to") != sent_to:
        return True
    sent_at = expires - timedelta(days=VERIFICATION_TTL_DAYS)
    return now - sent_at >= timedelta(seconds=VERIFICATION_RESEND_S)


def verification_address(identity: str, via: str | None) -> str:
    """Where the link proving control of ``identity`` goes: a mailbox itself; for a domain, one of
    its validation addresses (``postmaster@`` unless ``via`` names another)."""
    if "@" in identity:
        if via is not None:
            raise Refused("VERIFY_VIA_DOMAIN_ONLY", "a mailbox is verified at itself; verify_via is for domains")
        return identity
    via = "postmaster" if via is None else via.strip().lower()
    if via not in DOMAIN_VERIFIERS:
        raise Refused("INVALID_VERIFY_VIA", f"verify_via must be one of {', '.join(DOMAIN_VERIFIERS)}")
    return f"{via}@{identity}"


def token_digest(token: str) -> str:
    """Links are stored hashed: the table read back must not let anyone verify."""
    return hashlib.sha256(token.encode()).hexdigest()


def verification_message(identity: str, link: str, requested_by: dict) -> dict:
    """Says who asks (the tenant's name and the admin's address, as the gateway knows them): the reader
    is deciding whether that organisation may send as them, and must not take it for their own."""
    who = f"{requested_by.get('tenant') or 'a Followup customer'} ({requested_by.get('user') or 'an administrator'})"
    return {"subject": f"{requested_by.get('tenant') or 'A Followup customer'} asks to send email as {identity}",
            "body_text": (f"{who} asked to send email as {identity} through Followup.\n\n"
                          f"Only if {identity} belongs to them, open this link within {VERIFICATION_TTL_DAYS} days "
                          f"and confirm on the page it opens:\n{link}\n\n"
                          f"Otherwise ignore this message: nothing is sent as {identity} for them."),
            "body_html": None}


# Messages the platform sends for itself: from its own address, whatever the tenant declared.
PLATFORM_KINDS = frozenset({"sender_verification"})


def check_display_name(name: str | None) -> None:
    if name is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise Refused("INVALID_DISPLAY_NAME", "a display name is one line of text")


def mailbox_domain_verified(identity: str, identities: list[dict]) -> bool:
    """A mailbox on a domain the tenant proved its own needs no proof of its own."""
    if "@" not in identity:
        return False
    domain_part = identity.rpartition("@")[2]
    return any(i["address"] == domain_part and i.get("verified_at") is not None for i in identities)


@dataclass(frozen=True)
class FromLine:
    name: str | None
    address: str
    reply_to: str | None


def from_line(kind: str, sender: dict | None, identities: list[dict], platform_default: str) -> FromLine:
    if kind in PLATFORM_KINDS:
        return FromLine("Followup", platform_default, None)
    return choose_from(sender, identities, platform_default)


def choose_from(sender: dict | None, identities: list[dict], platform_default: str) -> FromLine:
    """Who an email is from. Mail leaves only from addresses the tenant declared and proved its own
    (where its SPF and DKIM are set up), or receivers are right to treat it as spoofed: a sender on a declared
    domain or mailbox sends as themself; anyone else through the tenant's default identity (else the
    platform's), under their own name and with Reply-To them, so answers still reach them."""
    email, name = (sender or {}).get("email"), (sender or {}).get("name")
    identities = [i for i in identities if i.get("verified_at") is not None]  # declared is not proven
    declared = {i["address"] for i in identities}
    if email and (email.lower() in declared or email.lower().rpartition("@")[2] in declared):
        return FromLine(name, email, None)
    default = next((i for i in identities if i["is_default"]), None)
    return FromLine(name or (default or {}).get("display_name"), default["address"] if default else platform_default,
                    email)


def attachment_bytes(attachments: list[tuple[str, str]]) -> list[bytes]:
    """Decode (filename, base64) pairs; refuse undecodable or, together, oversize attachments."""
    decoded, total = [], 0
    for filename, content in attachments:
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise Refused("INVALID_ATTACHMENT", f"attachment {filename!r} is not valid base64") from None
        total += len(data)
        if total > MAX_ATTACHMENT_BYTES:
            raise Refused("ATTACHMENT_TOO_LARGE",
                          f"attachments exceed {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB (at {filename!r})")
        decoded.append(data)
    return decoded


# ---- templates (E4) ----------------------------------------------------------------------------

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_HTML_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
TEMPLATE_PARTS = ("subject", "body_text", "body_html")


class TemplateInvalid(ValueError):
    def __init__(self, part: str, message: str, line: int | None = None):
        super().__init__(f"{part}: {message}" + (f" (line {line})" if line else ""))
        self.part, self.message, self.line = part, message, line

    def details(self) -> dict:
        return {"part": self.part, "line": self.line, "message": self.message}


def _env(part: str):
    return _HTML_ENV if part == "body_html" else _ENV


def check_template(parts: dict[str, str | None], samples: dict[str, object]) -> set[str]:
    """Validate a template when it is saved; returns the variables it uses.

    Refused: a syntax error (with its line), a variable not declared in ``samples``, and any
    failure of a test render with the sample values (a filter misused, a sandbox violation).
    """
    used: set[str] = set()
    for part, source in parts.items():
        if not source:
            continue
        try:
            ast = _env(part).parse(source)
        except TemplateSyntaxError as exc:
            raise TemplateInvalid(part, exc.message or "syntax error", exc.lineno) from None
        names = meta.find_undeclared_variables(ast)
        unknown = sorted(names - set(samples))
        if unknown:
            raise TemplateInvalid(part, f"undeclared variable(s): {', '.join(unknown)}",
                                  _line_of(source, unknown[0]))
        used |= names
        try:
            _env(part).from_string(source).render(**samples)
        except Exception as exc:  # whatever a tenant's template does wrong (a filter on the wrong type, endless recursion)
            raise TemplateInvalid(part, f"test render failed: {exc}", _render_error_line(exc)) from None
    return used


def _line_of(source: str, name: str) -> int | None:
    for number, line in enumerate(source.splitlines(), 1):
        if re.search(r"\b" + re.escape(name) + r"\b", line):
            return number
    return None


def _render_error_line(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def check_variables(declared: dict[str, object], given: dict[str, object]) -> None:
    """At send time: every given variable must be declared, and every declared one given."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise Refused("UNKNOWN_TEMPLATE_VARIABLE", f"unknown template variable(s): {', '.join(unknown)}")
    missing = sorted(set(declared) - set(given))
    if missing:
        raise Refused("MISSING_TEMPLATE_VARIABLE", f"missing template variable(s): {', '.join(missing)}")


def render(parts: dict[str, str | None], variables: dict[str, object]) -> dict[str, str | None]:
    out = {}
    for part, source in parts.items():
        if not source:
            out[part] = source
            continue
        try:
            out[part] = _env(part).from_string(source).render(**variables)
        except Exception as exc:  # whatever a tenant's template does wrong (a filter on the wrong type, endless recursion)
            raise Refused("TEMPLATE_RENDER_FAILED", f"{part}: {exc}") from None
    return out


# ---- HTML bodies -------------------------------------------------------------------------------

# Email layout is tables and inline styles (clients drop <style> blocks and classes), so those stay;
# what runs, loads, submits or reaches beyond the message goes: scripts and their content, event
# handlers, forms, frames, javascript: and data: URLs, and style properties that position or fetch.
_EMAIL_TAGS = nh3.ALLOWED_TAGS | {"font", "tfoot"}
_EMAIL_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"style", "align", "valign", "width", "height", "bgcolor", "dir", "lang", "title"},
    "a": {"href", "hreflang", "target", "name"},
    "table": {"align", "border", "cellpadding", "cellspacing", "summary"},
    "td": {"align", "colspan", "rowspan", "headers", "nowrap"},
    "th": {"align", "colspan", "rowspan", "headers", "scope", "nowrap"},
    "font": {"color", "face", "size"},
    "img": {"alt", "src", "border"},
}
_EMAIL_STYLE_PROPERTIES = frozenset({
    "color", "background-color", "font", "font-family", "font-size", "font-style", "font-weight",
    "line-height", "letter-spacing", "text-align", "text-decoration", "text-transform", "vertical-align",
    "white-space", "width", "max-width", "min-width", "height", "max-height", "min-height", "display",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-top", "border-right", "border-bottom", "border-left", "border-color", "border-style",
    "border-width", "border-radius", "border-collapse", "border-spacing",
})
_EMAIL_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid"})
# Dropped with their content: a document's <title> would otherwise show as text atop the body.
_EMAIL_DROPPED = {"script", "style", "title"}


def safe_html(html: str) -> str:
    """An email's HTML body as it may leave: user and tenant HTML is sanitised before it is stored."""
    return nh3.clean(html, tags=set(_EMAIL_TAGS), attributes=_EMAIL_ATTRIBUTES, clean_content_tags=_EMAIL_DROPPED,
                     url_schemes=set(_EMAIL_URL_SCHEMES), filter_style_properties=set(_EMAIL_STYLE_PROPERTIES),
                     link_rel="noopener noreferrer")


# ---- tracking (open pixel, click redirects) -----------------------------------------------------

HREF_RE = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?://[^"']+)\2""", re.IGNORECASE)


def link_target(href: str) -> str:
    """Where a tracked link sends the reader: the href as the browser reads it (``&amp;`` is ``&``)."""
    return html_lib.unescape(href)


def rewrite_links(html: str, make_link) -> str:
    """Replace each http(s) link of an HTML body with ``make_link(url)`` (a tracked redirect)."""
    return HREF_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{make_link(m.group(3))}{m.group(2)}", html)


def add_pixel(html: str, pixel_url: str) -> str:
    img = f'<img src="{pixel_url}" width="1" height="1" alt="" style="display:none">'
    idx = html.lower().rfind("</body>")
    return html[:idx] + img + html[idx:] if idx >= 0 else html + img


# ---- rate limits -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bucket:
    """A token bucket as stored: ``tokens`` at ``at`` (seconds), refilled at ``rate`` per second up to
    ``capacity`` (one second's worth: the burst a provider tolerates)."""

    tokens: float
    at: float

    def level(self, now: float, rate: float, capacity: float) -> float:
        return min(capacity, self.tokens + max(0.0, now - self.at) * rate)


def grant(levels: list[tuple[float, float]], wanted: int) -> tuple[int, float]:
    """How many of ``wanted`` sends may go now, given each bucket's (level, rate) that all must allow;
    and, when not all, the seconds until the next token of the slowest bucket."""
    granted = max(0, min([wanted] + [int(level) for level, _ in levels]))
    if granted == wanted:
        return granted, 0.0
    return granted, max((1 - (level - granted)) / rate for level, rate in levels if level - granted < 1)


def grant_in_turn(levels: dict[str, float], rates: dict[str, float],
                  takes: list[tuple[tuple[str, ...], int]]) -> tuple[list[tuple[int, float]], dict[str, float]]:
    """Several takes from buckets they share (a batch's providers all draw on its tenant's bucket), in
    the order given: each is granted what all its buckets allow after the takes before it (``grant``).
    Returns each take's (granted, seconds until the next token) and every bucket's level left."""
    left = dict(levels)
    out = []
    for keys, wanted in takes:
        granted, wait = grant([(left[k], rates[k]) for k in keys], wanted)
        for k in keys:
            left[k] -= granted
        out.append((granted, wait))
    return out, left


# ---- DSN (RFC 3464) ----------------------------------------------------------------------------

@dataclass(frozen=True)
class DsnReport:
    original_message_id: str | None
    recipients: list[tuple[str, str, str]]  # (address, state, reason)


def parse_dsn(raw: bytes) -> DsnReport:
    """Read a delivery status notification: which recipients of which message failed or were delayed."""
    import email
    from email import policy

    msg = email.message_from_bytes(raw, policy=policy.compat32)
    original_id = None
    recipients = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "text/rfc822-headers"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if inner is None and isinstance(payload, str):
                inner = email.message_from_string(payload)
            if inner is not None and inner.get("Message-ID"):
                original_id = inner.get("Message-ID").strip()
        if ctype == "message/delivery-status":
            blocks = part.get_payload()
            for block in blocks if isinstance(blocks, list) else []:
                action = (block.get("Action") or "").strip().lower()
                final = block.get("Final-Recipient") or block.get("Original-Recipient")
                if not final or not action:
                    continue
                address = final.split(";", 1)[-1].strip()
                status = (block.get("Status") or "").strip()
                diagnostic = (block.get("Diagnostic-Code") or "").split(";", 1)[-1].strip()
                if action == "failed":
                    recipients.append((address, "bounced", f"{status} {diagnostic}".strip()))
                elif action == "delivered":
                    recipients.append((address, "delivered", status))
    if original_id is None:
        match = re.search(rb"^Original-Message-ID:\s*(<[^>]+>)", raw, re.MULTILINE | re.IGNORECASE)
        original_id = match.group(1).decode() if match else None
    return DsnReport(original_id, recipients)


# ---- provider callbacks --------------------------------------------------------------------------

TWILIO_STATES = {"delivered": "delivered", "failed": "failed", "undelivered": "failed", "sent": "sent",
                 "read": "opened"}
LOB_STATES = {"letter.delivered": "delivered", "letter.returned_to_sender": "returned",
              "letter.failed": "failed", "letter.rejected": "failed", "letter.mailed": "sent",
              "letter.certified.delivered": "delivered", "letter.certified.returned_to_sender": "returned"}
SMTP_EVENTS = {"delivered": "delivered", "bounce": "bounced", "complaint": "bounced", "open": "opened"}


@dataclass(frozen=True)
class Callback:
    delivery_id: str | None  # ours, when the provider echoes it back
    provider_ref: str | None  # theirs otherwise
    state: str | None  # None: a status we do not track (it changes nothing)
    reason: str | None


def read_callback(provider: str, payload: dict) -> Callback:
    """A provider's status callback in its own shape -> which delivery, which E2 state, why."""
    if provider == "twilio":
        ref = payload.get("ref") or ""
        delivery_id = ref.split(":", 1)[1] if ":" in ref else None
        code = payload.get("ErrorCode")
        return Callback(delivery_id, payload.get("MessageSid"), TWILIO_STATES.get(payload.get("MessageStatus")),
                        f"twilio error {code}" if code else None)
    if provider == "lob":
        body = payload.get("body") or {}
        event = (payload.get("event_type") or {}).get("id")
        return Callback((body.get("metadata") or {}).get("delivery_id"), body.get("id"), LOB_STATES.get(event),
                        event if LOB_STATES.get(event) in TERMINAL_FAILURES else None)
    if provider == "smtp":
        match = re.match(r"^<([0-9a-f-]{36})\.[0-9a-f]{32}@", payload.get("message_id") or "")
        event = payload.get("event")
        reason = payload.get("reason") or (event if event == "complaint" else None)
        return Callback(match.group(1) if match else None, None, SMTP_EVENTS.get(event), reason)
    raise ValueError(f"unknown provider {provider!r}")
