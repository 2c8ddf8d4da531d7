"""HTTP providers for SMS and letters, behind one interface so others can be added.

- ``twilio``: the Twilio Messages API shape (form POST, basic auth, ``StatusCallback``);
- ``lob``: the Lob Letters API shape (JSON POST, ``Idempotency-Key`` header, ``metadata``,
  ``extra_service: registered``, look-up by ``metadata[delivery_id]``).

Each call carries the delivery's own id (as the idempotency key where the provider has one, and in
the callback reference), so an unknown outcome is resolved by a look-up, not by sending again.
"""
from __future__ import annotations

import base64
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol

from nameko.extensions import DependencyProvider

from notifications.mail import Outcome
from notifications.settings import NotificationSettings, load


class Provider(Protocol):
    name: str

    def send(self, delivery_id: str, tenant_id: str, request: dict) -> Outcome: ...

    def lookup(self, delivery_id: str, tenant_id: str, recipient: str) -> str | None:
        """The provider's reference of an earlier accepted call for this delivery, if any."""


def _http(method: str, url: str, *, auth: tuple[str, str], timeout: float, data: bytes | None = None,
          headers: dict | None = None) -> tuple[int, dict]:
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Authorization": f"Basic {token}", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            body = {}
        return exc.code, body


def _not_sent(exc: OSError) -> bool:
    """True when the request cannot have reached the provider (no connection was made); a timeout or a
    connection dropped after that may have come after the provider took it."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror)) or (
        isinstance(exc, urllib.error.URLError) and isinstance(reason, str))


def _unreachable(name: str, exc: OSError) -> Outcome:
    return Outcome(False, reason=f"{name} unreachable: {exc!r}"[:500], unknown=not _not_sent(exc))


def _outcome(status: int, body: dict, ref_key: str) -> Outcome:
    if 200 <= status < 300:
        return Outcome(True, provider_ref=str(body.get(ref_key)))
    reason = f"HTTP {status} {body.get('message') or body.get('error') or ''}".strip()
    # 429 and 5xx are the provider's trouble (retry); other 4xx mean this request will never pass.
    return Outcome(False, permanent=status < 500 and status != 429, reason=reason)


class TwilioSms:
    name = "twilio"

    def __init__(self, s: NotificationSettings):
        self.s = s
        self.base = f"{s.sms_base_url.rstrip('/')}/2010-04-01/Accounts/{s.sms_account_sid}/Messages.json"

    def callback_url(self, tenant_id: str, delivery_id: str) -> str:
        return (f"{self.s.public_base_url.rstrip('/')}/v1/webhooks/providers/{self.name}?"
                + urllib.parse.urlencode({"ref": f"{tenant_id}:{delivery_id}"}))

    def send(self, delivery_id: str, tenant_id: str, request: dict) -> Outcome:
        form = urllib.parse.urlencode({
            "To": request["to"], "From": self.s.sms_from, "Body": request["body"],
            "StatusCallback": self.callback_url(tenant_id, delivery_id)}).encode()
        try:
            status, body = _http("POST", self.base, auth=(self.s.sms_account_sid, self.s.sms_auth_token),
                                 timeout=self.s.provider_timeout_s, data=form,
                                 headers={"Content-Type": "application/x-www-form-urlencoded",
                                          "I-Followup-Delivery": delivery_id})
        except OSError as exc:
            return _unreachable("twilio", exc)
        return _outcome(status, body, "sid")

    def lookup(self, delivery_id: str, tenant_id: str, recipient: str) -> str | None:
        # Twilio lists messages by recipient; the status callback we gave holds our delivery id.
        query = urllib.parse.urlencode({"To": recipient, "PageSize": 50})
        status, body = _http("GET", f"{self.base}?{query}", auth=(self.s.sms_account_sid, self.s.sms_auth_token),
                             timeout=self.s.provider_timeout_s)
        if status != 200:
            raise ConnectionError(f"twilio look-up answered {status}")
        wanted = self.callback_url(tenant_id, delivery_id)
        for item in body.get("messages", []):
            if item.get("status_callback") == wanted:
                return item["sid"]
        return None


class LobLetters:
    name = "lob"

    def __init__(self, s: NotificationSettings):
        self.s = s
        self.base = f"{s.letter_base_url.rstrip('/')}/v1/letters"

    def send(self, delivery_id: str, tenant_id: str, request: dict) -> Outcome:
        addr = request["address"]
        payload = {
            "description": request.get("description") or "letter",
            "to": {"name": addr["name"], "address_line1": addr["lines"][0],
                   "address_line2": " ".join(addr["lines"][1:]) or None, "address_zip": addr["postal_code"],
                   "address_city": addr["city"], "address_country": addr["country"]},
            "from": request.get("from") or {"name": "Follow-up"},
            "file": "data:application/pdf;base64," + base64.b64encode(request["pdf"]).decode(),
            "color": False,
            "extra_service": "registered" if request.get("registered") else None,
            "metadata": {"delivery_id": delivery_id, "tenant_id": tenant_id},
        }
        try:
            status, body = _http("POST", self.base, auth=(self.s.letter_api_key, ""),
                                 timeout=self.s.provider_timeout_s, data=json.dumps(payload).encode(),
                                 headers={"Content-Type": "application/json", "Idempotency-Key": delivery_id})
        except OSError as exc:
            return _unreachable("lob", exc)
        return _outcome(status, body, "id")

    def lookup(self, delivery_id: str, tenant_id: str, recipient: str) -> str | None:
        query = urllib.parse.urlencode({"metadata[delivery_id]": delivery_id})
        status, body = _http("GET", f"{self.base}?{query}", auth=(self.s.letter_api_key, ""),
                             timeout=self.s.provider_timeout_s)
        if status != 200:
            raise ConnectionError(f"lob look-up answered {status}")
        data = body.get("data") or []
        return data[0]["id"] if data else None


ADAPTERS = {"twilio": TwilioSms, "lob": LobLetters}


class Providers(DependencyProvider):
    """``channel -> Provider`` for the HTTP channels, built from settings."""

    def setup(self):
        s = load()
        self.by_channel = {"sms": ADAPTERS[s.sms_provider](s), "letter": ADAPTERS[s.letter_provider](s)}

    def get_dependency(self, worker_ctx):
        return self.by_channel
