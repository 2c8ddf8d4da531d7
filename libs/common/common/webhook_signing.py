"""Signatures of provider callbacks (inbound webhooks).

Each provider gets its own secret derived from ``WEBHOOK_SIGNING_SECRET`` (rotating one provider's
never exposes another's). A signature covers a timestamp, the path with its query (some providers
put our reference there) and the raw body: ``X-Followup-Signature: t=<unix>,v1=<hex sha256>``.
"""
from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Followup-Signature"
TOLERANCE_S = 300


def provider_secret(master: str, provider: str) -> bytes:
    return hmac.new(master.encode(), f"provider:{provider}".encode(), hashlib.sha256).digest()


def signature(secret: bytes, timestamp: int, path_qs: str, body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}.{path_qs}.".encode() + body, hashlib.sha256).hexdigest()


def sign_header(master: str, provider: str, path_qs: str, body: bytes, now: float | None = None) -> str:
    ts = int(now if now is not None else time.time())
    return f"t={ts},v1={signature(provider_secret(master, provider), ts, path_qs, body)}"


def verify(master: str, provider: str, header: str | None, path_qs: str, body: bytes,
           now: float | None = None) -> bool:
    """Constant-time check; a stale timestamp (replay) fails like a wrong signature."""
    if not header:
        return False
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        ts = int(parts.get("t", ""))
    except ValueError:
        return False
    now = now if now is not None else time.time()
    if abs(now - ts) > TOLERANCE_S:
        return False
    expected = signature(provider_secret(master, provider), ts, path_qs, body)
    return hmac.compare_digest(expected, parts.get("v1", ""))
