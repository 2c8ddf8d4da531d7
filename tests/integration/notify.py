"""Helpers for notification tests: play the tasks service (publish ``notification_requested``) and
read what the local SMTP sink and provider stub received."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import httpx

from .broker import publish


def request_notification(system, tenant_id: str, producer: str = "tasks", event_id: str | None = None,
                         **data) -> dict:
    data.setdefault("idempotency_key", uuid.uuid4().hex)
    data.setdefault("kind", "action_email")
    data.setdefault("channel", "email")
    body = {"event_id": event_id or str(uuid.uuid4()), "event_type": "notification_requested",
            "producer": producer, "tenant_id": tenant_id,
            "occurred_at": datetime.now(timezone.utc).isoformat(), "schema_version": 1, "data": data}
    publish(system.infra.amqp_uri, f"{producer}.events", "notification_requested", body,
            {"nameko.tenant_id": tenant_id})
    return body


def request_in_app(system, tenant_id: str, user_id: str, key: str, kind: str, subject: str, body: str) -> dict:
    """An in-app notice for one user, as tasks requests one."""
    return request_notification(system, tenant_id, idempotency_key=key, kind=kind, channel="in_app",
                                recipients=[{"address": "me", "user_id": user_id}],
                                content={"subject": subject, "body_text": body})


class Sink:
    def __init__(self, system):
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{system.stack.config.smtp_http_port}", timeout=30)

    def messages(self, rcpt: str | None = None, brief: bool = False) -> list[dict]:
        params = {**({"rcpt": rcpt} if rcpt else {}), **({"brief": "1"} if brief else {})}
        return self.http.get("/messages", params=params).json()["items"]

    def stats(self) -> dict:
        return self.http.get("/stats").json()

    def control(self, **kw) -> None:
        self.http.post("/control", json=kw).raise_for_status()


class Stub:
    def __init__(self, system):
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{system.stack.config.provider_stub_port}", timeout=30)

    def requests(self) -> dict:
        return self.http.get("/requests").json()

    def callback(self, ref: str, status: str) -> dict:
        return self.http.post("/callbacks", json={"ref": ref, "status": status}).json()

    def control(self, **kw) -> None:
        self.http.post("/control", json=kw).raise_for_status()


def deliveries(api, key: str) -> dict | None:
    resp = api.get("/v1/notifications/deliveries", params={"idempotency_key": key})
    if resp.status_code == 404:
        return None
    assert resp.status_code == 200, resp.text
    return resp.json()


def states(api, key: str) -> dict[str, str]:
    found = deliveries(api, key)
    return {d["recipient"]: d["state"] for d in found["deliveries"]} if found else {}


def verification_link(sink: "Sink", mailbox: str, tenant_id: str) -> str:
    """The path of the latest sender-identity verification link mailed to ``mailbox`` for ``tenant_id``
    (other tests' tenants may declare the same domain: a link's token starts with its tenant)."""
    import re

    from .broker import wait_for

    prefix = "/v1/sender-identities/verify/" + uuid.UUID(tenant_id).hex

    def latest():
        links = [found.group(1) for m in sink.messages(rcpt=mailbox)
                 if (found := re.search(r"(/v1/sender-identities/verify/\S+)", m["body_text"] or ""))]
        links = [link for link in links if link.startswith(prefix)]
        return links[-1] if links else None

    return wait_for(latest)


def declare_sender_identity(system, api, address: str, **body) -> dict:
    """Declare an identity and confirm the link mailed for it, as the domain's postmaster (or the mailbox)
    would: open it, then post the page's confirmation. A default is made so once verified."""
    resp = api.put(f"/v1/sender-identities/{address}", json={k: v for k, v in body.items() if k != "default"})
    assert resp.status_code == 200, resp.text
    if not resp.json()["verified"]:
        link = verification_link(Sink(system), resp.json()["verification_sent_to"], api.tenant_id)
        assert httpx.get(system.base_url + link).status_code == 200
        verified = httpx.post(system.base_url + link)
        assert verified.status_code == 200 and verified.json()["verified"] is True, verified.text
    if body.get("default"):
        resp = api.put(f"/v1/sender-identities/{address}", json=body)
        assert resp.status_code == 200, resp.text
    return resp.json()
