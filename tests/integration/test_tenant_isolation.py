"""X3: another tenant's objects answer 404 to every read and write, and nothing changes."""


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
