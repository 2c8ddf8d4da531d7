"""Email over SMTP: composing a message and the SMTP client (a nameko DependencyProvider, so tests
can replace it). Connections are pooled and reused: opening one per message costs more than sending."""
from __future__ import annotations

import json
import logging
import smtplib
import ssl
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, format_datetime

import eventlet
from eventlet.queue import LightQueue
from nameko.extensions import DependencyProvider

from notifications.settings import NotificationSettings, load

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a provider said: accepted (with its reference), or refused for now / for good."""

    accepted: bool
    permanent: bool = False
    reason: str | None = None
    provider_ref: str | None = None
    # The request may have been taken before the answer was lost (a timeout, a dropped connection once it
    # was sent): the next attempt looks it up before it sends again.
    unknown: bool = False
    # False when the provider was never called (the batch ran out of time first): not an attempt, and
    # what an earlier attempt left unknown still is.
    attempted: bool = True


def message_id_for(delivery_id: str, tenant_id: str, domain: str) -> str:
    """Ours, kept per delivery: it finds an unknown outcome again, and bounces carry it back.
    The tenant is in it because a bounce callback arrives with no caller."""
    return f"<{delivery_id}.{uuid.UUID(str(tenant_id)).hex}@{domain}>"


def compose(*, delivery_id: str, tenant_id: str, domain: str, from_addr: str, from_name: str | None,
            reply_to: str | None, to: list[str],
            cc: list[str], subject: str, body_text: str | None, body_html: str | None,
            attachments: list[tuple[str, str, bytes]], sent_at) -> Message:
    # The compat32 MIME classes, not EmailMessage: the same wire format for a fifth of the CPU
    # (EmailMessage re-parses every header through its registry): a large share of a send.
    body: Message = MIMEText(body_text or "", "plain", "utf-8")
    if body_html:
        alternative = MIMEMultipart("alternative")
        alternative.attach(body)
        alternative.attach(MIMEText(body_html, "html", "utf-8"))
        body = alternative
    if attachments:
        msg = MIMEMultipart("mixed")
        msg.attach(body)
        for filename, content_type, data in attachments:
            maintype, _, subtype = content_type.partition("/")
            part = MIMEApplication(data, subtype or "octet-stream")
            if maintype and maintype != "application":
                part.replace_header("Content-Type", f"{maintype}/{subtype or 'octet-stream'}")
            part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename)
                            if not filename.isascii() else filename)
            msg.attach(part)
    else:
        msg = body
    msg["Message-ID"] = message_id_for(delivery_id, tenant_id, domain)
    msg["Date"] = format_datetime(sent_at)
    msg["From"] = formataddr((from_name or "", from_addr), charset="utf-8")
    if reply_to:
        msg["Reply-To"] = reply_to
    if to:
        msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    # A header is one line: a subject written (or rendered from a variable) over several is joined, not
    # refused by the MIME classes on every attempt until the delivery fails.
    msg["Subject"] = _header(" ".join((subject or "").split()))
    msg["X-Followup-Delivery"] = delivery_id
    return msg


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


class SmtpClient:
    def __init__(self, settings: NotificationSettings):
        self.settings = settings
        self._idle: LightQueue = LightQueue()
        self._slots = eventlet.semaphore.Semaphore(settings.smtp_pool_size)

    def _open(self, conn: smtplib.SMTP) -> None:
        """Connect, greet (EHLO), STARTTLS and log in: everything before a message's transaction, so the
        transaction's first command is its MAIL FROM."""
        s = self.settings
        # smtplib keeps the host for STARTTLS's certificate check only when given to its constructor; a
        # connection made first and connected after must be told, or every STARTTLS fails.
        conn._host = s.smtp_host
        conn.connect(s.smtp_host, s.smtp_port)
        conn.ehlo_or_helo_if_needed()
        if s.smtp_starttls:
            conn.starttls(context=ssl.create_default_context())
            conn.ehlo_or_helo_if_needed()  # STARTTLS forgets the greeting
        if s.smtp_username:
            conn.login(s.smtp_username, s.smtp_password or "")

    def send(self, msg: Message, envelope_to: str) -> Outcome:
        """One SMTP transaction. A 4xx or a network error is retryable; a 5xx is final.

        Cut off (an ``eventlet.Timeout`` around the call fires, as the attempt's before its timer lease
        ends): while waiting for a connection slot or opening a connection, nothing was handed over, so
        the call ends with ``Outcome(attempted=False)`` (not an attempt) instead of the Timeout; the
        Timeout has fired and is spent, and the caller reads what happened from the outcome. Once the
        transaction has begun (MAIL FROM, RCPT, DATA) the server may have the message: the Timeout goes
        on to the caller, whose outcome is unknown. Either way the slot is released and a connection that
        was cut off is closed, never reused. Any other interruption (a worker killed) is raised as it came."""
        try:
            self._slots.acquire()
        except eventlet.Timeout:
            return _cut_off_before_sending("while waiting for an SMTP connection")
        try:
            try:
                conn = self._connection()
            except (smtplib.SMTPException, OSError) as exc:  # nothing was sent
                return Outcome(False, reason=f"SMTP unreachable: {exc!r}"[:500])
            except eventlet.Timeout:
                return _cut_off_before_sending("while connecting to the SMTP server")
            return self._transaction(conn, msg, envelope_to)
        finally:
            self._slots.release()

    def _connection(self) -> smtplib.SMTP:
        """An open connection: an idle one that still answers, else a new one. A server closes a
        connection left idle (RFC 5321 suggests after 5 minutes): found out at MAIL FROM, that would
        read as a transaction lost half-way, an attempt spent on a message never handed over."""
        while True:
            try:
                conn, idle_since = self._idle.get_nowait()
            except eventlet.queue.Empty:
                break
            if time.monotonic() - idle_since < self.settings.smtp_probe_idle_s or self._answers(conn):
                return conn
            self._discard(conn)
        # Made unconnected, then connected: a connection cut off half-open can be closed.
        conn = smtplib.SMTP(timeout=self.settings.smtp_timeout_s)
        try:
            self._open(conn)
        except BaseException:
            self._discard(conn)
            raise
        return conn

    def _answers(self, conn: smtplib.SMTP) -> bool:
        try:
            return conn.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False
        except BaseException:
            self._discard(conn)
            raise

    def _transaction(self, conn: smtplib.SMTP, msg: Message, envelope_to: str) -> Outcome:
        try:
            refused = conn.send_message(msg, from_addr=self.settings.bounce_address, to_addrs=[envelope_to])
        except smtplib.SMTPRecipientsRefused as exc:
            self._idle.put((conn, time.monotonic()))
            code, text = next(iter(exc.recipients.values()))
            return Outcome(False, permanent=code >= 500, reason=f"SMTP {code} {_text(text)}")
        except smtplib.SMTPResponseException as exc:
            self._discard(conn)
            return Outcome(False, permanent=exc.smtp_code >= 500 and exc.smtp_code != 554,
                           reason=f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}")
        except (smtplib.SMTPException, OSError) as exc:
            # The connection failed mid-transaction: the server may have taken the message already.
            self._discard(conn)
            return Outcome(False, reason=f"SMTP connection lost: {exc!r}"[:500], unknown=True)
        except BaseException:  # cut off (the attempt's time ran out): never reuse a half-sent connection
            self._discard(conn)
            raise
        self._idle.put((conn, time.monotonic()))
        if refused:
            code, text = refused[envelope_to]
            return Outcome(False, permanent=code >= 500, reason=f"SMTP {code} {_text(text)}")
        return Outcome(True, provider_ref=msg["Message-ID"])

    def was_accepted(self, message_id: str) -> bool | None:
        """Did the server accept ``message_id``? None when it cannot be known (no look-up configured)."""
        url = self.settings.smtp_lookup_url
        if not url:
            return None
        query = urllib.parse.urlencode({"message_id": message_id})
        with urllib.request.urlopen(f"{url.rstrip('/')}/messages?{query}", timeout=10) as resp:
            return len(json.loads(resp.read())["items"]) > 0

    @staticmethod
    def _discard(conn) -> None:
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def close(self) -> None:
        while True:
            try:
                self._discard(self._idle.get_nowait()[0])
            except eventlet.queue.Empty:
                return


def _cut_off_before_sending(where: str) -> Outcome:
    log.info("send cut off before its SMTP transaction began: not an attempt", extra={"where": where})
    return Outcome(False, reason=f"not attempted: cut off {where}, before the timer lease ends", attempted=False)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class Smtp(DependencyProvider):
    def setup(self):
        self.client = SmtpClient(load())

    def stop(self):
        self.client.close()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.client
