"""The first vertical slice, driven through the gateway as an external system would."""
import uuid
from datetime import datetime

import httpx

from .broker import Background


def test_X1_X2_customer_contact_invoices_and_task_read_back_and_on_timeline(api):
    customer = api.customer(external_id="crm-42", name="Dupont SARL", timezone="Europe/Paris",
                            location={"lat": 48.85, "lon": 2.35})
    contact = api.post(f"/v1/customers/{customer['id']}/contacts",
                       json={"name": "Marie Dupont", "email": "marie@dupont.example", "phone": "+33612345678",
                             "is_main": True})
    assert contact.status_code == 201, contact.text
    inv1 = api.invoice(customer["id"], "INV-1", number="2026-001", amount="1200.00")
    inv2 = api.invoice(customer["id"], "INV-2", number="2026-002", amount="80.50")
    task = api.task(customer["id"], [inv1["id"], inv2["id"]], title="Chase the two open invoices",
                    category="payment_reminder",
                    actions=[{"type": "call", "assignee_user_id": api.user_id, "payload": {"script": "Hello"}}])

    read = api.get(f"/v1/customers/{customer['id']}").json()
    assert read["name"] == "Dupont SARL" and read["timezone"] == "Europe/Paris"
    assert [c["email"] for c in read["contacts"]] == ["marie@dupont.example"] and read["contacts"][0]["is_main"]
    assert api.get("/v1/invoices/INV-2").json()["amount"] == "80.50"

    case = api.get(f"/v1/tasks/{task['task']['id']}").json()
    assert case["task"]["title"] == "Chase the two open invoices"
    assert case["task"]["owner_user_id"] == api.user_id  # B4: manual -> the assignee
    assert sorted(i["number"] for i in case["invoices"]) == ["2026-001", "2026-002"]
    assert [a["type"] for a in case["pending_actions"]] == ["call"]
    assert case["customer"]["id"] == customer["id"]

    timeline = api.timeline(customer["id"])
    kinds = [e["kind"] for e in timeline]
    assert kinds.count("invoice_upserted") == 2
    assert {"customer_upserted", "contact_added", "task_created"} <= set(kinds)
    assert all(e["actor_user_id"] == api.user_id for e in timeline)
    stamps = [e["occurred_at"] for e in timeline]
    assert stamps == sorted(stamps, reverse=True)  # newest first


def test_customer_post_with_known_external_id_updates_it(api):
    first = api.post("/v1/customers", json={"external_id": "erp-7", "name": "Old name",
                                            "owner_user_id": api.user_id})
    again = api.post("/v1/customers", json={"external_id": "erp-7", "name": "New name",
                                            "owner_user_id": api.user_id})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["name"] == "New name"


def test_A7_B4_an_upsert_hands_the_customer_to_another_owner_and_keeps_what_it_leaves_out(api):
    successor = api.user()
    external_id = f"crm-{uuid.uuid4().hex[:8]}"
    first = api.customer(external_id=external_id, name="Martin SA", timezone="Europe/Paris",
                         location={"lat": 48.85, "lon": 2.35})
    again = api.post("/v1/customers", json={"external_id": external_id, "name": "Martin SA",
                                            "owner_user_id": successor.user_id})
    assert again.status_code == 200, again.text
    assert (again.json()["owner_user_id"], again.json()["timezone"], again.json()["location"]) == (
        successor.user_id, "Europe/Paris", {"lat": 48.85, "lon": 2.35})
    changed = [e for e in api.timeline(first["id"]) if e["kind"] == "customer_upserted" and e["data"]]
    assert [e["data"]["changes"] for e in changed] == [{"owner_user_id": [api.user_id, successor.user_id]}]
    entries = len(api.timeline(first["id"]))
    same = api.post("/v1/customers", json={"external_id": external_id, "name": "Martin SA",
                                           "owner_user_id": successor.user_id})
    assert same.status_code == 200 and len(api.timeline(first["id"])) == entries  # no change, nothing written


def test_C4_a_payment_passes_over_an_invoice_paid_elsewhere_which_stays_paid(api):
    customer = api.customer()
    settled = api.invoice(customer["id"], amount="100.00", status="paid")  # the ERP says: paid outside
    owed = api.invoice(customer["id"], amount="100.00")
    paid = api.post("/v1/payments", json={"customer_id": customer["id"], "invoice_ids": [settled["id"], owed["id"]],
                                          "amount": "100.00", "currency": "EUR", "paid_at": "2026-11-10T09:00:00Z"})
    assert paid.status_code == 201 and paid.json()["unallocated"] == "0.00", paid.text
    after = {i["id"]: i for i in (api.get(f"/v1/invoices/{x['external_id']}").json() for x in (settled, owed))}
    assert (after[owed["id"]]["status"], after[owed["id"]]["amount_paid"]) == ("paid", "100.00")
    assert (after[settled["id"]]["status"], after[settled["id"]]["amount_paid"]) == ("paid", "0.00")
    body = {k: settled[k] for k in ("customer_id", "number", "issue_date", "due_date", "amount", "currency")}
    assert api.put(f"/v1/invoices/{settled['external_id']}", json=body).json()["status"] == "paid"  # no word: paid


def test_A7_an_invoices_change_time_never_goes_back_so_its_latest_event_is_its_latest_state(system, api):
    """A transaction that began earlier can get an invoice's lock later (here stood in for by moving its
    updated_at ahead): the change it writes is still the latest, and says so, or a projection keeping
    the latest event by this time would drop it."""
    customer = api.customer()
    invoice = api.invoice(customer["id"], amount="100.00")
    ahead = system.sql("update tasks.invoices set updated_at = now() + interval '1 minute' where id = %s"
                       " returning updated_at", (invoice["id"],))[0][0]
    assert api.post("/v1/payments", json={"customer_id": customer["id"], "invoice_ids": [invoice["id"]],
                                          "amount": "40.00", "currency": "EUR",
                                          "paid_at": "2026-11-10T09:00:00Z"}).status_code == 201
    paid = api.get(f"/v1/invoices/{invoice['external_id']}").json()
    assert paid["amount_paid"] == "40.00" and datetime.fromisoformat(paid["updated_at"]) > ahead
    resent = api.put(f"/v1/invoices/{invoice['external_id']}", json={
        **{k: invoice[k] for k in ("customer_id", "number", "issue_date", "due_date", "currency")}, "amount": "90.00"})
    assert datetime.fromisoformat(resent.json()["updated_at"]) > datetime.fromisoformat(paid["updated_at"])


def test_invoice_put_is_an_upsert_and_payment_settles_it(api):
    customer = api.customer()
    created = api.put("/v1/invoices/ERP-9", json={
        "customer_id": customer["id"], "number": "9", "issue_date": "2026-10-01", "due_date": "2026-10-31",
        "amount": "50.00", "currency": "EUR"})
    updated = api.put("/v1/invoices/ERP-9", json={
        "customer_id": customer["id"], "number": "9", "issue_date": "2026-10-01", "due_date": "2026-11-15",
        "amount": "50.00", "currency": "EUR"})
    assert (created.status_code, updated.status_code) == (201, 200)
    assert updated.json()["id"] == created.json()["id"] and updated.json()["due_date"] == "2026-11-15"

    paid = api.post("/v1/payments", json={"customer_id": customer["id"], "invoice_ids": [created.json()["id"]],
                                          "amount": "50.00", "currency": "EUR",
                                          "paid_at": "2026-11-10T09:00:00+01:00"})
    assert paid.status_code == 201, paid.text
    invoice = api.get("/v1/invoices/ERP-9").json()
    assert invoice["status"] == "paid" and invoice["amount_paid"] == "50.00"
    assert "payment_recorded" in [e["kind"] for e in api.timeline(customer["id"])]


def test_C4_resending_an_invoice_keeps_what_payments_settled_and_refuses_what_would_break_them(api):
    customer, other = api.customer(), api.customer()
    external_id = f"ERP-{uuid.uuid4().hex[:8]}"
    body = {"customer_id": customer["id"], "number": "10", "issue_date": "2026-10-01", "due_date": "2026-10-31",
            "amount": "80.00", "currency": "EUR"}
    invoice = api.put(f"/v1/invoices/{external_id}", json=body).json()
    assert invoice["status"] == "open"
    assert api.post("/v1/payments", json={"customer_id": customer["id"], "invoice_ids": [invoice["id"]],
                                          "amount": "80.00", "currency": "EUR",
                                          "paid_at": "2026-11-10T09:00:00Z"}).status_code == 201
    entries = len(api.timeline(customer["id"]))

    # The ERP sends the same invoice again (no status, or "open"): it stays paid, and nothing is written.
    for resend in (body, {**body, "status": "open"}):
        again = api.put(f"/v1/invoices/{external_id}", json=resend)
        assert again.status_code == 200 and again.json()["status"] == "paid", again.text
    assert len(api.timeline(customer["id"])) == entries
    # Raised above what was paid, it is open again; a disputed status is the sender's to set.
    assert api.put(f"/v1/invoices/{external_id}", json={**body, "amount": "100.00"}).json()["status"] == "open"
    assert api.put(f"/v1/invoices/{external_id}",
                   json={**body, "amount": "100.00", "status": "disputed"}).json()["status"] == "disputed"

    moved = api.put(f"/v1/invoices/{external_id}", json={**body, "customer_id": other["id"]})
    assert moved.status_code == 409 and moved.json()["error"]["code"] == "INVOICE_CUSTOMER_FIXED"
    recurrency = api.put(f"/v1/invoices/{external_id}", json={**body, "currency": "USD"})
    assert recurrency.status_code == 409 and recurrency.json()["error"]["code"] == "INVOICE_CURRENCY_FIXED"
    after = api.get(f"/v1/invoices/{external_id}").json()
    assert (after["customer_id"], after["currency"], after["amount_paid"]) == (customer["id"], "EUR", "80.00")

    future = api.post("/v1/payments", json={"customer_id": customer["id"], "invoice_ids": [invoice["id"]],
                                            "amount": "10.00", "currency": "EUR", "paid_at": "2030-01-01T00:00:00Z"})
    assert future.status_code == 422 and future.json()["error"]["details"][0]["loc"] == ["body", "paid_at"]
    assert api.get(f"/v1/invoices/{external_id}").json()["amount_paid"] == "80.00"


def test_timeline_pages_are_stable_and_complete(api):
    customer = api.customer()
    for n in range(7):
        api.invoice(customer["id"], number=f"P-{n}")
    seen, cursor = [], None
    while True:
        page = api.get(f"/v1/customers/{customer['id']}/timeline",
                       params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= 3
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 8  # the customer entry and seven invoices


def test_X2_health_metrics_and_openapi_are_served_without_auth(system):
    base = system.base_url
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
    assert "followup_http_requests_total" in httpx.get(f"{base}/metrics").text
    paths = httpx.get(f"{base}/openapi.json").json()["paths"]
    for path in ("/v1/users", "/v1/customers", "/v1/customers/{customer_id}/contacts",
                 "/v1/invoices/{external_id}", "/v1/payments", "/v1/tasks", "/v1/tasks/{task_id}",
                 "/v1/customers/{customer_id}/timeline"):
        assert path in paths, path
    for service, port in system.stack.config.http_ports.items():
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json()["status"] == "ready", service
        assert "followup_" in httpx.get(f"http://127.0.0.1:{port}/metrics").text


def test_admin_creates_users_whose_keys_work_and_members_cannot(system, api):
    resp = api.post("/v1/users", json={"email": "sam@acme.example", "name": "Sam", "role": "member"})
    assert resp.status_code == 201, resp.text
    member = system.api({"tenant_id": api.tenant_id, "user_id": resp.json()["user"]["id"],
                         "api_key": resp.json()["api_key"]})
    assert member.get(f"/v1/customers/{api.customer()['id']}").status_code == 200
    denied = member.post("/v1/users", json={"email": "x@acme.example", "name": "X", "role": "admin"})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "FORBIDDEN"
    again = api.post("/v1/users", json={"email": "SAM@acme.example", "name": "Sam", "role": "member"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "USER_EXISTS"


def test_X2_rate_limit_is_per_tenant_with_retry_after(fresh_stack):
    system = fresh_stack(start=("tasks", "gateway"), env={"RATE_LIMIT_PER_SECOND": "1", "RATE_LIMIT_BURST": "3"})
    busy, calm = system.api(), system.api()
    customer = busy.customer()  # one token
    answers = [busy.get(f"/v1/customers/{customer['id']}") for _ in range(4)]
    limited = [r for r in answers if r.status_code == 429]
    assert limited and all(int(r.headers["Retry-After"]) >= 1 for r in limited)
    assert limited[0].json()["error"]["code"] == "RATE_LIMITED"
    assert calm.get(f"/v1/customers/{customer['id']}").status_code == 404  # another tenant is not throttled


def test_A7_two_upserts_of_a_new_external_id_at_once_end_in_one_invoice_not_a_500(system, api):
    """An ERP sending the same new invoice twice at once: both see no row and insert; the second waits on
    the unique index (here held by another transaction's insert), then runs again and updates."""
    customer = api.customer()
    external_id = f"ERP-{uuid.uuid4().hex[:8]}"
    with system.holding(
            "insert into tasks.invoices (id, tenant_id, external_id, customer_id, number, issue_date, due_date,"
            " amount, currency, status, created_at, updated_at) values (gen_random_uuid(), %s, %s, %s, 'first',"
            " '2026-10-01', '2026-10-31', 50, 'EUR', 'open', now(), now())",
            (api.tenant_id, external_id, customer["id"])):
        second = Background(lambda: api.put(f"/v1/invoices/{external_id}", json={
            "customer_id": customer["id"], "number": "second", "issue_date": "2026-10-01",
            "due_date": "2026-10-31", "amount": "60.00", "currency": "EUR"}))
        system.wait_for_a_lock_wait()
    resp = second.result()
    assert resp.status_code == 200, resp.text  # updated the row the first one made
    invoice = api.get(f"/v1/invoices/{external_id}").json()
    assert (invoice["number"], invoice["amount"]) == ("second", "60.00")
