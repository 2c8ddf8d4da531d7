"""Notifications: the in-app inbox and its live stream, templates, delivery states, open/click
tracking and provider callbacks. Tracking and callbacks have no API key: a tracking token carries its
tenant (and 144 random bits); a callback carries a signature checked before anything is parsed."""
from __future__ import annotations

import asyncio
import base64
import html as html_lib
import json
import re
import urllib.parse
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from common.context import Principal
from common.contracts.notifications import InAppKind, NotificationSettings
from common.contracts.types import JsonObject
from common.errors import AppError, BadRequest, NotFound, Unauthenticated
from common.webhook_signing import HEADER, verify
from gateway.deps import Caller, caller, staff
from gateway.responses import JSONResponse

router = APIRouter(prefix="/v1", tags=["notifications"])

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, max-age=0"}
STREAM_POLL_S = 1.0
STREAM_HEARTBEAT_S = 15.0
PROVIDERS = ("twilio", "lob", "smtp", "dsn")
MAX_SEQ = 2**63 - 1  # an inbox item's seq is a bigint


# ---- in-app inbox (E1, E5) ------------------------------------------------------------------------

@router.get("/notifications")
async def list_notifications(limit: int = Query(50, ge=1, le=200), before: int | None = Query(None, ge=1, le=MAX_SEQ),
                             unread: bool = False, who: Caller = Depends(caller)):
    """The caller's own in-app notifications, newest first, with the unread count."""
    return JSONResponse(await who.call("notifications", "inbox", limit=limit, before_seq=before,
                                       unread_only=unread))


class MarkRead(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[uuid.UUID] | None = Field(None, description="omit to mark every notification read")


@router.post("/notifications/read")
async def mark_read(body: MarkRead, who: Caller = Depends(caller)):
    ids = [str(i) for i in body.ids] if body.ids is not None else None
    return JSONResponse(await who.call("notifications", "mark_read", ids=ids))


class NotificationSettingsView(BaseModel):
    email: str | None = Field(description="where email copies go: the user's own address")
    email_kinds: list[InAppKind] = Field(description="in-app notifications the user also gets by email")
    available_kinds: list[InAppKind]


@router.get("/me/notification-settings", response_model=NotificationSettingsView)
async def get_notification_settings(who: Caller = Depends(caller)):
    """Which of the caller's in-app notifications also come by email (A4: "and email if the user wants
    it"). None do until the user says so."""
    return JSONResponse(await who.call("notifications", "notification_settings"))


@router.put("/me/notification-settings", response_model=NotificationSettingsView)
async def put_notification_settings(body: NotificationSettings, who: Caller = Depends(caller)):
    """Replace the caller's choice; ``{"email_kinds": []}`` turns every email copy off."""
    return JSONResponse(await who.call("notifications", "save_notification_settings",
                                       payload=body.model_dump(mode="json")))


@router.get("/notifications/stream")
async def stream(request: Request, after: int | None = Query(None, ge=0, le=MAX_SEQ), who: Caller = Depends(caller)):
    """Server-sent events: ``event: notification`` for each new item, ``event: unread`` with the count.

    Starts after the ``Last-Event-ID`` a reconnecting browser sends, else ``after``, else from now. A
    browser reconnects to the same URL, so ``after`` would replay what it already had if it won.
    """
    principal = who.principal()
    rpc = request.app.state.rpc
    resumed = _int(request.headers.get("last-event-id"))
    last = resumed if resumed is not None else after
    if last is None:
        latest = await rpc.call("notifications", "inbox", principal, limit=1)
        last = latest["items"][0]["seq"] if latest["items"] else 0

    async def events():
        nonlocal last
        idle = 0.0
        # The position at once: a connection dropped before the first item resumes from here, not "now".
        yield f"retry: 2000\nid: {last}\n\n"
        while not await request.is_disconnected():
            try:
                page = await rpc.call("notifications", "inbox", principal, after_seq=last, limit=100,
                                      newest_first=False)
            except AppError:
                page = None  # the service is away for a moment: the stream stays open
            if page and page["items"]:
                for item in page["items"]:
                    last = item["seq"]
                    yield f"id: {last}\nevent: notification\ndata: {json.dumps(item)}\n\n"
                yield f"event: unread\ndata: {json.dumps({'unread_count': page['unread_count']})}\n\n"
                idle = 0.0
            else:
                idle += STREAM_POLL_S
                if idle >= STREAM_HEARTBEAT_S:
                    yield ": keep-alive\n\n"
                    idle = 0.0
            await asyncio.sleep(STREAM_POLL_S)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={**NO_STORE, "X-Accel-Buffering": "no"})


def _int(value: str | None) -> int | None:
    try:
        seq = int(value) if value is not None else None
    except ValueError:
        return None
    return seq if seq is None or 0 <= seq <= MAX_SEQ else None


# ---- delivery states (E2) ------------------------------------------------------------------------------

@router.get("/notifications/deliveries")
async def deliveries(idempotency_key: str = Query(min_length=1, max_length=200), who: Caller = Depends(staff)):
    """Every recipient of one requested notification, with its state and the time of each change."""
    return JSONResponse(await who.call("notifications", "deliveries", key=idempotency_key))


# ---- templates (E4) -------------------------------------------------------------------------------------

class TemplateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["email", "sms", "letter", "in_app", "any"]
    subject: str | None = Field(None, max_length=998)
    body_text: str | None = Field(None, max_length=100_000)
    body_html: str | None = Field(None, max_length=500_000)
    variables: JsonObject = Field(default_factory=dict, description="each variable with a sample value")


NAME = r"^[a-z0-9][a-z0-9_.-]{0,99}$"


@router.put("/notification-templates/{name}")
async def put_template(body: TemplateBody, name: str, who: Caller = Depends(staff)):
    """Saved only when it parses, uses declared variables only and test-renders with their samples;
    otherwise 422 ``TEMPLATE_INVALID`` with the part and line at fault."""
    if not re.match(NAME, name):
        raise NotFound("template not found", code="TEMPLATE_NOT_FOUND")
    who.identity.require_role("admin", "integration")
    return JSONResponse(await who.call("notifications", "save_template", name=name,
                                       payload=body.model_dump()))


@router.get("/notification-templates")
async def list_templates(who: Caller = Depends(staff)):
    return JSONResponse({"items": await who.call("notifications", "list_templates")})


@router.get("/notification-templates/{name}")
async def get_template(name: str, who: Caller = Depends(staff)):
    return JSONResponse(await who.call("notifications", "get_template", name=name))


@router.delete("/notification-templates/{name}", status_code=204)
async def delete_template(name: str, who: Caller = Depends(staff)):
    who.identity.require_role("admin", "integration")
    await who.call("notifications", "delete_template", name=name)
    return Response(status_code=204)


# ---- sender identities ---------------------------------------------------------------------------------

class SenderIdentityBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(None, max_length=200, description="the name mail from it shows")
    default: bool = Field(False, description="senders outside every identity send through this mailbox")
    verify_via: str | None = Field(
        None, max_length=20, description="a domain's validation mailbox the link is mailed to: admin, administrator, "
        "hostmaster, postmaster (default) or webmaster; a mailbox is verified at itself")


@router.put("/sender-identities/{address}")
async def put_sender_identity(address: str, body: SenderIdentityBody, who: Caller = Depends(staff)):
    """Declare a domain (``acme.example``) or mailbox (``billing@acme.example``) the tenant sends from.
    Users on it send email as themselves; others send through the default one, with Reply-To them.
    It is used once verified: a link is mailed to the mailbox, or to the domain's ``verify_via`` mailbox,
    and must be confirmed within 7 days (a mailbox on a verified domain needs none). Saving an unverified
    one again mails a new link. Only a verified identity can be the default (409 IDENTITY_NOT_VERIFIED)."""
    who.identity.require_role("admin")
    async with who.request.app.state.db.transaction(who.tenant_id) as conn:
        tenant = await (await conn.execute("select name from tenants where id = %s", (who.tenant_id,))).fetchone()
    # Who asks, as identity knows it, for the mail's reader to judge: never from the request body.
    requested_by = {"tenant": tenant["name"] if tenant else None, "user": who.identity.email or who.identity.user_id}
    return JSONResponse(await who.call("notifications", "save_sender_identity", address=address,
                                       payload={**body.model_dump(), "requested_by": requested_by}))


@router.get("/sender-identities")
async def list_sender_identities(who: Caller = Depends(staff)):
    return JSONResponse({"items": await who.call("notifications", "list_sender_identities")})


@router.delete("/sender-identities/{address}", status_code=204)
async def delete_sender_identity(address: str, who: Caller = Depends(staff)):
    who.identity.require_role("admin")
    await who.call("notifications", "delete_sender_identity", address=address)
    return Response(status_code=204)


# ---- open pixel and click redirects (no auth) ----------------------------------------------------------

_CONFIRM_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Confirm a sender</title></head>
<body><p>{who} asks to send email as <strong>{address}</strong> through Followup.</p>
<p>Confirm only if {address} belongs to them. This link was sent to {sent_to}.</p>
<form method="post"><button type="submit">Yes, {tenant} may send as {address}</button></form>
<p>Otherwise close this page: nothing is sent as {address} for them.</p></body></html>"""


@router.get("/sender-identities/verify/{token}", response_class=HTMLResponse)
async def sender_identity_verification(token: str, request: Request):
    """The link mailed to a sender identity opens a page that asks; it changes nothing, since mail
    scanners open every link of a message they let through (no API key: the token is the proof)."""
    pending = await request.app.state.rpc.call("notifications", "sender_identity_verification",
                                               _verification_principal(request, token), token=token)
    esc = html_lib.escape
    tenant = esc(pending["requested_by"].get("tenant") or "A Followup customer")
    who = f"{tenant} ({esc(str(pending['requested_by'].get('user') or 'an administrator'))})"
    return HTMLResponse(_CONFIRM_PAGE.format(who=who, tenant=tenant, address=esc(pending["address"]),
                                             sent_to=esc(pending["sent_to"] or "")), headers=NO_STORE)


@router.post("/sender-identities/verify/{token}")
async def verify_sender_identity(token: str, request: Request):
    """The confirmation posted from that page: the identity is verified and can be sent from."""
    return JSONResponse(await request.app.state.rpc.call("notifications", "verify_sender_identity",
                                                         _verification_principal(request, token), token=token),
                        headers=NO_STORE)


def _verification_principal(request: Request, token: str) -> Principal:
    principal = _token_principal(request, token)
    if principal is None:
        raise NotFound("unknown or expired verification link", code="VERIFICATION_LINK_NOT_FOUND")
    return principal


def _token_principal(request: Request, token: str) -> Principal | None:
    if not re.fullmatch(r"[0-9a-f]{32}[A-Za-z0-9_-]{24}", token):
        return None
    return Principal(tenant_id=str(uuid.UUID(hex=token[:32])), user_id=None, role="system",
                     correlation_id=request.scope.get("state", {}).get("request_id"))


@router.get("/t/o/{token}.gif", include_in_schema=False)
async def open_pixel(token: str, request: Request):
    principal = _token_principal(request, token)
    if principal is not None:
        try:
            await request.app.state.rpc.call("notifications", "track", principal, token=token, kind="open")
        except AppError:
            pass  # a pixel always answers with the image; a lost open is not worth a broken one
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


@router.get("/t/c/{token}", include_in_schema=False)
async def click(token: str, request: Request):
    principal = _token_principal(request, token)
    url = None
    if principal is not None:
        url = await request.app.state.rpc.call("notifications", "track", principal, token=token, kind="click")
    if not url:
        raise NotFound("unknown link", code="LINK_NOT_FOUND")
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


# ---- provider callbacks ---------------------------------------------------------------------------------

@router.post("/webhooks/providers/{provider}")
async def provider_webhook(provider: str, request: Request):
    """A provider's status callback. The signature (``X-Followup-Signature``, HMAC-SHA256 with the
    provider's secret over timestamp, path and body) is checked before the body is read as data."""
    if provider not in PROVIDERS:
        raise NotFound("unknown provider", code="UNKNOWN_PROVIDER")
    raw = await request.body()
    path_qs = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not verify(request.app.state.settings.webhook_signing_secret, provider, request.headers.get(HEADER),
                  path_qs, raw):
        raise Unauthenticated("missing or invalid signature", code="INVALID_SIGNATURE")
    payload, tenant = _read_callback(provider, raw, request)
    if tenant is None:
        raise BadRequest("the callback names no delivery of ours", code="UNKNOWN_DELIVERY_REFERENCE")
    principal = Principal(tenant_id=tenant, user_id=None, role="system",
                          correlation_id=request.scope.get("state", {}).get("request_id"))
    rpc = request.app.state.rpc
    if provider == "dsn":
        result = await rpc.call("notifications", "apply_dsn", principal, report=payload)
    else:
        result = await rpc.call("notifications", "provider_callback", principal, provider=provider, payload=payload)
    return JSONResponse(result)


TENANT_IN_MESSAGE_ID = re.compile(r"<[0-9a-f-]{36}\.([0-9a-f]{32})@")


def _read_callback(provider: str, raw: bytes, request: Request) -> tuple[Any, str | None]:
    """The provider's payload as the service reads it, and the tenant it belongs to."""
    try:
        if provider == "twilio":
            payload = dict(urllib.parse.parse_qsl(raw.decode()))
            payload["ref"] = request.query_params.get("ref", "")
            tenant = payload["ref"].split(":", 1)[0]
        elif provider == "lob":
            payload = json.loads(raw)
            tenant = ((payload.get("body") or {}).get("metadata") or {}).get("tenant_id")
        elif provider == "smtp":
            payload = json.loads(raw)
            match = TENANT_IN_MESSAGE_ID.search(payload.get("message_id") or "")
            tenant = match.group(1) if match else None
        else:  # dsn: the raw report (message/rfc822); the original Message-ID names the tenant
            payload = raw.decode("utf-8", "surrogateescape")
            match = TENANT_IN_MESSAGE_ID.search(payload)
            tenant = match.group(1) if match else None
        return payload, str(uuid.UUID(tenant)) if tenant else None
    except (ValueError, AttributeError, TypeError):
        raise BadRequest("the callback body is not what this provider sends", code="MALFORMED_CALLBACK") from None
