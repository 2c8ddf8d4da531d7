"""X2: Idempotency-Key on POST."""
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from .broker import wait_for


def _tasks_created(api, customer_id) -> int:
    return sum(1 for e in api.timeline(customer_id) if e["kind"] == "task_created")


def test_X2_fifty_parallel_posts_with_one_key_create_one_task(system, api):
    customer = api.customer()
    body = {"customer_id": customer["id"], "title": "Once only", "assignee_user_id": api.user_id}

    def post(_):
        with httpx.Client(base_url=system.base_url, timeout=30) as client:
            return client.post("/v1/tasks", json=body, headers={
                "Authorization": f"Bearer {api.key}", "Idempotency-Key": "parallel-1"})

    with ThreadPoolExecutor(50) as pool:
        responses = list(pool.map(post, range(50)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201]
    assert len({r.json()["task"]["id"] for r in created}) == 1
    assert all(r.json()["error"]["code"] == "IDEMPOTENCY_IN_PROGRESS" for r in responses if r.status_code == 409)
    assert _tasks_created(api, customer["id"]) == 1


def test_X2_same_key_other_body_is_422_and_errors_replay_too(api):
    customer = api.customer()
    body = {"customer_id": customer["id"], "title": "A", "assignee_user_id": api.user_id}
    first = api.post("/v1/tasks", json=body, headers={"Idempotency-Key": "k-reuse"})
    assert first.status_code == 201
    other = api.post("/v1/tasks", json={**body, "title": "B"}, headers={"Idempotency-Key": "k-reuse"})
    assert other.status_code == 422 and other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"

    bad = {**body, "invoice_ids": ["00000000-0000-0000-0000-000000000000"]}
    e1 = api.post("/v1/tasks", json=bad, headers={"Idempotency-Key": "k-error"})
    e2 = api.post("/v1/tasks", json=bad, headers={"Idempotency-Key": "k-error"})
    assert e1.status_code == e2.status_code == 404 and e1.json() == e2.json()
    assert e2.headers.get("Idempotent-Replayed") == "true"
    assert _tasks_created(api, customer["id"]) == 1


def test_X2_keys_are_scoped_to_the_tenant(system, api):
    other = system.api()
    for client in (api, other):
        customer = client.customer()
        resp = client.post("/v1/tasks", headers={"Idempotency-Key": "same-key-two-tenants"}, json={
            "customer_id": customer["id"], "title": "T", "assignee_user_id": client.user_id})
        assert resp.status_code == 201 and "Idempotent-Replayed" not in resp.headers


def test_X2_replay_after_gateway_restart_is_identical(system, api):
    customer = api.customer()
    body = {"customer_id": customer["id"], "title": "Survives restarts", "assignee_user_id": api.user_id}
    first = api.post("/v1/tasks", json=body, headers={"Idempotency-Key": "restart-1"})
    assert first.status_code == 201
    system.stack.stop("gateway")
    system.stack.start("gateway")
    again = api.post("/v1/tasks", json=body, headers={"Idempotency-Key": "restart-1"})
    assert again.status_code == 201 and again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _tasks_created(api, customer["id"]) == 1


def test_X2_a_key_reused_for_another_request_after_its_24_h_is_a_new_request(system, api):
    customer = api.customer()
    invoice = api.invoice(customer["id"], amount="500.00")
    key = {"Idempotency-Key": f"pay-{uuid.uuid4().hex[:8]}"}

    def pay(amount):
        return api.post("/v1/payments", headers=key, json={
            "customer_id": customer["id"], "invoice_ids": [invoice["id"]], "amount": amount, "currency": "EUR",
            "paid_at": "2026-11-10T09:00:00Z"})

    first = pay("100.00")
    assert first.status_code == 201
    system.sql("update gateway.idempotency_records set created_at = created_at - interval '25 hours'"
               " where key = %s returning key", (key["Idempotency-Key"],))
    second = pay("150.00")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"] and second.json()["amount"] == "150.00"
    assert api.get(f"/v1/invoices/{invoice['external_id']}").json()["amount_paid"] == "250.00"
    assert pay("150.00").headers.get("Idempotent-Replayed") == "true"  # within its new 24 h, a replay


def test_X2_after_a_503_the_same_key_retries_the_same_request_and_refuses_another(fresh_stack):
    system = fresh_stack(start=("tasks", "gateway"))
    api = system.api()
    customer = api.customer()
    invoice = api.invoice(customer["id"], amount="500.00")
    key = {"Idempotency-Key": f"pay-{uuid.uuid4().hex[:8]}"}
    body = {"customer_id": customer["id"], "invoice_ids": [invoice["id"]], "amount": "100.00", "currency": "EUR",
            "paid_at": "2026-11-10T09:00:00Z"}
    system.stack.stop("tasks")
    try:
        assert api.post("/v1/payments", headers=key, json=body).status_code == 503
        other = api.post("/v1/payments", headers=key, json={**body, "amount": "100.0"})  # same meaning, other bytes
        assert other.status_code == 422 and other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    finally:
        system.stack.start("tasks")
    retried = api.post("/v1/payments", headers=key, json=body)
    assert retried.status_code == 201, retried.text
    assert api.get(f"/v1/invoices/{invoice['external_id']}").json()["amount_paid"] == "100.00"


def test_X2_expired_keys_are_deleted_and_a_late_retry_of_the_same_request_still_pays_once(fresh_stack):
    system = fresh_stack(start=("tasks", "gateway"), env={"IDEMPOTENCY_PURGE_INTERVAL_S": "0.3"})
    api = system.api()
    customer = api.customer()
    invoice = api.invoice(customer["id"], amount="500.00")
    body = {"customer_id": customer["id"], "invoice_ids": [invoice["id"]], "amount": "100.00", "currency": "EUR",
            "paid_at": "2026-11-10T09:00:00Z"}
    first = api.post("/v1/payments", headers={"Idempotency-Key": "old-key"}, json=body)
    fresh = api.post("/v1/payments", headers={"Idempotency-Key": "fresh-key"}, json={**body, "amount": "50.00"})
    assert first.status_code == fresh.status_code == 201
    system.sql("update gateway.idempotency_records set created_at = created_at - interval '25 hours'"
               " where key = 'old-key' returning key")

    wait_for(lambda: not system.sql("select 1 from gateway.idempotency_records where key = 'old-key'"))
    assert [r[0] for r in system.sql("select key from gateway.idempotency_records")] == ["fresh-key"]
    # The gateway forgot the key; the tasks service, which keeps applied keys for 30 days, did not.
    again = api.post("/v1/payments", headers={"Idempotency-Key": "old-key"}, json=body)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert api.get(f"/v1/invoices/{invoice['external_id']}").json()["amount_paid"] == "150.00"


def test_X2_A3_a_patch_retried_after_its_reply_was_lost_gets_its_answer_not_a_conflict(system, api):
    """Completing an action, then moving a promise and completing a task, each reply lost on the way (the
    gateway kept nothing: here its record is deleted): the retry with the same key answers what the change
    answered, not 409 for a change already made, and nothing happens twice."""
    customer = api.customer()
    task = api.task(customer["id"], title="Call about F-3")["task"]
    action = api.post(f"/v1/tasks/{task['id']}/actions", json={
        "type": "call", "assignee_user_id": api.user_id, "payload": {"script": "Ask about F-3"}}).json()

    def twice(path, body):
        key = {"Idempotency-Key": f"patch-{uuid.uuid4().hex[:8]}"}
        first = api.patch(path, json=body, headers=key)
        assert first.status_code == 200, first.text
        system.sql("delete from gateway.idempotency_records where key = %s returning key", (key["Idempotency-Key"],))
        again = api.patch(path, json=body, headers=key)
        assert again.status_code == 200, again.text
        assert again.json() == first.json()
        return first.json()

    done = twice(f"/v1/actions/{action['id']}", {"status": "completed"})
    assert done["status"] == "completed"
    completions = [e for e in api.timeline(customer["id"]) if e["kind"] == "action_status_changed"]
    assert len(completions) == 1
    closed = twice(f"/v1/tasks/{task['id']}", {"status": "completed"})
    assert closed["task"]["status"] == "completed"
    # Without a key a repeated PATCH is a new request, refused as before.
    again = api.patch(f"/v1/actions/{action['id']}", json={"status": "completed"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "ILLEGAL_TRANSITION"
