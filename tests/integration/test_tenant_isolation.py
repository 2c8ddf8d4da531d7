"""X3: another tenant's objects answer 404 to every read and write, and nothing changes."""
import json

import httpx


def test_X3_other_tenant_gets_404_on_every_read_and_write(system):
    a, b = system.api(), system.api()
    customer = a.customer(external_id="shared-ext")
    invoice = a.invoice(customer["id"], "A-INV-1")
    task = a.task(customer["id"], [invoice["id"]])
    before = a.timeline(customer["id"])

    reads = [
        b.get(f"/v1/customers/{customer['id']}"),
        b.get(f"/v1/customers/{customer['id']}/timeline"),
        b.get("/v1/invoices/A-INV-1"),
        b.get(f"/v1/tasks/{task['task']['id']}"),
    ]
    writes = [
        b.post(f"/v1/customers/{customer['id']}/contacts", json={"name": "Intruder"}),
        b.put("/v1/invoices/A-INV-1", json={
            "customer_id": customer["id"], "number": "X", "issue_date": "2026-11-01", "due_date": "2026-11-02",
            "amount": "1.00", "currency": "EUR"}),
        b.post("/v1/payments", json={"customer_id": customer["id"], "invoice_ids": [invoice["id"]],
                                     "amount": "100.00", "currency": "EUR", "paid_at": "2026-11-10T10:00:00Z"}),
        b.post("/v1/tasks", json={"customer_id": customer["id"], "title": "steal",
                                  "assignee_user_id": b.user_id}),
    ]
    for resp in reads + writes:
        assert resp.status_code == 404, (resp.request.method, resp.request.url, resp.text)
        assert resp.json()["error"]["code"].endswith("NOT_FOUND")

    # A's data is untouched; B got nothing either.
    assert a.timeline(customer["id"]) == before
    assert a.get("/v1/invoices/A-INV-1").json()["status"] == "open"
    assert a.get(f"/v1/customers/{customer['id']}").json()["contacts"] == []
    own = b.customer(external_id="shared-ext")  # the same external id is free in another tenant
    assert own["id"] != customer["id"]


def test_X3_assigning_another_tenants_user_is_refused(system):
    a, b = system.api(), system.api()
    resp = b.post("/v1/customers", json={"name": "C", "owner_user_id": a.user_id})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "UNKNOWN_USER"


def test_X3_unsigned_webhooks_naming_a_tenant_do_not_spend_its_rate_limit(fresh_stack):
    """A tenant's id is no secret (it is in every email it sends): requests that fail the webhook
    signature must not use up the tenant's own API budget."""
    system = fresh_stack(start=("tasks", "gateway"), env={"RATE_LIMIT_PER_SECOND": "0.01", "RATE_LIMIT_BURST": "5"})
    api = system.api()
    raw = json.dumps({"from": "x@y.example", "body": "x", "received_at": "2026-11-22T09:00:00Z",
                      "external_id": "e1"}).encode()
    for _ in range(8):
        forged = httpx.post(f"{system.base_url}/v1/inbound/email?tenant={api.tenant_id}", content=raw,
                            headers={"Content-Type": "application/json", "X-Followup-Signature": "sha256=00"})
        assert forged.status_code == 401
    assert api.get("/v1/settings").status_code == 200


def test_X3_the_gateway_role_adds_api_keys_but_cannot_read_them_back(system, api):
    import psycopg

    member = api.user()  # the gateway stored its key
    assert member.get("/v1/settings").status_code == 200  # and resolves it through authenticate()
    try:
        system.sql("select key_hash from gateway.api_keys", role="gateway")
    except psycopg.errors.InsufficientPrivilege:
        pass
    else:
        raise AssertionError("the gateway's role can list every tenant's key hashes")


def test_X3_the_gateway_role_cannot_make_the_owners_functions_read_or_run_its_own_objects(system, api):
    """authenticate() and the idempotency purge run with their owner's rights: a temporary table or view
    of the caller's, named as their tables, must not stand in for them."""
    import psycopg
    from psycopg import sql

    from common.migrate import service_database_url

    with psycopg.connect(service_database_url(system.infra.admin_url, "gateway"), autocommit=True) as conn:
        conn.execute(sql.SQL("create temp view api_keys as select {}::uuid as tenant_id, {}::uuid as user_id,"
                             " 'forged'::text as key_hash, null::timestamptz as revoked_at").format(
                                 sql.Literal(api.tenant_id), sql.Literal(api.user_id)))
        assert conn.execute("select * from gateway.authenticate('forged')").fetchall() == []
        conn.execute("create temp table idempotency_records (created_at timestamptz)")
        conn.execute("insert into idempotency_records values (now() - interval '30 days')")
        conn.execute("select gateway.purge_idempotency_records(3600, 10)")
        assert conn.execute("select count(*) from pg_temp.idempotency_records").fetchone()[0] == 1
