"""Inbound messages (B1), communications, AI-drafted replies (A1) and conversation grading (P8).

``POST /v1/inbound/{email,sms,call}`` answers 202 with a ``communication_id`` as soon as the tasks service
has stored it; triage runs afterwards, asynchronously. Accepted shapes:
- JSON ``{from, to?, subject?, body, received_at, external_id}`` (API.md), any channel; for calls also
  ``{call_id, from, to?, started_at, transcript: [{speaker, text}]}``;
- email: SendGrid Inbound Parse (``multipart/form-data``: from, to, subject, text, html, headers, envelope);
- sms and call: Twilio (``application/x-www-form-urlencoded``: From, To, Body, MessageSid; for calls the
  transcription callback: TranscriptionText, TranscriptionSid, CallSid).

Who is calling: an API key (``Authorization: Bearer``), or, for a provider that cannot send one, the
tenant in the URL (``?tenant=<tenant id>``) with a webhook signature. The tenant's webhook secret is
derived, not stored: ``HMAC-SHA256(WEBHOOK_SIGNING_SECRET, "inbound-webhook:" + tenant_id)`` (no table to
migrate or leak, rotating the platform secret rotates every tenant's; ``GET /v1/inbound/webhook-secret``
shows it to an admin). Signatures: ``X-Followup-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``,
or Twilio's own ``X-Twilio-Signature`` (base64 HMAC-SHA1 of the URL and sorted form fields, with the
tenant secret as auth token). A signature that is present is always checked, in constant time; without
an API key one is required. A bad one is 401 ``BAD_SIGNATURE`` and nothing is stored.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import html as html_lib
import json
import re
import uuid
from datetime import datetime, timezone
from email.parser import HeaderParser
from email.utils import parsedate_to_datetime
from typing import Literal

import nh3
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.context import Principal
from common.contracts.triage import (MAX_INBOUND_BODY, MAX_INBOUND_SUBJECT, GradingRequest,
                                     InboundCommunication)
from common.errors import Unauthenticated, ValidationFailed
from common.rpc import validation_details
from gateway.deps import STAFF, Caller, caller, staff
from gateway.responses import JSONResponse
from gateway.routes._util import idempotent_post

router = APIRouter(prefix="/v1", tags=["inbound"])
Channel = Literal["email", "sms", "call"]
SIGNATURE_HEADER = "x-followup-signature"


def tenant_webhook_secret(signing_secret: str, tenant_id: str) -> str:
    return hmac.new(signing_secret.encode(), f"inbound-webhook:{tenant_id}".encode(), hashlib.sha256).hexdigest()


def body_signature(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def twilio_signature(secret: str, url: str, params: dict[str, str]) -> str:
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()).decode()


def check_signature(request: Request, raw: bytes, form: dict | None, secret: str) -> bool | None:
    """True: a valid signature; False: a wrong one; None: none was sent."""
    given = request.headers.get(SIGNATURE_HEADER)
    if given is not None:
        return hmac.compare_digest(given.strip().encode(), body_signature(secret, raw).encode())
    twilio = request.headers.get("x-twilio-signature")
    if twilio is not None:
        expected = twilio_signature(secret, str(request.url), form or {})
        return hmac.compare_digest(twilio.strip().encode(), expected.encode())
    return None


class JsonInbound(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)
    from_: str = Field(alias="from", min_length=1, max_length=320)
    to: str | None = Field(None, max_length=320)
    subject: str | None = Field(None, max_length=1000)
    body: str = Field(min_length=1, max_length=200_000)
    received_at: datetime
    external_id: str = Field(min_length=1, max_length=300)


class TranscriptLine(BaseModel):
    speaker: str = Field(min_length=1, max_length=50)
    text: str = Field(max_length=20_000)


class CallTranscript(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    call_id: str = Field(min_length=1, max_length=300)
    from_: str = Field(alias="from", min_length=1, max_length=320)
    to: str | None = None
    started_at: datetime
    transcript: list[TranscriptLine] = Field(min_length=1, max_length=5000)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _digest_id(prefix: str, raw: bytes) -> str:
    return f"{prefix}-{hashlib.sha256(raw).hexdigest()[:32]}"


def parse_json(channel: str, data) -> dict:
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object", code="VALIDATION_ERROR")
    if channel == "call" and "transcript" in data:
        call = CallTranscript.model_validate(data)
        body = "\n".join(f"{line.speaker.capitalize()}: {line.text}" for line in call.transcript)
        return {"channel": channel, "from_address": call.from_, "to_address": call.to, "subject": None,
                "body": body, "received_at": call.started_at, "external_id": call.call_id}
    msg = JsonInbound.model_validate(data)
    return {"channel": channel, "from_address": msg.from_, "to_address": msg.to, "subject": msg.subject,
            "body": msg.body, "received_at": msg.received_at, "external_id": msg.external_id}


def _cut(text: str | None, limit: int) -> str | None:
    """A provider's message is kept, cut to what is stored, rather than refused: the provider would retry
    the refusal for days and then drop the message. (An API caller's JSON is refused instead, with the
    field at fault, since it can send again.)"""
    return text[:limit] if text else text


# Where a reader sees a new line, and where table cells sit apart: tags nh3 would drop without a gap.
_LINE_BREAKS = re.compile(r"<(?:br|hr)\b[^>]*>|</?(?:p|div|tr|li|h[1-6]|blockquote|table|ul|ol|dl|dt|dd|pre|center)\b[^>]*>",
                          re.IGNORECASE)
_CELLS = re.compile(r"</?t[dh]\b[^>]*>", re.IGNORECASE)


def html_text(html: str) -> str:
    """The text of an HTML-only email, as triage and the timeline read it: what a reader sees, line by
    line. nh3 parses it as a browser would, so a style sheet, a script or a comment is not taken for
    words, nor ``&eacute;`` left as it was written."""
    spaced = _CELLS.sub(" ", _LINE_BREAKS.sub("\n", html))
    text = html_lib.unescape(nh3.clean(spaced, tags=set(), clean_content_tags={"script", "style", "title"}))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def parse_sendgrid(form: dict, raw: bytes) -> dict:
    """SendGrid Inbound Parse (non-raw mode)."""
    headers = HeaderParser().parsestr(form.get("headers") or "")
    received = _now()
    if headers.get("Date"):
        try:
            received = parsedate_to_datetime(headers["Date"])
        except (TypeError, ValueError):
            pass
    if received.tzinfo is None:
        received = received.replace(tzinfo=timezone.utc)
    body = form.get("text") or html_text(form.get("html") or "")
    return {"channel": "email", "from_address": form.get("from") or "", "to_address": form.get("to"),
            "subject": _cut(form.get("subject"), MAX_INBOUND_SUBJECT), "body": _cut(body.strip(), MAX_INBOUND_BODY),
            "received_at": received,
            "external_id": (headers.get("Message-ID") or "").strip() or _digest_id("sendgrid", raw)}


def parse_twilio(channel: str, form: dict, raw: bytes) -> dict:
    if channel == "call":
        text = form.get("TranscriptionText") or ""
        external = form.get("TranscriptionSid") or form.get("CallSid")
    else:
        text = form.get("Body") or ""
        external = form.get("MessageSid") or form.get("SmsSid")
    return {"channel": channel, "from_address": form.get("From") or "", "to_address": form.get("To"),
            "subject": None, "body": _cut(text.strip(), MAX_INBOUND_BODY), "received_at": _now(),
            "external_id": external or _digest_id("twilio", raw)}


async def _identify(request: Request, tenant: uuid.UUID | None):
    state = request.app.state
    authorization = request.headers.get("authorization")
    if authorization:
        identity = await state.authenticator.identify(authorization)
        identity.require_role(*STAFF)
        state.rate_limits.take(identity.tenant_id)
        return identity, identity.tenant_id
    if tenant is None:
        raise Unauthenticated("send an API key, or ?tenant=<id> with a webhook signature")
    # A webhook's tenant is charged once its signature holds (``inbound``): the id is no secret (it is in
    # every email the tenant sends), and unsigned requests must not spend the tenant's own API budget.
    return None, str(tenant)


INBOUND_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "required": ["from", "body", "received_at", "external_id"],
                                    "properties": {"from": {"type": "string"}, "to": {"type": "string"},
                                                   "subject": {"type": "string"}, "body": {"type": "string"},
                                                   "received_at": {"type": "string", "format": "date-time"},
                                                   "external_id": {"type": "string"}}}},
    "multipart/form-data": {"schema": {"type": "object", "description": "SendGrid Inbound Parse (email)"}},
    "application/x-www-form-urlencoded": {"schema": {"type": "object",
                                                     "description": "Twilio SMS or transcription callback"}}}}}


@router.post("/inbound/{channel}", status_code=202, openapi_extra=INBOUND_BODY,
             responses={202: {"description": "accepted; triage runs asynchronously"}})
async def inbound(channel: Channel, request: Request, tenant: uuid.UUID | None = Query(None)):
    """Accept one inbound email, SMS or call transcript; 202 with its ``communication_id``."""
    identity, tenant_id = await _identify(request, tenant)
    raw = await request.body()
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    form = None
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    secret = tenant_webhook_secret(request.app.state.settings.webhook_signing_secret, tenant_id)
    signed = check_signature(request, raw, form, secret)
    if signed is False or (signed is None and identity is None):
        raise Unauthenticated("the webhook signature is missing or wrong", code="BAD_SIGNATURE")
    if identity is None:
        request.app.state.rate_limits.take(tenant_id)
    try:
        if form is None and content_type not in ("", "application/json") and not content_type.endswith("+json"):
            raise ValidationFailed(f"{content_type} is not accepted: send JSON, SendGrid's multipart form (email) "
                                   "or Twilio's form (sms, call)", code="UNSUPPORTED_INBOUND_FORMAT")
        if form is None:
            try:
                data = json.loads(raw or b"null")
            except (ValueError, RecursionError) as exc:  # 1,000 nested brackets are not a message either
                raise ValidationFailed("the body is not valid JSON", code="MALFORMED_JSON") from exc
            fields = parse_json(channel, data)
        elif content_type == "multipart/form-data" and channel == "email":
            fields = parse_sendgrid(form, raw)
        elif content_type == "application/x-www-form-urlencoded" and channel in ("sms", "call"):
            fields = parse_twilio(channel, form, raw)
        else:
            raise ValidationFailed(f"{content_type} is not accepted on the {channel} channel",
                                   code="UNSUPPORTED_INBOUND_FORMAT")
        message = InboundCommunication.model_validate(fields)
    except ValidationError as exc:
        raise ValidationFailed("inbound message validation failed", validation_details(exc)) from exc
    request_id = request.scope["state"].get("request_id")
    principal = identity.principal(request_id) if identity else Principal(tenant_id, None, "webhook", request_id)
    result = await request.app.state.rpc.call("tasks", "receive_communication", principal,
                                              payload=message.model_dump(mode="json"))
    return JSONResponse(result, status_code=202)


@router.get("/inbound/webhook-secret")
async def webhook_secret(who: Caller = Depends(caller)):
    """The tenant's inbound webhook secret and how to sign with it (admins only)."""
    who.identity.require_role("admin")
    return {"tenant_id": who.tenant_id,
            "secret": tenant_webhook_secret(who.request.app.state.settings.webhook_signing_secret, who.tenant_id),
            "signature_header": "X-Followup-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>",
            "twilio": "X-Twilio-Signature with the secret as auth token",
            "url": f"/v1/inbound/{{channel}}?tenant={who.tenant_id}"}


@router.get("/communications/{communication_id}")
async def get_communication(communication_id: uuid.UUID, who: Caller = Depends(staff)):
    """The communication and, once triage decided, its decision (task, linked/created, category, actions)."""
    return JSONResponse(await who.call("tasks", "get_communication", communication_id=str(communication_id)))


@router.get("/communications")
async def list_communications(unmatched: bool | None = None, limit: int = Query(50, ge=1, le=200),
                              cursor: str | None = None, who: Caller = Depends(staff)):
    return JSONResponse(await who.call("tasks", "list_communications", unmatched=unmatched, limit=limit,
                                       cursor=cursor))


@router.post("/tasks/{task_id}/draft-reply", status_code=201)
async def draft_reply(task_id: uuid.UUID, who: Caller = Depends(staff)):
    """A1: an AI-drafted reply to the task's latest communication, stored on an email action to review.
    With an Idempotency-Key, a retry after a lost answer replays it: one model call, one draft."""
    async def handler(key):
        context = await who.call("tasks", "draft_context", task_id=str(task_id))
        if not context.get("communication"):
            raise ValidationFailed("the task has no communication to reply to", code="NOTHING_TO_REPLY_TO")
        context["agent_name"] = who.identity.email
        draft = await who.call("triage", "draft_reply", context=context)
        action = await who.call("tasks", "store_draft_reply", key, task_id=str(task_id),
                                communication_id=context["communication"]["id"], draft=draft)
        return 201, {"action": action, "model": draft["model"], "fell_back": draft["fell_back"]}

    return await idempotent_post(who, handler)


@router.post("/grading", status_code=201)
async def grade(body: GradingRequest, who: Caller = Depends(staff)):
    """P8: score a call transcript against criteria; a score and feedback per criterion."""
    result = await who.call("triage", "grade_conversation", payload=body.model_dump(mode="json"))
    return JSONResponse(result, status_code=201)
