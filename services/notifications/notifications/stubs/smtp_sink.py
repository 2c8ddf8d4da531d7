"""A local SMTP server that keeps what it receives: ``python -m notifications.stubs.smtp_sink``.

SMTP on ``SMTP_SINK_PORT`` (aiosmtpd); a small HTTP API on ``SMTP_SINK_HTTP_PORT``:
``GET /messages?message_id=&rcpt=`` (parsed messages), ``GET /stats`` (counts, duplicates by
Message-ID and recipient), ``DELETE /messages``, ``POST /control {"refuse_next": n, "refuse_all": b}``
(answers ``451`` to DATA, to test retries). ``{"stall_next": n, "stall_s": s}`` keeps the next n
messages at once but answers their DATA only s seconds later (a slow server: a client that gives up
meanwhile has handed its message over). With ``SMTP_SINK_MAILDIR`` set, each message is also
written there (viewable with any mail reader).
"""
from __future__ import annotations

import asyncio
import mailbox
import os
import time
from collections import Counter
from email import message_from_bytes, policy
from email.parser import BytesHeaderParser

import uvicorn
from aiosmtpd.smtp import SMTP
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

HEADER_PARSER = BytesHeaderParser(policy=policy.compat32)


class Store:
    def __init__(self, maildir: str | None):
        self.items: list[dict] = []
        self.refuse_next = 0
        self.refuse_all = False
        self.stall_next, self.stall_s = 0, 5.0
        self.maildir = mailbox.Maildir(maildir, create=True) if maildir else None

    # aiosmtpd handler hook
    async def handle_DATA(self, server, session, envelope):
        if self.refuse_all or self.refuse_next > 0:
            self.refuse_next = max(0, self.refuse_next - 1)
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        raw = envelope.original_content or envelope.content
        headers = HEADER_PARSER.parsebytes(raw)
        self.items.append({"raw": raw, "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                           "message_id": (headers.get("Message-ID") or "").strip(), "received_at": time.time()})
        if self.maildir is not None:
            self.maildir.add(raw)
        if self.stall_next > 0:
            self.stall_next -= 1
            await asyncio.sleep(self.stall_s)
        return "250 2.0.0 OK queued"

    def view(self, item: dict) -> dict:
        msg = message_from_bytes(item["raw"], policy=policy.default)
        text = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        return {"message_id": item["message_id"], "mail_from": item["mail_from"], "rcpt_tos": item["rcpt_tos"],
                "from": msg.get("From"), "reply_to": msg.get("Reply-To"), "to": msg.get("To"), "cc": msg.get("Cc"),
                "bcc": msg.get("Bcc"),
                "subject": msg.get("Subject"), "body_text": text.get_content() if text else None,
                "body_html": html.get_content() if html else None,
                "attachments": [{"filename": p.get_filename(), "size": len(p.get_content())}
                                for p in msg.iter_attachments()],
                "received_at": item["received_at"]}


def make_app(store: Store) -> Starlette:
    async def messages(request: Request):
        q = request.query_params
        items = store.items
        if q.get("message_id"):
            items = [i for i in items if i["message_id"] == q["message_id"]]
        if q.get("rcpt"):
            items = [i for i in items if q["rcpt"] in i["rcpt_tos"]]
        if q.get("brief"):
            return JSONResponse({"count": len(items), "items": [{"message_id": i["message_id"]} for i in items]})
        return JSONResponse({"count": len(items), "items": [store.view(i) for i in items]})

    async def clear(request: Request):
        store.items.clear()
        return JSONResponse({"count": 0})

    async def stats(request: Request):
        per_copy = Counter((i["message_id"], tuple(i["rcpt_tos"])) for i in store.items)
        times = [i["received_at"] for i in store.items]
        return JSONResponse({"count": len(store.items), "distinct": len(per_copy),
                             "duplicates": sum(n - 1 for n in per_copy.values()),
                             "first_at": min(times) if times else None, "last_at": max(times) if times else None})

    async def received_at(request: Request):
        return JSONResponse([[i["rcpt_tos"][0] if i["rcpt_tos"] else "", i["received_at"]] for i in store.items])

    async def control(request: Request):
        body = await request.json()
        store.refuse_next = int(body.get("refuse_next", store.refuse_next))
        store.refuse_all = bool(body.get("refuse_all", store.refuse_all))
        store.stall_next = int(body.get("stall_next", store.stall_next))
        store.stall_s = float(body.get("stall_s", store.stall_s))
        return JSONResponse({"refuse_next": store.refuse_next, "refuse_all": store.refuse_all,
                             "stall_next": store.stall_next, "stall_s": store.stall_s})

    async def ready(request: Request):
        return JSONResponse({"status": "ready"})

    return Starlette(routes=[
        Route("/messages", messages), Route("/messages", clear, methods=["DELETE"]), Route("/stats", stats),
        Route("/received_at", received_at), Route("/control", control, methods=["POST"]),
        Route("/readyz", ready), Route("/healthz", ready)])


async def main() -> None:
    store = Store(os.environ.get("SMTP_SINK_MAILDIR") or None)
    loop = asyncio.get_running_loop()
    # data_size_limit: well above the service's own attachment limit, so the service's rule is what refuses.
    server = await loop.create_server(lambda: SMTP(store, hostname="smtp-sink.local", data_size_limit=64 * 1024 * 1024,
                                                   enable_SMTPUTF8=True),
                                      "127.0.0.1", int(os.environ.get("SMTP_SINK_PORT", "8025")))
    config = uvicorn.Config(make_app(store), host="127.0.0.1", port=int(os.environ.get("SMTP_SINK_HTTP_PORT", "8026")),
                            log_level="warning", access_log=False)
    async with server:
        await uvicorn.Server(config).serve()


if __name__ == "__main__":
    asyncio.run(main())
