"""A local SMS + letter provider: ``python -m notifications.stubs.provider_stub``.

Speaks the shapes the adapters use (Twilio Messages, Lob Letters), records every request and posts
signed status callbacks to the gateway: automatically (``PROVIDER_STUB_AUTO_STATUS``, default
``delivered``; ``none`` turns it off) or on request: ``POST /callbacks {"ref": sid-or-letter-id,
"status": "delivered"|"failed"|"returned"}``. ``GET /requests`` lists what was received;
``POST /control {"fail_next": n, "auto_status": s}`` answers 503 to the next n sends, changes the automatic status;
``{"stall_next": n, "stall_s": s}`` takes the next n SMS but answers only after s seconds (the caller's
answer lost to its timeout); with ``"stall_before_taking": true`` it holds them s seconds before it takes
them instead (a request still on the wire: a look-up does not find it, and a caller that hangs up meanwhile
sent nothing). ``GET /requests`` counts those ``held`` now and lists those ``hung_up``.
``{"fail_lookups_next": n}`` answers 503 to the next n SMS look-ups (``GET`` of the message list).
"""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
import urllib.parse

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from common.webhook_signing import HEADER, sign_header

MASTER = os.environ.get("WEBHOOK_SIGNING_SECRET", "")
AUTO = os.environ.get("PROVIDER_STUB_AUTO_STATUS", "delivered")
PUBLIC_BASE = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
TWILIO_STATUS = {"delivered": "delivered", "failed": "failed", "undelivered": "undelivered", "sent": "sent"}
LOB_EVENT = {"delivered": "letter.delivered", "returned": "letter.returned_to_sender", "failed": "letter.failed",
             "mailed": "letter.mailed"}


class Stub:
    def __init__(self):
        self.sms: dict[str, dict] = {}
        self.letters: dict[str, dict] = {}
        self.by_idempotency_key: dict[str, dict] = {}
        self.fail_next = 0
        self.fail_lookups_next = 0
        self.stall_next, self.stall_s, self.stall_before_taking = 0, 5.0, False
        self.held, self.hung_up = 0, []
        self.callbacks: list[dict] = []
        self.auto_status = AUTO

    async def callback(self, ref: str, status: str) -> dict:
        if ref in self.sms:
            sms = self.sms[ref]
            form = {"MessageSid": ref, "MessageStatus": TWILIO_STATUS.get(status, status), "To": sms["to"]}
            if status in ("failed", "undelivered"):
                form["ErrorCode"] = "30005"
            body = urllib.parse.urlencode(form).encode()
            url = sms["status_callback"]
            ctype, provider = "application/x-www-form-urlencoded", "twilio"
        elif ref in self.letters:
            letter = self.letters[ref]
            body = json.dumps({"id": "evt_" + secrets.token_hex(8), "event_type": {"id": LOB_EVENT.get(status, status)},
                               "body": {"id": ref, "metadata": letter["metadata"]}}).encode()
            url = f"{PUBLIC_BASE}/v1/webhooks/providers/lob"
            ctype, provider = "application/json", "lob"
        else:
            return {"error": "unknown ref"}
        parsed = urllib.parse.urlsplit(url)
        path_qs = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        headers = {"Content-Type": ctype, HEADER: sign_header(MASTER, provider, path_qs, body)}
        async with httpx.AsyncClient(timeout=10) as client:
            resp = await client.post(url, content=body, headers=headers)
        record = {"ref": ref, "status": status, "http_status": resp.status_code}
        self.callbacks.append(record)
        return record

    def auto(self, ref: str) -> None:
        status = self.auto_status
        if status and status != "none":
            async def later():
                await asyncio.sleep(0.2)
                try:
                    await self.callback(ref, status)
                except Exception as exc:  # the gateway may be down: a real provider would retry later
                    self.callbacks.append({"ref": ref, "status": status, "error": repr(exc)})
            asyncio.get_running_loop().create_task(later())


def make_app(stub: Stub) -> Starlette:
    def failing():
        if stub.fail_next > 0:
            stub.fail_next -= 1
            return JSONResponse({"message": "Service temporarily unavailable"}, status_code=503)
        return None

    async def send_sms(request: Request):
        refused = failing()
        if refused:
            return refused
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))  # no python-multipart needed
        if stub.stall_next > 0 and stub.stall_before_taking:
            stub.stall_next -= 1
            if not await held(request, stub.stall_s):
                stub.hung_up.append({"to": form["To"], "body": form["Body"]})
                return JSONResponse({"message": "client closed the request"}, status_code=499)
        sid = "SM" + secrets.token_hex(16)
        stub.sms[sid] = {"sid": sid, "to": form["To"], "from": form["From"], "body": form["Body"],
                         "status_callback": form.get("StatusCallback"), "status": "queued",
                         "date_created": time.time()}
        stub.auto(sid)
        if stub.stall_next > 0 and not stub.stall_before_taking:
            stub.stall_next -= 1
            await asyncio.sleep(stub.stall_s)
        return JSONResponse(stub.sms[sid], status_code=201)

    async def held(request: Request, seconds: float) -> bool:
        """Waits ``seconds``; False if the caller hung up first."""
        stub.held += 1
        try:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                if await request.is_disconnected():
                    return False
                await asyncio.sleep(0.05)
            return True
        finally:
            stub.held -= 1

    async def list_sms(request: Request):
        if stub.fail_lookups_next > 0:
            stub.fail_lookups_next -= 1
            return JSONResponse({"message": "Service temporarily unavailable"}, status_code=503)
        to = request.query_params.get("To")
        return JSONResponse({"messages": [m for m in stub.sms.values() if not to or m["to"] == to]})

    async def send_letter(request: Request):
        key = request.headers.get("Idempotency-Key")
        if key and key in stub.by_idempotency_key:  # Lob answers a repeated key with the first letter
            return JSONResponse(stub.by_idempotency_key[key], status_code=200)
        refused = failing()
        if refused:
            return refused
        body = await request.json()
        letter_id = "ltr_" + secrets.token_hex(12)
        letter = {"id": letter_id, "to": body["to"], "extra_service": body.get("extra_service"),
                  "metadata": body.get("metadata") or {}, "description": body.get("description"),
                  "file_bytes": len(body.get("file") or ""),
                  "file_is_pdf": (body.get("file") or "").startswith("data:application/pdf;base64,JVBER")}
        stub.letters[letter_id] = letter
        if key:
            stub.by_idempotency_key[key] = letter
        stub.auto(letter_id)
        return JSONResponse(letter, status_code=200)

    async def list_letters(request: Request):
        wanted = request.query_params.get("metadata[delivery_id]")
        data = [l for l in stub.letters.values() if not wanted or l["metadata"].get("delivery_id") == wanted]
        return JSONResponse({"data": data, "count": len(data)})

    async def requests_(request: Request):
        return JSONResponse({"sms": list(stub.sms.values()), "letters": list(stub.letters.values()),
                             "callbacks": stub.callbacks, "held": stub.held, "hung_up": stub.hung_up})

    async def post_callback(request: Request):
        body = await request.json()
        return JSONResponse(await stub.callback(body["ref"], body["status"]))

    async def control(request: Request):
        body = await request.json()
        stub.fail_next = int(body.get("fail_next", stub.fail_next))
        stub.fail_lookups_next = int(body.get("fail_lookups_next", stub.fail_lookups_next))
        stub.auto_status = body.get("auto_status", stub.auto_status)
        stub.stall_next = int(body.get("stall_next", stub.stall_next))
        stub.stall_s = float(body.get("stall_s", stub.stall_s))
        stub.stall_before_taking = bool(body.get("stall_before_taking", stub.stall_before_taking))
        return JSONResponse({"fail_next": stub.fail_next, "auto_status": stub.auto_status,
                             "stall_next": stub.stall_next})

    async def ready(request: Request):
        return JSONResponse({"status": "ready"})

    return Starlette(routes=[
        Route("/2010-04-01/Accounts/{sid}/Messages.json", send_sms, methods=["POST"]),
        Route("/2010-04-01/Accounts/{sid}/Messages.json", list_sms, methods=["GET"]),
        Route("/v1/letters", send_letter, methods=["POST"]), Route("/v1/letters", list_letters, methods=["GET"]),
        Route("/requests", requests_), Route("/callbacks", post_callback, methods=["POST"]),
        Route("/control", control, methods=["POST"]), Route("/readyz", ready), Route("/healthz", ready)])


if __name__ == "__main__":
    uvicorn.run(make_app(Stub()), host="127.0.0.1", port=int(os.environ.get("PROVIDER_STUB_PORT", "8027")),
                log_level="warning", access_log=False)
