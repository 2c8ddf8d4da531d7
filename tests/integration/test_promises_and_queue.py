"""Promise to pay (C1-C5) with a movable clock, and the ordered, stably paged queue."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from .broker import Background, drain, observe, wait_for

DAY = 24 * 3600


def in_days(n: int) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=n)).date().isoformat()


def notices(system, queue, kind, settle=1.0):
    return [b["data"] for b, _ in drain(system.infra.amqp_uri, queue, settle_s=settle) if b["data"]["kind"] == kind]


@pytest.fixture
def promise_setup(fresh_stack):
    """A system of its own: moving its clock must not disturb other tests' timers."""
    system = fresh_stack(start=("tasks", "gateway"))
    admin = system.api()
    owner = admin.user()  # the account owner gets promise tasks and their notifications (B4)
    customer = admin.customer(owner_user_id=owner.user_id)
    invoice = admin.invoice(customer["id"], amount="300.00")
    task = admin.task(customer["id"], [invoice["id"]])["task"]
    observer = observe(system.infra.amqp_uri, "tasks", "notification_requested")
    return system, admin, owner, customer, invoice, task, observer.name


def record(admin, task, invoice, days=3, amount="300.00"):
    resp = admin.post(f"/v1/tasks/{task['id']}/promises", json={
        "amount": amount, "currency": "EUR", "promised_date": in_days(days), "invoice_ids": [invoice["id"]]})
    assert resp.status_code == 201, resp.text
    return resp.json()


def erp_invoice_with_promise(api, number: str) -> tuple[str, dict, dict, dict]:
    """An ERP's invoice of 100 EUR (by its external id) with a promise of all of it, in 5 days."""
    customer = api.customer()
    external_id = f"ERP-{uuid.uuid4().hex[:8]}"
    body = {"customer_id": customer["id"], "number": number, "issue_date": "2026-11-01", "due_date": "2026-11-30",
            "currency": "EUR", "amount": "100.00"}
    invoice = api.put(f"/v1/invoices/{external_id}", json=body).json()
    promise = record(api, api.task(customer["id"], [invoice["id"]])["task"], invoice, days=5, amount="100.00")
    return external_id, body, invoice, promise


def test_C1_C2_C3_due_soon_once_then_overdue_once_across_a_restart(promise_setup):
    system, admin, owner, customer, invoice, task, queue = promise_setup
    promise = record(admin, task, invoice, days=3)
    promise_task = admin.get(f"/v1/tasks/{promise['task_id']}").json()
    assert promise_task["task"]["status"] == "waiting" and promise_task["task"]["origin"] == "promise"  # C1
    assert promise_task["task"]["owner_user_id"] == owner.user_id and promise_task["promise"]["id"] == promise["id"]

    system.move_clock(DAY)  # still more than 24 h before the promised day
    assert notices(system, queue, "promise_due_soon", settle=1.5) == []
    system.move_clock(DAY + 60)  # now inside the last 24 h
    due = wait_for(lambda: notices(system, queue, "promise_due_soon"))
    assert len(due) == 1 and due[0]["recipients"][0]["user_id"] == owner.user_id

    system.stack.stop("tasks")  # a restart between the two alerts neither loses nor repeats one
    system.stack.start("tasks")
    assert notices(system, queue, "promise_due_soon", settle=1.5) == []
    announced = observe(system.infra.amqp_uri, "tasks", "promise_overdue")
    system.move_clock(2 * DAY)  # the promised day is over, nothing was paid
    overdue = wait_for(lambda: notices(system, queue, "promise_overdue"))
    assert len(overdue) == 1 and overdue[0]["recipients"][0]["user_id"] == owner.user_id
    system.move_clock(5 * DAY)
    assert notices(system, queue, "promise_overdue", settle=1.5) == []
    file = admin.get(f"/v1/tasks/{promise['task_id']}").json()
    assert file["promise"]["status"] == "overdue" and file["task"]["overdue_promise"] is True
    events = drain(system.infra.amqp_uri, announced.name, until=lambda m: m)
    assert [(b["data"]["promise"]["id"], b["data"]["promise"]["status"]) for b, _ in events] == [
        (promise["id"], "overdue")]  # once, across the restart
    assert {"promise_due_soon", "promise_overdue"} <= {e["kind"] for e in file["timeline"]}


def test_C3_C5_an_overdue_promise_rises_to_the_top_of_its_owners_queue(promise_setup):
    system, admin, owner, customer, invoice, task, queue = promise_setup
    urgent = admin.task(customer["id"], [], title="Due tomorrow", assignee_user_id=owner.user_id,
                        actions=[])["task"]
    admin.patch(f"/v1/tasks/{urgent['id']}", json={"due_at": (datetime.now(timezone.utc) + timedelta(days=1))
                                                   .isoformat(), "priority": 5})
    promise = record(admin, task, invoice, days=2)
    first = owner.get("/v1/tasks").json()["items"]
    assert first[0]["id"] == urgent["id"]  # due sooner than the promise
    system.move_clock(4 * DAY)
    wait_for(lambda: notices(system, queue, "promise_overdue"))
    assert owner.get("/v1/tasks").json()["items"][0]["id"] == promise["task_id"]


def test_C4_a_covering_payment_completes_the_promise_and_cancels_both_alerts(promise_setup):
    system, admin, owner, customer, invoice, task, queue = promise_setup
    promise = record(admin, task, invoice, days=3, amount="300.00")
    partial = admin.post("/v1/payments", json={"customer_id": customer["id"], "invoice_ids": [invoice["id"]],
                                               "amount": "100.00", "currency": "EUR",
                                               "paid_at": datetime.now(timezone.utc).isoformat()})
    assert partial.status_code == 201
    assert admin.get(f"/v1/tasks/{promise['task_id']}").json()["promise"]["status"] == "waiting"
    admin.post("/v1/payments", json={"customer_id": customer["id"], "invoice_ids": [invoice["id"]],
                                     "amount": "200.00", "currency": "EUR",
                                     "paid_at": datetime.now(timezone.utc).isoformat()})
    file = admin.get(f"/v1/tasks/{promise['task_id']}").json()
    assert file["promise"]["status"] == "kept" and file["promise"]["amount_received"] == "300.00"
    assert file["task"]["status"] == "completed"
    system.move_clock(10 * DAY)
    assert notices(system, queue, "promise_due_soon", settle=2) == []
    assert notices(system, queue, "promise_overdue", settle=0.5) == []


def test_C4_marking_the_promise_task_completed_closes_it(promise_setup):
    system, admin, owner, customer, invoice, task, queue = promise_setup
    promise = record(admin, task, invoice, days=3)
    done = owner.patch(f"/v1/tasks/{promise['task_id']}", json={"status": "completed"})
    assert done.status_code == 200 and done.json()["promise"]["status"] == "completed"
    system.move_clock(10 * DAY)
    assert notices(system, queue, "promise_due_soon", settle=2) == []


def test_C2_moving_a_promise_moves_its_timers_and_cancelling_removes_them(promise_setup):
    system, admin, owner, customer, invoice, task, queue = promise_setup
    moved = record(admin, task, invoice, days=3)
    other_invoice = admin.invoice(customer["id"], amount="300.00")  # one open promise per invoice
    cancelled = record(admin, admin.task(customer["id"], [], title="Other")["task"], other_invoice, days=3)
    announced = observe(system.infra.amqp_uri, "tasks", "promise_moved")
    assert admin.patch(f"/v1/promises/{moved['id']}", json={"promised_date": in_days(10)}).status_code == 200
    events = drain(system.infra.amqp_uri, announced.name, until=lambda m: m)
    assert [(b["data"]["promise"]["id"], b["data"]["promise"]["promised_date"]) for b, _ in events] == [
        (moved["id"], in_days(10))]
    assert admin.patch(f"/v1/promises/{cancelled['id']}", json={"status": "cancelled"}).status_code == 200
    assert admin.patch(f"/v1/promises/{cancelled['id']}", json={"status": "cancelled"}).status_code == 409
    system.move_clock(5 * DAY)  # past both original dates
    assert notices(system, queue, "promise_due_soon", settle=2) == []
    system.move_clock(4 * DAY + 60)  # inside the last 24 h of the moved date
    due = wait_for(lambda: notices(system, queue, "promise_due_soon"))
    assert len(due) == 1 and due[0]["subject_ref"]["id"] == moved["id"]


def test_C1_promise_to_pay_action_starts_the_flow_when_completed(api):
    customer = api.customer()
    invoice = api.invoice(customer["id"], amount="50.00")
    task = api.task(customer["id"], [invoice["id"]], title="Negotiate")["task"]
    action = api.post(f"/v1/tasks/{task['id']}/actions", json={
        "type": "promise_to_pay", "assignee_user_id": api.user_id,
        "payload": {"amount": "50.00", "currency": "EUR", "promised_date": in_days(7),
                    "invoice_ids": [invoice["id"]]}}).json()
    assert api.patch(f"/v1/actions/{action['id']}", json={"status": "completed"}).status_code == 200
    waiting = api.get("/v1/tasks", params={"status": "waiting", "customer_id": customer["id"]}).json()["items"]
    assert len(waiting) == 1 and waiting[0]["origin"] == "promise" and waiting[0]["category"] == "promise_to_pay"
    incomplete = api.post(f"/v1/tasks/{task['id']}/actions", json={
        "type": "promise_to_pay", "assignee_user_id": api.user_id, "payload": {"amount": "5.00"}}).json()
    resp = api.patch(f"/v1/actions/{incomplete['id']}", json={"status": "completed"})
    assert resp.status_code == 422
    assert api.get(f"/v1/actions/{incomplete['id']}").json()["status"] == "new"


def test_C5_queue_orders_by_due_date_then_priority_and_pages_stably_while_it_changes(system):
    api = system.api()
    customer = api.customer()
    now = datetime.now(timezone.utc)
    made = []
    for n, (days, priority) in enumerate([(5, 0), (1, 0), (1, 9), (None, 3), (3, 0), (None, 0), (2, 1)]):
        task = api.task(customer["id"], [], title=f"T{n}")["task"]
        patch = {"priority": priority}
        if days is not None:
            patch["due_at"] = (now + timedelta(days=days)).isoformat()
        api.patch(f"/v1/tasks/{task['id']}", json=patch)
        made.append((days if days is not None else 99, -priority, task["id"]))
    expected = [t for *_, t in sorted(made)]

    page1 = api.get("/v1/tasks", params={"limit": 3}).json()
    assert [t["id"] for t in page1["items"]] == expected[:3]
    # A queue item is the task as its case file shows it: the same fields, values and formats.
    assert page1["items"][0] == api.get(f"/v1/tasks/{expected[0]}").json()["task"]
    # A new task that sorts before the cursor and one closed task must not shift the next page.
    early = api.task(customer["id"], [], title="New and urgent")["task"]
    api.patch(f"/v1/tasks/{early['id']}", json={"due_at": now.isoformat()})
    rest, cursor = [], page1["next_cursor"]
    while cursor:
        page = api.get("/v1/tasks", params={"limit": 3, "cursor": cursor}).json()
        rest += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
    assert rest == expected[3:]
    assert api.get("/v1/tasks", params={"cursor": "garbage"}).json()["error"]["code"] == "BAD_CURSOR"


def test_C5_actions_filter_by_status_type_and_due_before_in_the_tenants_time_zone(system):
    api = system.api()  # a tenant of its own: it works in Paris
    assert api.put("/v1/settings", json={"timezone": "Europe/Paris"}).status_code == 200
    task = api.task(api.customer()["id"], [], title="Filters")["task"]

    def add(action_type, due_at, payload):
        resp = api.post(f"/v1/tasks/{task['id']}/actions", json={
            "type": action_type, "assignee_user_id": api.user_id, "due_at": due_at, "payload": payload})
        assert resp.status_code == 201, resp.text
        return resp.json()["id"]

    early = add("call", "2026-11-30T12:00:00Z", {"script": "Call"})
    # 23:30 UTC on 30 November is already 1 December in Paris.
    late_evening = add("generic", "2026-11-30T23:30:00Z", {"description": "Check"})
    later = add("call", "2026-12-05T09:00:00Z", {"script": "Call again"})
    assert api.patch(f"/v1/actions/{early}", json={"status": "in_progress"}).status_code == 200

    def ids(**params):
        resp = api.get("/v1/actions", params=params)
        assert resp.status_code == 200, resp.text
        return [a["id"] for a in resp.json()["items"]]

    assert ids() == [early, late_evening, later]
    assert ids(due_before="2026-12-01") == [early]  # before the tenant's 1 December starts
    assert ids(due_before="2026-12-01T00:00:00Z") == [early, late_evening]  # an explicit offset is taken as given
    assert ids(type="call") == [early, later]
    assert ids(status="new") == [late_evening, later]
    assert ids(status="in_progress", type="call", due_before="2026-12-10") == [early]


@pytest.mark.parametrize("path,params,field", [
    ("/v1/tasks", {"status": "bogus"}, "status"),
    ("/v1/actions", {"status": "done"}, "status"),
    ("/v1/actions", {"type": "fax"}, "type"),
    ("/v1/actions", {"due_before": "next week"}, "due_before"),
])
def test_C5_a_filter_value_the_api_does_not_know_is_422_not_an_empty_page(api, path, params, field):
    resp = api.get(path, params=params)
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["details"][0]["loc"] == ["query", field]


def test_C1_C4_a_promise_that_could_not_be_kept_is_refused_and_records_nothing(api):
    customer = api.customer()
    invoice = api.invoice(customer["id"], amount="300.00")
    task = api.task(customer["id"], [invoice["id"]], title="Negotiate")["task"]
    url = f"/v1/tasks/{task['id']}/promises"
    body = {"amount": "300.00", "currency": "EUR", "promised_date": in_days(3), "invoice_ids": [invoice["id"]]}
    entries = len(api.timeline(customer["id"]))

    past = api.post(url, json={**body, "promised_date": in_days(-1)})
    assert past.status_code == 422 and past.json()["error"]["details"][0]["loc"] == ["promised_date"]
    too_much = api.post(url, json={**body, "amount": "300.01"})
    assert too_much.status_code == 422 and too_much.json()["error"] == {
        "code": "PROMISE_EXCEEDS_BALANCE", "message": "the promise (300.01) is more than its invoices still owe (300.00)",
        "details": {"amount": "300.01", "open_balance": "300.00"}}
    assert len(api.timeline(customer["id"])) == entries  # nothing recorded, no promise task

    # The same invoice twice is the invoice once; a second promise on it is refused with the first.
    first = api.post(url, json={**body, "invoice_ids": [invoice["id"], invoice["id"]]})
    assert first.status_code == 201 and first.json()["invoice_ids"] == [invoice["id"]]
    second = api.post(url, json={**body, "amount": "100.00", "promised_date": in_days(5)})
    assert second.status_code == 409 and second.json()["error"]["code"] == "PROMISE_EXISTS"
    assert second.json()["error"]["details"]["promise"]["id"] == first.json()["id"]
    assert api.patch(f"/v1/promises/{first.json()['id']}", json={"promised_date": in_days(-2)}).status_code == 422
    # Cancelled, the first leaves room for a new one.
    assert api.patch(f"/v1/promises/{first.json()['id']}", json={"status": "cancelled"}).status_code == 200
    assert api.post(url, json={**body, "amount": "100.00", "promised_date": in_days(5)}).status_code == 201


def test_C4_completing_a_promise_task_takes_the_promise_before_the_task_as_a_payment_does(system, api):
    """A covering payment locks the promise, then its task; a user completing the task must take them in
    the same order, or the two deadlock. While the completion waits for the promise, the task is free."""
    import psycopg

    customer = api.customer()
    invoice = api.invoice(customer["id"], amount="100.00")
    task = api.task(customer["id"], [invoice["id"]], title="Negotiate")["task"]
    promise = api.post(f"/v1/tasks/{task['id']}/promises", json={
        "amount": "100.00", "currency": "EUR", "promised_date": in_days(3), "invoice_ids": [invoice["id"]]}).json()
    # holds the promise, as record_payment does
    with system.holding("select 1 from tasks.promises where id = %s for update", (promise["id"],)):
        completing = Background(lambda: api.patch(f"/v1/tasks/{promise['task_id']}", json={"status": "completed"}))
        system.wait_for_a_lock_wait()
        with psycopg.connect(system.infra.admin_url) as probe:  # what the payment would lock next is free
            probe.execute("select 1 from tasks.tasks where id = %s for update nowait", (promise["task_id"],))
    resp = completing.result()
    assert resp.status_code == 200, resp.text
    assert resp.json()["promise"]["status"] == "completed"


def test_C4_a_promise_closed_by_payment_or_cancelled_closes_its_task_as_any_close_does(system, api):
    """The promise task's open actions are skipped (no one is left with work on a closed task), the
    timeline says who closed it, and a completion is announced, whatever closed the promise."""
    colleague = api.user()
    observer = observe(system.infra.amqp_uri, "tasks", "task_completed")
    cancellations = observe(system.infra.amqp_uri, "tasks", "task_cancelled")
    closures = observe(system.infra.amqp_uri, "tasks", "promise_closed")
    customer = api.customer()
    kept_invoice, cancelled_invoice = (api.invoice(customer["id"], amount="100.00") for _ in range(2))
    task = api.task(customer["id"], [kept_invoice["id"], cancelled_invoice["id"]], title="Chase both")["task"]
    promises = {}
    for name, invoice in (("kept", kept_invoice), ("cancelled", cancelled_invoice)):
        promise = record(api, task, invoice, days=5, amount="100.00")
        action = api.post(f"/v1/tasks/{promise['task_id']}/actions", json={
            "type": "call", "assignee_user_id": colleague.user_id, "payload": {"script": "Confirm the transfer"}})
        assert action.status_code == 201, action.text
        promises[name] = (promise, action.json())

    paid = api.post("/v1/payments", json={"customer_id": customer["id"], "invoice_ids": [kept_invoice["id"]],
                                          "amount": "100.00", "currency": "EUR",
                                          "paid_at": datetime.now(timezone.utc).isoformat()})
    assert paid.status_code == 201, paid.text
    same_day = api.patch(f"/v1/promises/{promises['cancelled'][0]['id']}",
                         json={"promised_date": promises["cancelled"][0]["promised_date"]})
    assert same_day.status_code == 200  # a move to the day it already has is no move: nothing written
    assert api.patch(f"/v1/promises/{promises['cancelled'][0]['id']}", json={"status": "cancelled"}).status_code == 200

    for name, task_status in (("kept", "completed"), ("cancelled", "cancelled")):
        promise, action = promises[name]
        file = api.get(f"/v1/tasks/{promise['task_id']}").json()
        assert file["task"]["status"] == task_status and file["pending_actions"] == []
        assert [a["status"] for a in file["actions"]] == ["skipped"]
        closed = [e for e in file["timeline"] if e["kind"] == "task_status_changed" and e["subject_id"] == promise["task_id"]]
        assert len(closed) == 1 and closed[0]["data"]["skipped_actions"] == [action["id"]]
    assert [a["id"] for a in colleague.get("/v1/actions", params={"status": "new"}).json()["items"]] == []
    entries = api.timeline(customer["id"])
    cancelled = next(e for e in entries if e["kind"] == "promise_cancelled")
    assert cancelled["actor_user_id"] == api.user_id  # who cancelled it (A7)
    assert not [e for e in entries if e["kind"] == "promise_moved"]
    done = drain(system.infra.amqp_uri, observer.name, until=lambda m: m)
    assert [b["data"]["task"]["id"] for b, _ in done] == [promises["kept"][0]["task_id"]]
    cancelled_tasks = drain(system.infra.amqp_uri, cancellations.name, until=lambda m: m)
    assert [b["data"]["task"]["id"] for b, _ in cancelled_tasks] == [promises["cancelled"][0]["task_id"]]
    closed = drain(system.infra.amqp_uri, closures.name, until=lambda m: len(m) >= 2)
    assert sorted((b["data"]["promise"]["id"], b["data"]["promise"]["status"]) for b, _ in closed) == sorted(
        [(promises["kept"][0]["id"], "kept"), (promises["cancelled"][0]["id"], "cancelled")])


def test_C2_C3_a_new_tenant_time_zone_moves_waiting_promises_to_its_days(promise_setup):
    """Due Soon and Overdue follow the tenant's days: when its time zone changes, they move with them,
    and a Due Soon that already fired does not fire again."""
    system, admin, owner, customer, invoice, task, queue = promise_setup
    start = datetime.now(timezone.utc)
    moved = [0.0]

    def clock_to(at: datetime) -> None:
        step = (at - start).total_seconds() - moved[0]
        system.move_clock(step)
        moved[0] += step

    promise = record(admin, task, invoice, days=3)
    day = datetime.fromisoformat(promise["promised_date"]).replace(tzinfo=timezone.utc)  # midnight, UTC
    assert admin.put("/v1/settings", json={"timezone": "Pacific/Kiritimati"}).status_code == 200  # UTC+14
    file = admin.get(f"/v1/tasks/{promise['task_id']}").json()
    kiritimati_day = day - timedelta(hours=14)
    assert datetime.fromisoformat(file["promise"]["due_soon_at"]) == kiritimati_day - timedelta(days=1)
    assert datetime.fromisoformat(file["promise"]["overdue_at"]) == kiritimati_day + timedelta(days=1)
    assert file["task"]["due_at"] == file["promise"]["overdue_at"]

    clock_to(kiritimati_day - timedelta(hours=20))  # inside Kiritimati's last 24 h, not yet UTC's
    due = wait_for(lambda: notices(system, queue, "promise_due_soon"))
    assert len(due) == 1

    assert admin.put("/v1/settings", json={"timezone": "UTC"}).status_code == 200  # back: Overdue moves later
    clock_to(day + timedelta(hours=12))  # past Kiritimati's day, inside UTC's
    assert notices(system, queue, "promise_due_soon", settle=2) == []  # fired once, not again
    assert notices(system, queue, "promise_overdue", settle=0.5) == []
    assert admin.get(f"/v1/tasks/{promise['task_id']}").json()["promise"]["status"] == "waiting"
    clock_to(day + timedelta(days=1, hours=1))  # UTC's day is over
    overdue = wait_for(lambda: notices(system, queue, "promise_overdue"))
    assert len(overdue) == 1


def test_C2_a_promise_recorded_while_the_time_zone_changes_waits_and_gets_the_new_zones_days(system):
    """Recording a promise reads the tenant's zone shared: while a change holds it (here another
    transaction), the recording waits, then schedules on the new zone's days, not the old one's."""
    api = system.api()
    assert api.put("/v1/settings", json={"timezone": "UTC"}).status_code == 200  # its own settings row
    customer = api.customer()
    invoice = api.invoice(customer["id"], amount="100.00")
    task = api.task(customer["id"], [invoice["id"]])["task"]
    with system.holding("update tasks.tenant_settings set timezone = 'Pacific/Kiritimati' where tenant_id = %s",
                        (api.tenant_id,)):
        recording = Background(lambda: api.post(f"/v1/tasks/{task['id']}/promises", json={
            "amount": "50.00", "currency": "EUR", "promised_date": "2099-03-10", "invoice_ids": [invoice["id"]]}))
        system.wait_for_a_lock_wait()
        assert not recording.done
    resp = recording.result()
    assert resp.status_code == 201, resp.text
    assert resp.json()["overdue_at"] == "2099-03-10T10:00:00Z"  # midnight of 11 March at UTC+14


def test_C4_a_promise_on_invoices_settled_or_cancelled_by_their_sender_closes_instead_of_going_overdue(
        system, api):
    customer = api.customer()
    base = {"customer_id": customer["id"], "issue_date": "2026-11-01", "due_date": "2026-11-30", "currency": "EUR"}
    cases = {"paid elsewhere": ({"status": "paid"}, "kept", "completed"),
             "cancelled": ({"status": "cancelled"}, "cancelled", "cancelled"),
             "credited to what was paid": ({"amount": "40.00"}, "kept", "completed")}
    for name, (change, promise_status, task_status) in cases.items():
        external_id = f"ERP-{uuid.uuid4().hex[:8]}"
        body = {**base, "number": name, "amount": "100.00"}
        invoice = api.put(f"/v1/invoices/{external_id}", json=body).json()
        if name == "credited to what was paid":
            api.post("/v1/payments", json={"customer_id": customer["id"], "invoice_ids": [invoice["id"]],
                                           "amount": "40.00", "currency": "EUR", "paid_at": "2026-11-10T09:00:00Z"})
        task = api.task(customer["id"], [invoice["id"]], title=name)["task"]
        promise = record(api, task, invoice, days=5, amount="60.00")
        assert api.put(f"/v1/invoices/{external_id}", json={**body, **change}).status_code == 200
        file = api.get(f"/v1/tasks/{promise['task_id']}").json()
        assert (file["promise"]["status"], file["task"]["status"]) == (promise_status, task_status), name
        pending = system.sql("select kind from tasks.timers where key = %s and done_at is null", (promise["id"],))
        assert pending == [], name  # no Due Soon, no Overdue left to fire


def test_C5_a_promise_tasks_due_date_is_its_promises(api):
    customer = api.customer()
    invoice = api.invoice(customer["id"])
    promise = record(api, api.task(customer["id"], [invoice["id"]])["task"], invoice, days=5, amount="50.00")
    resp = api.patch(f"/v1/tasks/{promise['task_id']}", json={"due_at": None})
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "PROMISE_DATE_FIXED"
    assert api.get(f"/v1/tasks/{promise['task_id']}").json()["task"]["due_at"] == promise["overdue_at"]


def test_C2_a_promise_moved_while_the_time_zone_changes_waits_and_gets_the_new_zones_days(system):
    api = system.api()
    assert api.put("/v1/settings", json={"timezone": "UTC"}).status_code == 200
    customer = api.customer()
    invoice = api.invoice(customer["id"], amount="100.00")
    promise = record(api, api.task(customer["id"], [invoice["id"]])["task"], invoice, days=5, amount="50.00")
    with system.holding("update tasks.tenant_settings set timezone = 'Pacific/Kiritimati' where tenant_id = %s",
                        (api.tenant_id,)):
        moving = Background(lambda: api.patch(f"/v1/promises/{promise['id']}", json={"promised_date": "2099-03-10"}))
        system.wait_for_a_lock_wait()
        assert not moving.done
    resp = moving.result()
    assert resp.status_code == 200 and resp.json()["overdue_at"] == "2099-03-10T10:00:00Z", resp.text


def test_C4_a_payment_of_all_that_a_credited_invoice_still_owes_keeps_its_larger_promise(system, api):
    external_id, body, invoice, promise = erp_invoice_with_promise(api, "CN-1")
    assert api.put(f"/v1/invoices/{external_id}", json={**body, "amount": "60.00"}).status_code == 200  # credit note
    assert api.get(f"/v1/tasks/{promise['task_id']}").json()["promise"]["status"] == "waiting"  # 60 still owed
    paid = api.post("/v1/payments", json={"customer_id": body["customer_id"], "invoice_ids": [invoice["id"]],
                                          "amount": "60.00", "currency": "EUR", "paid_at": "2026-11-10T09:00:00Z"})
    assert paid.status_code == 201
    file = api.get(f"/v1/tasks/{promise['task_id']}").json()
    assert (file["promise"]["status"], file["task"]["status"]) == ("kept", "completed")
    assert system.sql("select kind from tasks.timers where key = %s and done_at is null", (promise["id"],)) == []


def test_C4_an_invoice_keeps_its_currency_while_a_promise_to_pay_it_is_open(api):
    external_id, body, invoice, promise = erp_invoice_with_promise(api, "FX-1")
    refused = api.put(f"/v1/invoices/{external_id}", json={**body, "currency": "USD"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "INVOICE_CURRENCY_FIXED"
    assert api.get(f"/v1/invoices/{external_id}").json()["currency"] == "EUR"
    # A USD payment of 100 therefore cannot keep the EUR promise.
    assert api.post("/v1/payments", json={"customer_id": body["customer_id"], "invoice_ids": [invoice["id"]],
                                          "amount": "100.00", "currency": "USD",
                                          "paid_at": "2026-11-10T09:00:00Z"}).status_code == 422
    assert api.patch(f"/v1/promises/{promise['id']}", json={"status": "cancelled"}).status_code == 200
    assert api.put(f"/v1/invoices/{external_id}", json={**body, "currency": "USD"}).status_code == 200
