"""The task manager (A1-A7, B2-B5) through the gateway, with the services running as processes."""
import json
import threading
import uuid

import pytest

from .broker import Background, drain, observe, publish, wait_for
from .notify import Sink


@pytest.fixture
def case(api):
    """A customer with an invoice and an open manual task."""
    customer = api.customer()
    invoice = api.invoice(customer["id"])
    task = api.task(customer["id"], [invoice["id"]], title="Chase invoice", category="payment_reminder")
    return {"customer": customer, "invoice": invoice, "task": task["task"]}


def add_action(client, task_id, **body):
    resp = client.post(f"/v1/tasks/{task_id}/actions", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


PAYLOADS = {
    "email": {"to": ["ap@customer.example"], "cc": ["boss@customer.example"], "subject": "Invoice", "body": "Hi"},
    "sms": {"text": "Your invoice is due", "to": "+33612345678"},
    "call": {"script": "Ask about invoice"},
    "internal_note": {"text": "Customer prefers calls"},
    "promise_to_pay": {"amount": "100.00", "currency": "EUR", "promised_date": "2026-12-15"},
    "generic": {"description": "Check the contract"},
}


@pytest.mark.parametrize("action_type", list(PAYLOADS))
def test_A1_A2_each_action_type_with_its_payload_assignee_status_and_due_date(api, case, action_type):
    action = add_action(api, case["task"]["id"], type=action_type, assignee_user_id=api.user_id,
                        due_at="2026-12-01T09:00:00+01:00", payload=PAYLOADS[action_type])
    assert action["type"] == action_type and action["status"] == "new"
    assert action["assignee_user_id"] == api.user_id and action["due_at"] == "2026-12-01T08:00:00Z"
    for key, value in PAYLOADS[action_type].items():
        assert action["payload"][key] == value


def test_A1_invalid_payload_is_422_and_creates_nothing(api, case):
    resp = api.post(f"/v1/tasks/{case['task']['id']}/actions",
                    json={"type": "email", "assignee_user_id": api.user_id, "payload": {"to": ["nope"]}})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "VALIDATION_ERROR"
    assert api.get(f"/v1/tasks/{case['task']['id']}").json()["actions"] == []


def test_A3_illegal_transition_is_409_and_changes_nothing(api, case):
    action = add_action(api, case["task"]["id"], type="call", assignee_user_id=api.user_id)
    assert api.patch(f"/v1/actions/{action['id']}", json={"status": "completed"}).status_code == 200
    resp = api.patch(f"/v1/actions/{action['id']}", json={"status": "in_progress"})
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "ILLEGAL_TRANSITION"
    after = api.get(f"/v1/actions/{action['id']}").json()
    assert after["status"] == "completed" and after["version"] == action["version"] + 1


def test_A4_draft_is_seen_only_by_its_creator_and_goes_live_when_assigned(system, api, case):
    colleague = api.user("member")
    admin = api.user("admin")
    observer = observe(system.infra.amqp_uri, "tasks", "notification_requested")
    draft = add_action(api, case["task"]["id"], type="email", payload={"subject": "Draft"})
    assert draft["status"] == "draft"
    for other in (colleague, admin):
        assert other.get(f"/v1/actions/{draft['id']}").status_code == 404
        assert other.patch(f"/v1/actions/{draft['id']}", json={"status": "skipped"}).status_code == 404
        assert draft["id"] not in [a["id"] for a in other.get(f"/v1/tasks/{case['task']['id']}").json()["actions"]]
    assert draft["id"] in [a["id"] for a in api.get(f"/v1/actions", params={"status": "draft"}).json()["items"]]

    live = api.patch(f"/v1/actions/{draft['id']}", json={"assignee_user_id": colleague.user_id})
    assert live.status_code == 200 and live.json()["status"] == "new"
    assert colleague.get(f"/v1/actions/{draft['id']}").status_code == 200
    assert draft["id"] in [a["id"] for a in colleague.get("/v1/actions").json()["items"]]
    sent = drain(system.infra.amqp_uri, observer.name, until=lambda m: m)
    notices = [b["data"] for b, _ in sent if b["data"]["kind"] == "action_assigned"]
    assert len(notices) == 1 and notices[0]["channel"] == "in_app"
    assert notices[0]["recipients"][0]["user_id"] == colleague.user_id


def test_A4_an_assignee_who_wants_email_gets_the_notice_by_email_too(system, api, case):
    wants, does_not = api.user("member"), api.user("member")
    assert wants.get("/v1/me/notification-settings").json() == {
        "email": wants.tenant["email"], "email_kinds": [],
        "available_kinds": ["action_assigned", "task_raised", "promise_due_soon", "promise_overdue",
                            "client_task_active", "workflow_step_waiting"]}
    for bad in ({"email_kinds": ["fax"]}, {"email_kinds": "action_assigned"}, {}):
        resp = wants.put("/v1/me/notification-settings", json=bad)
        assert resp.status_code == 422 and resp.json()["error"]["code"] == "VALIDATION_ERROR", resp.text
    assert wants.get("/v1/me/notification-settings").json()["email_kinds"] == []
    saved = wants.put("/v1/me/notification-settings", json={"email_kinds": ["action_assigned", "action_assigned"]})
    assert saved.status_code == 200 and saved.json()["email_kinds"] == ["action_assigned"]
    # Another user's choice is theirs: the admin's own settings are untouched.
    assert api.get("/v1/me/notification-settings").json()["email_kinds"] == []

    def assign(user) -> dict:
        """Assigns a new draft to the user; returns who the notice went to, by channel."""
        draft = add_action(api, case["task"]["id"], type="call", payload={"script": "Ask about the invoice"})
        live = api.patch(f"/v1/actions/{draft['id']}", json={"assignee_user_id": user.user_id}).json()
        key = f"action:{live['id']}:assigned:{user.user_id}:{live['version']}"
        wait_for(lambda: api.get("/v1/notifications/deliveries", params={"idempotency_key": key}).status_code == 200)
        found = api.get("/v1/notifications/deliveries", params={"idempotency_key": key}).json()["deliveries"]
        return {d["channel"]: d["recipient"] for d in found}

    sink = Sink(system)
    assert assign(does_not) == {"in_app": does_not.user_id}
    assert assign(wants) == {"in_app": wants.user_id, "email": wants.tenant["email"]}
    wait_for(lambda: len(sink.messages(rcpt=wants.tenant["email"])) == 1)
    mail = sink.messages(rcpt=wants.tenant["email"])[0]
    notice = wants.get("/v1/notifications").json()["items"][0]
    assert mail["to"] == wants.tenant["email"] and mail["subject"] == notice["title"]
    assert notice["body"] in mail["body_text"]
    assert sink.messages(rcpt=does_not.tenant["email"]) == []

    # Turned off, the next assignment comes in-app only.
    assert wants.put("/v1/me/notification-settings", json={"email_kinds": []}).json()["email_kinds"] == []
    assert assign(wants) == {"in_app": wants.user_id}

    # A notice is about an action but is not its delivery: only an action's own send shows its
    # states (E2). An email sent after the notices reports back after them, so by then they would show.
    to = f"ap-{uuid.uuid4().hex[:8]}@customer.example"  # the SMTP sink is shared with other tests
    email = add_action(api, case["task"]["id"], type="email", assignee_user_id=api.user_id,
                       payload={**PAYLOADS["email"], "to": [to], "cc": []})
    assert api.patch(f"/v1/actions/{email['id']}", json={"status": "completed"}).status_code == 200
    wait_for(lambda: {d["recipient"] for d in api.get(f"/v1/actions/{email['id']}").json()["delivery"]} == {to})
    file = api.get(f"/v1/tasks/{case['task']['id']}").json()
    assert [a["delivery"] for a in file["actions"] if a["id"] != email["id"]] == [[], [], []]
    reported = {e["subject_id"] for e in api.timeline(case["customer"]["id"]) if e["kind"] == "delivery_status"}
    assert reported == {email["id"]}


def test_A4_a_draft_discarded_unseen_stays_its_creators_alone(api, case):
    colleague, admin = api.user("member"), api.user("admin")
    draft = add_action(api, case["task"]["id"], type="email", payload={"subject": "Half-written", "body": "Dear..."})
    assert api.patch(f"/v1/actions/{draft['id']}", json={"status": "skipped"}).json()["status"] == "skipped"
    for other in (colleague, admin):
        assert other.get(f"/v1/actions/{draft['id']}").status_code == 404
        assert draft["id"] not in [a["id"] for a in other.get(f"/v1/tasks/{case['task']['id']}").json()["actions"]]
        listed = other.get("/v1/actions", params={"task_id": case["task"]["id"]}).json()["items"]
        assert draft["id"] not in [a["id"] for a in listed]
    assert api.get(f"/v1/actions/{draft['id']}").json()["status"] == "skipped"
    assert draft["id"] in [a["id"] for a in api.get("/v1/actions", params={"status": "skipped"}).json()["items"]]
    assert not [e for e in api.timeline(case["customer"]["id"]) if e["subject_id"] == draft["id"]]


def test_A5_actions_given_with_a_new_task_keep_their_trigger_event(api):
    customer = api.customer()
    invoice = api.invoice(customer["id"])
    event = next(e for e in api.timeline(customer["id"]) if e["kind"] == "invoice_upserted")
    bogus = api.post("/v1/tasks", json={"customer_id": customer["id"], "invoice_ids": [invoice["id"]], "title": "T",
                                        "assignee_user_id": api.user_id,
                                        "actions": [{"type": "generic", "trigger_event_id": str(uuid.uuid4())}]})
    assert bogus.status_code == 404 and bogus.json()["error"]["code"] == "TIMELINE_EVENT_NOT_FOUND"
    assert api.get("/v1/tasks", params={"customer_id": customer["id"]}).json()["items"] == []  # nothing created
    file = api.task(customer["id"], [invoice["id"]], actions=[
        {"type": "call", "assignee_user_id": api.user_id, "trigger_event_id": event["id"]},
        {"type": "generic", "assignee_user_id": api.user_id}])
    grouped = [(g["trigger_event_id"], [a["type"] for a in g["actions"]]) for g in file["action_groups"]]
    assert grouped == [(event["id"], ["call"])] and [a["type"] for a in file["pending_actions"]] == ["generic"]


def test_A7_a_task_is_handed_to_another_owner_and_leaves_the_first_ones_queue(api, case):
    successor = api.user()
    task_id = case["task"]["id"]
    held = add_action(api, task_id, type="call", assignee_user_id=api.user_id, payload={"script": "Call them"})
    done = add_action(api, task_id, type="generic", assignee_user_id=api.user_id)
    api.patch(f"/v1/actions/{done['id']}", json={"status": "completed"})
    for bad, code in (({"owner_user_id": None}, "VALIDATION_ERROR"), ({"owner_user_id": str(uuid.uuid4())}, "UNKNOWN_USER")):
        resp = api.patch(f"/v1/tasks/{task_id}", json=bad)
        assert resp.status_code == 422 and resp.json()["error"]["code"] == code, resp.text
    handed = api.patch(f"/v1/tasks/{task_id}", json={"owner_user_id": successor.user_id})
    assert handed.status_code == 200 and handed.json()["task"]["owner_user_id"] == successor.user_id
    assert task_id in [t["id"] for t in successor.get("/v1/tasks").json()["items"]]
    assert task_id not in [t["id"] for t in api.get("/v1/tasks", params={"customer_id": case["customer"]["id"]}).json()["items"]]
    entry = next(e for e in api.timeline(case["customer"]["id"]) if e["kind"] == "task_updated")
    assert entry["data"]["fields"] == ["owner_user_id"] and entry["actor_user_id"] == api.user_id
    # The live work the first owner held goes with the task; what is done stays as it was.
    assert entry["data"]["reassigned_actions"] == [held["id"]]
    assert api.get(f"/v1/actions/{held['id']}").json()["assignee_user_id"] == successor.user_id
    assert api.get(f"/v1/actions/{done['id']}").json()["assignee_user_id"] == api.user_id
    assert successor.patch(f"/v1/actions/{held['id']}", json={"status": "in_progress"}).status_code == 200


def test_A1_A3_an_email_takes_what_can_be_sent_and_a_closed_actions_due_date_stays(api, case):
    too_many = {"to": [f"a{n}@x.example" for n in range(50)], "cc": [f"c{n}@x.example" for n in range(50)],
                "bcc": ["b@x.example"], "subject": "All", "body": "Hi"}
    resp = api.post(f"/v1/tasks/{case['task']['id']}/actions",
                    json={"type": "email", "assignee_user_id": api.user_id, "payload": too_many})
    assert resp.status_code == 422 and "at most 100 recipients" in resp.text  # refused when written, not sent
    call = add_action(api, case["task"]["id"], type="call", assignee_user_id=api.user_id)
    api.patch(f"/v1/actions/{call['id']}", json={"status": "completed"})
    late = api.patch(f"/v1/actions/{call['id']}", json={"due_at": "2026-12-24T09:00:00Z"})
    assert late.status_code == 409 and api.get(f"/v1/actions/{call['id']}").json()["due_at"] is None


def test_A4_assigning_and_closing_a_draft_at_once_tells_no_one_and_a_reassignment_may_restate_the_status(
        system, api, case):
    colleague, other = api.user(), api.user()
    observer = observe(system.infra.amqp_uri, "tasks", "notification_requested")
    draft = add_action(api, case["task"]["id"], type="generic")
    assert api.patch(f"/v1/actions/{draft['id']}",
                     json={"assignee_user_id": colleague.user_id, "status": "skipped"}).status_code == 200
    working = add_action(api, case["task"]["id"], type="call", assignee_user_id=colleague.user_id)
    colleague.patch(f"/v1/actions/{working['id']}", json={"status": "in_progress"})
    moved = api.patch(f"/v1/actions/{working['id']}", json={"assignee_user_id": other.user_id, "status": "in_progress"})
    assert moved.status_code == 200 and moved.json()["assignee_user_id"] == other.user_id, moved.text
    told = [b["data"]["subject_ref"]["id"] for b, _ in drain(system.infra.amqp_uri, observer.name, settle_s=1.0)
            if b["data"]["kind"] == "action_assigned"]
    assert draft["id"] not in told and told.count(working["id"]) == 2  # colleague, then the other


def test_A5_actions_grouped_by_their_trigger_event(api, case):
    event = next(e for e in api.timeline(case["customer"]["id"]) if e["kind"] == "invoice_upserted")
    grouped = [add_action(api, case["task"]["id"], type=t, assignee_user_id=api.user_id, trigger_event_id=event["id"],
                          payload=PAYLOADS[t]) for t in ("email", "call")]
    loose = add_action(api, case["task"]["id"], type="generic", assignee_user_id=api.user_id)
    group = api.get("/v1/actions", params={"trigger_event_id": event["id"]}).json()["items"]
    assert sorted(a["id"] for a in group) == sorted(a["id"] for a in grouped)
    file = api.get(f"/v1/tasks/{case['task']['id']}").json()
    assert [(g["trigger_event_id"], sorted(a["id"] for a in g["actions"])) for g in file["action_groups"]] == [
        (event["id"], sorted(a["id"] for a in grouped))]
    assert [a["id"] for a in file["pending_actions"]] == [loose["id"]]
    bogus = api.post(f"/v1/tasks/{case['task']['id']}/actions",
                     json={"type": "generic", "trigger_event_id": str(uuid.uuid4())})
    assert bogus.status_code == 404


def test_A6_completed_or_skipped_actions_leave_the_pending_section(api, case):
    ids = [add_action(api, case["task"]["id"], type="generic", assignee_user_id=api.user_id)["id"] for _ in range(3)]
    add_action(api, case["task"]["id"], type="generic")  # a draft is not pending
    pending = lambda: [a["id"] for a in api.get(f"/v1/tasks/{case['task']['id']}").json()["pending_actions"]]
    assert pending() == ids
    api.patch(f"/v1/actions/{ids[0]}", json={"status": "completed"})
    api.patch(f"/v1/actions/{ids[1]}", json={"status": "skipped"})
    api.patch(f"/v1/actions/{ids[2]}", json={"status": "blocked"})
    assert pending() == [ids[2]]


def test_A7_case_file_holds_everything_and_the_timeline_says_who_did_what(api, case):
    colleague = api.user()
    action = add_action(api, case["task"]["id"], type="internal_note", assignee_user_id=colleague.user_id,
                        payload={"text": "Spoke to accounting"})
    colleague.patch(f"/v1/actions/{action['id']}", json={"status": "completed"})
    file = api.get(f"/v1/tasks/{case['task']['id']}").json()
    assert file["task"]["title"] == "Chase invoice" and file["task"]["category"] == "payment_reminder"
    assert file["task"]["owner_user_id"] == api.user_id and file["task"]["status"] == "open"
    assert file["customer"]["id"] == case["customer"]["id"]
    assert [i["id"] for i in file["invoices"]] == [case["invoice"]["id"]]
    assert [a["id"] for a in file["actions"]] == [action["id"]]
    entries = {e["kind"]: e for e in file["timeline"]}
    assert entries["action_status_changed"]["actor_user_id"] == colleague.user_id
    assert entries["note"]["summary"] == "Spoke to accounting"
    assert entries["action_created"]["actor_user_id"] == api.user_id


def test_A4_D5_completing_an_email_sends_it_once_as_the_acting_user_and_shows_delivery(system, api, case):
    observer = observe(system.infra.amqp_uri, "tasks", "notification_requested")
    action = add_action(api, case["task"]["id"], type="email", assignee_user_id=api.user_id, payload=PAYLOADS["email"])
    assert api.patch(f"/v1/actions/{action['id']}", json={"status": "completed"}).status_code == 200
    assert api.patch(f"/v1/actions/{action['id']}", json={"status": "completed"}).status_code == 409
    sent = [b for b, _ in drain(system.infra.amqp_uri, observer.name, until=lambda m: m)
            if b["data"]["kind"] == "action_email"]
    assert len(sent) == 1
    request = sent[0]["data"]
    me = api.get(f"/v1/customers/{case['customer']['id']}").json()  # any authenticated read
    assert me and request["sender"]["user_id"] == api.user_id and request["sender"]["email"].endswith(".example")
    assert {(r["address"], r["role"]) for r in request["recipients"]} == {
        ("ap@customer.example", "to"), ("boss@customer.example", "cc")}
    assert request["idempotency_key"] == f"action:{action['id']}:send"

    # The real notifications service sends it: it arrives at the SMTP server from the user, to and cc.
    from .notify import Sink
    mail = wait_for(lambda: Sink(system).messages(rcpt="ap@customer.example"), 60)
    assert len(mail) == 1 and api.tenant["api_key"] not in str(mail)
    # The tenant declared no sender identity: from the platform under the user's name, Reply-To the user.
    assert mail[0]["reply_to"] == request["sender"]["email"] and "boss@customer.example" in mail[0]["cc"]
    assert mail[0]["subject"] == "Invoice" and mail[0]["body_text"].strip().startswith("Hi")
    # Delivery states come back per recipient (E2): the action shows them and so does the timeline.
    states = lambda: {(d["recipient"], d["state"]) for d in api.get(f"/v1/actions/{action['id']}").json()["delivery"]}
    wait_for(lambda: {("ap@customer.example", "sent"), ("boss@customer.example", "sent")} <= states(), 60)
    for _ in range(2):  # a provider reporting the same state twice changes nothing
        publish(system.infra.amqp_uri, "notifications.events", "delivery_status_changed", {
            "event_id": str(uuid.uuid4()), "event_type": "delivery_status_changed", "producer": "notifications",
            "tenant_id": api.tenant_id, "occurred_at": "2026-11-22T10:00:00Z", "schema_version": 1,
            "data": {"notification_id": str(uuid.uuid4()), "idempotency_key": request["idempotency_key"],
                     "kind": "action_email", "channel": "email", "recipient": "ap@customer.example",
                     "state": "delivered", "occurred_at": "2026-11-22T10:00:00Z",
                     "subject_ref": request["subject_ref"]}},
            {"nameko.tenant_id": api.tenant_id})
    wait_for(lambda: ("ap@customer.example", "delivered") in states())
    delivered = [e for e in api.timeline(case["customer"]["id"])
                 if e["kind"] == "delivery_status" and e["data"]["state"] == "delivered"]
    assert len(delivered) == 1


def test_E2_a_bounce_raises_one_action_per_send_for_the_task_owner_and_a_notice_even_once_closed(system, api, case):
    recipients = ["gone@customer.example", "left@customer.example", "late@customer.example"]
    action = add_action(api, case["task"]["id"], type="email", assignee_user_id=api.user_id,
                        payload={"to": recipients, "subject": "Hello", "body": "..."})
    api.patch(f"/v1/actions/{action['id']}", json={"status": "completed"})
    ref = {"type": "action", "id": action["id"], "customer_id": case["customer"]["id"], "task_id": case["task"]["id"]}
    notices = observe(system.infra.amqp_uri, "tasks", "notification_requested")

    def bounce(recipient, reason):
        publish(system.infra.amqp_uri, "notifications.events", "delivery_status_changed", {
            "event_id": str(uuid.uuid4()), "event_type": "delivery_status_changed", "producer": "notifications",
            "tenant_id": api.tenant_id, "occurred_at": "2026-11-22T10:00:00Z", "schema_version": 1,
            "data": {"notification_id": str(uuid.uuid4()), "idempotency_key": f"action:{action['id']}:send",
                     "kind": "action_email", "channel": "email", "recipient": recipient,
                     "state": "bounced", "reason": reason, "occurred_at": "2026-11-22T10:00:00Z",
                     "subject_ref": ref}}, {"nameko.tenant_id": api.tenant_id})

    def follow_ups():
        return [a for a in api.get(f"/v1/tasks/{case['task']['id']}").json()["actions"]
                if a["payload"].get("caused_by_action_id") == action["id"]]

    bounce(recipients[0], "550 no such user")
    wait_for(follow_ups)
    bounce(recipients[1], "550 mailbox disabled")
    wait_for(lambda: "left@" in follow_ups()[0]["payload"]["description"])
    (follow_up,) = follow_ups()  # one action for the failed send, naming both
    assert follow_up["assignee_user_id"] == case["task"]["owner_user_id"] and follow_up["status"] == "new"
    assert "550 no such user" in follow_up["payload"]["description"]

    assert api.patch(f"/v1/tasks/{case['task']['id']}", json={"status": "completed"}).status_code == 200
    bounce(recipients[2], "550 over quota")
    told = drain(system.infra.amqp_uri, notices.name,
                 until=lambda m: sum(b["data"]["kind"] == "task_raised" for b, _ in m) >= 3)
    bodies = [b["data"]["content"]["body_text"] for b, _ in told if b["data"]["kind"] == "task_raised"]
    assert len(bodies) == 3 and "late@customer.example" in bodies[-1] and "(task completed)" in bodies[-1]
    assert len(follow_ups()) == 1  # none added to the closed task


def test_concurrent_changes_end_in_one_valid_state_and_one_409(api, case):
    colleague = api.user("admin")
    action = add_action(api, case["task"]["id"], type="call", assignee_user_id=api.user_id)
    results = []
    barrier = threading.Barrier(2)

    def complete(client):
        barrier.wait()
        results.append(client.patch(f"/v1/actions/{action['id']}", json={"status": "completed"}).status_code)

    threads = [threading.Thread(target=complete, args=(c,)) for c in (api, colleague)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == [200, 409]
    final = api.get(f"/v1/actions/{action['id']}").json()
    assert final["status"] == "completed" and final["version"] == action["version"] + 1


def test_X3_another_tenants_action_is_404(system, api, case):
    action = add_action(api, case["task"]["id"], type="call", assignee_user_id=api.user_id)
    stranger = system.api()
    assert stranger.get(f"/v1/actions/{action['id']}").status_code == 404
    assert stranger.patch(f"/v1/actions/{action['id']}", json={"status": "skipped"}).status_code == 404
    assert api.get(f"/v1/actions/{action['id']}").json()["status"] == "new"


def test_B3_duplicate_open_task_returns_the_match_unless_forced(api, case):
    body = {"customer_id": case["customer"]["id"], "invoice_ids": [case["invoice"]["id"]], "title": "Again",
            "assignee_user_id": api.user_id}
    dup = api.post("/v1/tasks", json=body)
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "DUPLICATE_TASK"
    match = dup.json()["error"]["details"]["task"]
    assert match["id"] == case["task"]["id"] and match["priority"] == 0 and match["category"] == "payment_reminder"
    forced = api.post("/v1/tasks", params={"force": "true"}, json=body)
    assert forced.status_code == 201 and forced.json()["task"]["id"] != case["task"]["id"]
    other_set = api.post("/v1/tasks", json={**body, "invoice_ids": []})
    assert other_set.status_code == 201


def test_B2_B4_workflow_task_has_one_preset_action_its_owner_and_reports_completion(system, api, case):
    step_owner = api.user()
    observer = observe(system.infra.amqp_uri, "tasks", "task_completed")
    file = system.rpc("tasks", "create_task_from_workflow", {"tenant_id": api.tenant_id},
                      payload={"customer_id": case["customer"]["id"], "invoice_ids": [case["invoice"]["id"]],
                               "title": "Dunning step 2: call", "owner_user_id": step_owner.user_id,
                               "action": {"type": "call", "payload": {"script": "Remind politely"}},
                               "workflow_ref": {"enrolment_id": "E-1", "step": 2}})
    assert file["task"]["origin"] == "workflow" and file["task"]["owner_user_id"] == step_owner.user_id
    assert [(a["type"], a["assignee_user_id"]) for a in file["actions"]] == [("call", step_owner.user_id)]
    action_id = file["actions"][0]["id"]
    assert step_owner.patch(f"/v1/actions/{action_id}", json={"status": "completed"}).status_code == 200
    assert api.get(f"/v1/tasks/{file['task']['id']}").json()["task"]["status"] == "completed"
    done = drain(system.infra.amqp_uri, observer.name, until=lambda m: m)
    assert [b["data"]["workflow_ref"] for b, _ in done] == [{"enrolment_id": "E-1", "step": 2}]

    # Cancelled instead, the waiting step hears that too: it will not be done.
    cancellations = observe(system.infra.amqp_uri, "tasks", "task_cancelled")
    other = system.rpc("tasks", "create_task_from_workflow", {"tenant_id": api.tenant_id}, payload={
        "customer_id": case["customer"]["id"], "invoice_ids": [], "title": "Dunning step 3: letter",
        "owner_user_id": step_owner.user_id, "action": {"type": "generic", "payload": {"description": "Send it"}},
        "workflow_ref": {"enrolment_id": "E-1", "step": 3}, "wait_for_completion": True})
    assert api.patch(f"/v1/tasks/{other['task']['id']}", json={"status": "cancelled"}).status_code == 200
    cancelled = drain(system.infra.amqp_uri, cancellations.name, until=lambda m: m)
    assert [(b["data"]["task"]["status"], b["data"]["workflow_ref"]) for b, _ in cancelled] == [
        ("cancelled", {"enrolment_id": "E-1", "step": 3})]


def test_B2_a_draft_on_a_workflow_task_does_not_hold_it_open(system, api, case):
    step_owner = api.user()
    file = system.rpc("tasks", "create_task_from_workflow", {"tenant_id": api.tenant_id},
                      payload={"customer_id": case["customer"]["id"], "invoice_ids": [case["invoice"]["id"]],
                               "title": "Dunning step 3: call", "owner_user_id": step_owner.user_id,
                               "action": {"type": "call", "payload": {"script": "Last reminder"}},
                               "workflow_ref": {"enrolment_id": "E-2", "step": 3}, "wait_for_completion": True})
    draft = add_action(api, file["task"]["id"], type="email", payload={"subject": "Maybe later"})
    follow_up = add_action(api, file["task"]["id"], type="generic", assignee_user_id=step_owner.user_id)
    preset = file["actions"][0]["id"]
    assert step_owner.patch(f"/v1/actions/{preset}", json={"status": "completed"}).status_code == 200
    assert api.get(f"/v1/tasks/{file['task']['id']}").json()["task"]["status"] == "open"  # a live one is left
    assert step_owner.patch(f"/v1/actions/{follow_up['id']}", json={"status": "completed"}).status_code == 200
    assert api.get(f"/v1/tasks/{file['task']['id']}").json()["task"]["status"] == "completed"  # the draft is not
    assert api.get(f"/v1/actions/{draft['id']}").json()["status"] == "skipped"


def test_B5_ai_suggestions_switch_is_per_tenant_and_admin_only(system):
    api = system.api(ai_suggestions=None)  # a tenant of its own, with the product's default
    assert api.get("/v1/settings").json()["ai_suggestions"] is True
    member = api.user("member")
    assert member.put("/v1/settings", json={"ai_suggestions": False}).status_code == 403
    assert api.put("/v1/settings", json={"ai_suggestions": False, "timezone": "Europe/Paris"}).status_code == 200
    assert api.get("/v1/settings").json() == {"ai_suggestions": False, "timezone": "Europe/Paris"}
    assert system.api(ai_suggestions=None).get("/v1/settings").json()["ai_suggestions"] is True  # others unaffected
    assert api.put("/v1/settings", json={"timezone": "Mars/Olympus"}).status_code == 422


def test_A3_a_change_that_changes_nothing_writes_nothing(api, case):
    """Resending what an action or a task already holds is no change: no new version, no timeline entry."""
    action = add_action(api, case["task"]["id"], type="call", assignee_user_id=api.user_id,
                        due_at="2026-12-01T09:00:00Z", payload={"script": "Ask about the invoice"})
    entries = len(api.timeline(case["customer"]["id"]))
    for body in ({}, {"assignee_user_id": api.user_id}, {"due_at": "2026-12-01T10:00:00+01:00"},
                 {"payload": {"script": "Ask about the invoice"}}):
        resp = api.patch(f"/v1/actions/{action['id']}", json=body)
        assert resp.status_code == 200 and resp.json()["version"] == action["version"], (body, resp.text)
    assert api.patch(f"/v1/tasks/{case['task']['id']}", json={"title": case["task"]["title"]}).status_code == 200
    assert len(api.timeline(case["customer"]["id"])) == entries

    # A real change still writes, once, and says what changed.
    moved = api.patch(f"/v1/actions/{action['id']}", json={"due_at": "2026-12-02T09:00:00Z"}).json()
    assert moved["version"] == action["version"] + 1 and moved["due_at"] == "2026-12-02T09:00:00Z"
    assert api.patch(f"/v1/tasks/{case['task']['id']}",
                     json={"title": case["task"]["title"], "priority": 2}).status_code == 200
    updates = [e for e in api.timeline(case["customer"]["id"]) if e["kind"] == "task_updated"]
    assert [u["data"]["fields"] for u in updates] == [["priority"]]


def test_D5_D6_an_email_or_sms_with_no_recipient_or_nothing_to_say_is_refused_and_not_sent(system, api, case):
    observer = observe(system.infra.amqp_uri, "tasks", "notification_requested")
    refused = {}
    for action_type, payload, code in [
            ("email", {"subject": "Invoice", "body": "Hi"}, "NO_RECIPIENT"),
            ("email", {"to": ["ap@customer.example"], "subject": "Invoice"}, "EMPTY_MESSAGE"),
            ("sms", {"to": "+33612345678", "text": "  "}, "EMPTY_MESSAGE")]:
        action = add_action(api, case["task"]["id"], type=action_type, assignee_user_id=api.user_id, payload=payload)
        resp = api.patch(f"/v1/actions/{action['id']}", json={"status": "completed"})
        assert resp.status_code == 422 and resp.json()["error"]["code"] == code, resp.text
        after = api.get(f"/v1/actions/{action['id']}").json()
        assert (after["status"], after["version"], after["completed_at"]) == ("new", action["version"], None)
        refused[code, action_type] = action

    # Given a body, the email goes: once, and only it.
    email = refused["EMPTY_MESSAGE", "email"]
    assert api.patch(f"/v1/actions/{email['id']}", json={"payload": {"body": "Please pay"}}).status_code == 200
    assert api.patch(f"/v1/actions/{email['id']}", json={"status": "completed"}).status_code == 200
    sent = [b["data"] for b, _ in drain(system.infra.amqp_uri, observer.name, until=lambda m: m)]
    assert [(s["subject_ref"]["id"], s["content"]["body_text"]) for s in sent] == [(email["id"], "Please pay")]


def test_A6_closing_a_task_skips_the_actions_it_still_holds_open(api, case):
    task_id = case["task"]["id"]
    waiting = add_action(api, task_id, type="call", assignee_user_id=api.user_id, payload={"script": "Call"})
    started = add_action(api, task_id, type="generic", assignee_user_id=api.user_id, payload={"description": "Go"})
    assert api.patch(f"/v1/actions/{started['id']}", json={"status": "in_progress"}).status_code == 200
    done = add_action(api, task_id, type="internal_note", assignee_user_id=api.user_id, payload={"text": "Noted"})
    assert api.patch(f"/v1/actions/{done['id']}", json={"status": "completed"}).status_code == 200
    draft = add_action(api, task_id, type="email", payload={"subject": "Half-written"})

    assert api.patch(f"/v1/tasks/{task_id}", json={"status": "completed"}).status_code == 200
    status = {a["id"]: a["status"] for a in api.get(f"/v1/tasks/{task_id}").json()["actions"]}
    assert status == {waiting["id"]: "skipped", started["id"]: "skipped", done["id"]: "completed",
                      draft["id"]: "skipped"}
    assert api.get("/v1/actions", params={"task_id": task_id, "status": "new"}).json()["items"] == []
    # Nothing is left to send for a task that is over.
    assert api.patch(f"/v1/actions/{waiting['id']}", json={"status": "completed"}).status_code == 409
    closed = [e for e in api.timeline(case["customer"]["id"])
              if e["kind"] == "task_status_changed" and e["subject_id"] == task_id]
    assert sorted(closed[0]["data"]["skipped_actions"]) == sorted([waiting["id"], started["id"]])  # not the draft


def test_A6_an_action_completed_while_its_task_closes_stays_completed(system, api, case):
    """The close skips what is open when it writes, not what was open when it read: a completion that
    commits first (its row locked while the close waits) is kept, not overwritten with skipped."""
    action = add_action(api, case["task"]["id"], type="call", assignee_user_id=api.user_id, payload={"script": "Hi"})
    # another user's completion, not yet committed
    with system.holding("update tasks.actions set status = 'completed', version = version + 1 where id = %s",
                        (action["id"],)):
        closing = Background(lambda: api.patch(f"/v1/tasks/{case['task']['id']}", json={"status": "completed"}))
        system.wait_for_a_lock_wait()
    resp = closing.result()
    assert resp.status_code == 200, resp.text
    assert api.get(f"/v1/actions/{action['id']}").json()["status"] == "completed"


def test_B2_changes_to_one_tasks_actions_take_turns_so_the_last_completion_sees_the_others(system, api, case):
    """Two actions of one task completed at once must see each other, or neither closes a workflow's task
    (its step would wait forever): a change to an action takes its task's row lock first, so while the
    task is held (here by another transaction), the change waits, then goes through."""
    action = add_action(api, case["task"]["id"], type="call", assignee_user_id=api.user_id, payload={"script": "Hi"})
    with system.holding("select 1 from tasks.tasks where id = %s for update", (case["task"]["id"],)):
        changing = Background(lambda: api.patch(f"/v1/actions/{action['id']}", json={"status": "completed"}))
        system.wait_for_a_lock_wait()
        assert not changing.done  # it waits for the task
    resp = changing.result()
    assert resp.status_code == 200 and resp.json()["status"] == "completed"


def test_A6_an_action_added_while_its_task_closes_is_refused_not_left_live(system, api, case):
    """Adding an action takes the task's row lock: while a close holds it (here another transaction
    closing the task), the addition waits, then finds the task closed: 409 TASK_CLOSED, nothing added."""
    task_id = case["task"]["id"]
    with system.holding("update tasks.tasks set status = 'completed', closed_at = now() where id = %s", (task_id,)):
        adding = Background(lambda: api.post(
            f"/v1/tasks/{task_id}/actions", json={"type": "call", "assignee_user_id": api.user_id, "payload": {}}))
        system.wait_for_a_lock_wait()
    resp = adding.result()
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "TASK_CLOSED"
    assert api.get(f"/v1/tasks/{task_id}").json()["actions"] == []


def test_B3_two_creations_at_once_for_one_customer_take_turns_so_the_second_sees_the_first(system, api, case):
    """The duplicate check reads the customer's open tasks: two creations at once would each miss the
    other. Creation takes the customer's row lock, so while it is held (here by another transaction) a
    creation waits; released, it runs the check against what is committed by then."""
    other_invoice = api.invoice(case["customer"]["id"])
    with system.holding("select 1 from tasks.customers where id = %s for no key update", (case["customer"]["id"],)):
        creating = Background(lambda: api.post("/v1/tasks", json={
            "customer_id": case["customer"]["id"], "invoice_ids": [other_invoice["id"]], "title": "Second",
            "assignee_user_id": api.user_id}))
        system.wait_for_a_lock_wait()
        assert not creating.done
    resp = creating.result()
    assert resp.status_code == 201, resp.text
    again = api.post("/v1/tasks", json={"customer_id": case["customer"]["id"], "invoice_ids": [other_invoice["id"]],
                                       "title": "Third", "assignee_user_id": api.user_id})
    assert again.status_code == 409 and again.json()["error"]["code"] == "DUPLICATE_TASK"


def test_A7_two_main_contacts_added_at_once_leave_one_main_contact(system, api, case):
    """Adding a main contact unsets the others': two at once would each miss the other's insert and both
    stay main. A main contact takes the customer's row lock first, so while it is held (here by another
    transaction) both additions wait, then run one after the other; an index forbids a second main."""
    customer_id = case["customer"]["id"]

    def add(name):
        return lambda: api.post(f"/v1/customers/{customer_id}/contacts",
                                json={"name": name, "phone": "+33600000002", "is_main": True})

    with system.holding("select 1 from tasks.customers where id = %s for no key update", (customer_id,)):
        first, second = Background(add("First")), Background(add("Second"))
        system.wait_for_a_lock_wait()
        assert not first.done and not second.done
    assert first.result().status_code == 201 and second.result().status_code == 201
    mains = system.sql("select name from tasks.contacts where customer_id = %s and is_main", (customer_id,))
    assert len(mains) == 1, mains


def test_A7_only_the_owner_or_an_admin_hands_a_task_over(api):
    owner, colleague = api.user(), api.user()
    task = api.task(api.customer()["id"], title="Owned by one", assignee_user_id=owner.user_id)
    task_id = task["task"]["id"]
    held = add_action(owner, task_id, type="email", assignee_user_id=owner.user_id,
                      payload={"to": ["c@x.example"], "subject": "Hi", "body": "Pay"})
    taken = colleague.patch(f"/v1/tasks/{task_id}", json={"owner_user_id": colleague.user_id})
    assert taken.status_code == 403 and taken.json()["error"]["code"] == "FORBIDDEN"
    assert api.get(f"/v1/actions/{held['id']}").json()["assignee_user_id"] == owner.user_id
    assert api.get(f"/v1/tasks/{task_id}").json()["task"]["owner_user_id"] == owner.user_id
    assert owner.patch(f"/v1/tasks/{task_id}", json={"owner_user_id": colleague.user_id}).status_code == 200
    assert api.patch(f"/v1/tasks/{task_id}", json={"owner_user_id": owner.user_id}).status_code == 200  # an admin
