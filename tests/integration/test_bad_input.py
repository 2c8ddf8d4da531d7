"""Bad input gets the documented 4xx error and changes nothing."""
import base64
import json
import uuid

import httpx
import pytest


@pytest.fixture
def customer(api):
    return api.customer()


def _invoice(customer_id, **kw):
    return {"customer_id": customer_id, "number": "B-1", "issue_date": "2026-11-01", "due_date": "2026-11-30",
            "amount": "10.00", "currency": "EUR", **kw}


@pytest.mark.parametrize("change,field", [
    ({"currency": "EUX"}, "currency"),
    ({"due_date": "2026-10-01"}, None),
    ({"amount": "ten"}, "amount"),
    ({"amount": "-5.00"}, "amount"),
    ({"issue_date": "yesterday"}, "issue_date"),
    ({"status": "lost"}, "status"),
    ({"number": None}, "number"),
])
def test_X2_invalid_invoice_is_422_with_field_details_and_not_stored(api, customer, change, field):
    before = api.timeline(customer["id"])
    resp = api.put("/v1/invoices/BAD-1", json=_invoice(customer["id"], **change))
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["message"]
    if field:
        assert any(d["loc"][-1] == field for d in error["details"]), error
    assert api.get("/v1/invoices/BAD-1").status_code == 404
    assert api.timeline(customer["id"]) == before


def test_X2_missing_fields_and_wrong_types_name_each_field(api):
    resp = api.post("/v1/tasks", json={"title": 5, "invoice_ids": "nope"})
    assert resp.status_code == 422
    locs = {tuple(d["loc"]) for d in resp.json()["error"]["details"]}
    assert {("body", "customer_id"), ("body", "assignee_user_id"), ("body", "title"),
            ("body", "invoice_ids")} <= locs


def test_X2_malformed_json_is_400(api):
    resp = api.post("/v1/customers", content=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "MALFORMED_JSON"


def test_X2_oversized_body_is_413_and_changes_nothing(api, customer):
    before = api.timeline(customer["id"])
    huge = {"customer_id": customer["id"], "title": "x" * 10, "assignee_user_id": api.user_id,
            "actions": [{"type": "generic", "payload": {"text": "y" * 2_000_000}}]}
    resp = api.post("/v1/tasks", json=huge)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    chunked = api.post("/v1/tasks", content=iter([b"{" + b" " * 700_000, b" " * 700_000 + b"}"]),
                       headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413
    assert api.timeline(customer["id"]) == before


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer fu_not-a-real-key", "Basic abc", "fu_xyz"])
def test_X2_missing_or_bad_key_is_401(system, header):
    headers = {"Authorization": header} if header else {}
    resp = httpx.post(f"{system.base_url}/v1/customers", headers=headers,
                      json={"name": "x", "owner_user_id": str(uuid.uuid4())})
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "UNAUTHENTICATED"


def test_X2_every_answer_carries_one_request_id_the_callers_own_when_it_sent_one(system, api):
    for resp in (api.get("/v1/tasks?limit=1"), api.get("/v1/tasks/not-a-uuid"),
                 httpx.get(f"{system.base_url}/v1/tasks", headers={"Authorization": "Bearer fu_not-a-real-key"})):
        assert len(resp.headers.get_list("x-request-id")) == 1, (resp.status_code, resp.headers)
    for path in ("/v1/tasks?limit=1", f"/v1/tasks/{uuid.uuid4()}"):
        resp = api.get(path, headers={"X-Request-ID": "trace-42"})
        assert resp.headers.get_list("x-request-id") == ["trace-42"], (resp.status_code, resp.headers)


def test_unknown_ids_are_404_and_malformed_ids_are_422(api):
    assert api.get(f"/v1/tasks/{uuid.uuid4()}").json()["error"]["code"] == "TASK_NOT_FOUND"
    assert api.get("/v1/tasks/not-a-uuid").status_code == 422
    assert api.get("/v1/nothing-here").status_code == 404


def test_X2_payment_in_other_currency_is_refused_and_changes_nothing(api, customer):
    invoice = api.invoice(customer["id"], "CUR-1")
    resp = api.post("/v1/payments", json={"customer_id": customer["id"], "invoice_ids": [invoice["id"]],
                                          "amount": "10.00", "currency": "USD",
                                          "paid_at": "2026-11-10T10:00:00Z"})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "CURRENCY_MISMATCH"
    assert api.get("/v1/invoices/CUR-1").json()["amount_paid"] == "0.00"


def _metric(text: str, name: str, **labels) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()))


def test_X2_a_refused_request_is_counted_and_logged_as_a_refusal_not_a_failure(system, api):
    """SREs alert on handler errors: a caller's 404 is a refusal, counted apart and logged as one INFO line."""
    from .broker import wait_for

    tasks_metrics = f"http://127.0.0.1:{system.stack.config.http_ports['tasks']}/metrics"
    counts = lambda: {outcome: _metric(httpx.get(tasks_metrics).text, "followup_messages_handled_total",
                                       entrypoint="get_task", outcome=outcome) for outcome in ("rejected", "error")}
    calls = lambda: _metric(httpx.get(f"{system.base_url}/metrics").text, "followup_rpc_calls_total",
                            method="get_task", outcome="rejected")
    before, calls_before = counts(), calls()
    request_id = uuid.uuid4().hex
    resp = api.get(f"/v1/tasks/{uuid.uuid4()}", headers={"X-Request-ID": request_id})
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "TASK_NOT_FOUND"

    wait_for(lambda: counts()["rejected"] == before["rejected"] + 1, 10)
    assert counts()["error"] == before["error"] and calls() == calls_before + 1
    log = system.stack.config.log_dir / "tasks.log"
    lines = [json.loads(line) for line in log.read_text().splitlines()
             if line.startswith("{") and request_id in line]
    assert [(e["level"], e["event"]) for e in lines] == [("info", "request refused with TASK_NOT_FOUND: task not found")]
    assert "exception" not in lines[0]


def test_X2_text_with_a_nul_character_is_refused_with_422_wherever_it_comes_in(api, customer):
    """PostgreSQL cannot store NUL: in a body, a JSON payload, a path, a query or the gateway's own tables
    it is the caller's input (422 NUL_CHARACTER), not a 500, and nothing is written."""
    task = api.task(customer["id"], [], title="Has actions")["task"]
    nul = "a\x00b"
    requests = [
        ("POST", "/v1/customers", {"json": {"name": nul, "owner_user_id": api.user_id}}),
        ("POST", "/v1/tasks", {"json": {"customer_id": customer["id"], "title": nul, "assignee_user_id": api.user_id}}),
        ("POST", f"/v1/tasks/{task['id']}/actions", {"json": {"type": "generic", "payload": {"description": nul}}}),
        ("GET", "/v1/invoices/a%00b", {}),
        ("GET", "/v1/tasks", {"params": {"category": nul}}),
        ("POST", "/v1/users", {"json": {"email": f"{uuid.uuid4().hex[:8]}@example.com", "name": nul, "role": "member"}}),
    ]
    for method, path, kw in requests:
        resp = api.request(method, path, **kw)
        assert resp.status_code == 422 and resp.json()["error"]["code"] == "NUL_CHARACTER", (path, resp.text)
    assert [t["title"] for t in api.get("/v1/tasks", params={"customer_id": customer["id"]}).json()["items"]] == [
        "Has actions"]
    assert api.get(f"/v1/tasks/{task['id']}").json()["actions"] == []

    # A received message is kept: its NUL characters are dropped, not the message.
    receipt = api.post("/v1/inbound/email", json={
        "from": "someone@elsewhere.example", "subject": "Re:\x00 invoice", "body": "Paid\x00 yesterday",
        "received_at": "2026-11-22T09:00:00+00:00", "external_id": f"<{uuid.uuid4().hex}@mail.example>"})
    assert receipt.status_code == 202, receipt.text
    stored = api.get(f"/v1/communications/{receipt.json()['communication_id']}").json()
    assert (stored["subject"], stored["body"]) == ("Re: invoice", "Paid yesterday")


def test_X2_days_and_moments_outside_1900_to_2199_are_422_not_500_and_change_nothing(api, customer):
    invoice = api.invoice(customer["id"], amount="100.00")
    task = api.task(customer["id"], [invoice["id"]], title="Edges")["task"]
    for method, path, body, field in [
        ("POST", f"/v1/tasks/{task['id']}/promises", {"amount": "10.00", "currency": "EUR",
                                                      "promised_date": "9999-12-31", "invoice_ids": [invoice["id"]]},
         "promised_date"),  # there is no day after it to schedule the Overdue alert on
        ("POST", f"/v1/tasks/{task['id']}/actions", {"type": "call", "payload": {}, "due_at": "0001-01-01T00:00:00+14:00"},
         "due_at"),  # year 0 in UTC: stored, it could not be read back
        ("PATCH", f"/v1/tasks/{task['id']}", {"due_at": "0001-01-01T00:00:00+14:00"}, "due_at"),
    ]:
        resp = api.request(method, path, json=body)
        assert resp.status_code == 422, (path, resp.text)
        assert resp.json()["error"]["details"][0]["loc"] == ["body", field]
    case = api.get(f"/v1/tasks/{task['id']}").json()
    assert (case["actions"], case["promise"], case["task"]["due_at"]) == ([], None, None)


def test_X2_A7_clearing_a_tasks_title_or_priority_is_422_and_changes_nothing(api, customer):
    task = api.task(customer["id"], title="Keep me", category="billing")["task"]
    for field in ("title", "priority"):
        resp = api.patch(f"/v1/tasks/{task['id']}", json={field: None})
        assert resp.status_code == 422, resp.text
        assert resp.json()["error"]["details"][0]["loc"] == ["body", field]
    after = api.get(f"/v1/tasks/{task['id']}").json()["task"]
    assert (after["title"], after["priority"], after["updated_at"]) == ("Keep me", 0, task["updated_at"])
    cleared = api.patch(f"/v1/tasks/{task['id']}", json={"category": None})  # a category may be cleared
    assert cleared.status_code == 200 and cleared.json()["task"]["category"] is None


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_X2_C5_a_cursor_this_api_did_not_write_is_400_not_500_on_every_list(api, customer):
    for n in range(2):  # something on every list, so a cursor is followed to a second page
        api.task(customer["id"], title=f"Cursor {n}", actions=[{"type": "call", "assignee_user_id": api.user_id}])
        resp = api.post("/v1/inbound/sms", json={"from": "+33600000001", "body": f"Hello {n}",
                                                 "external_id": uuid.uuid4().hex, "received_at": "2026-11-20T10:00:00Z"})
        assert resp.status_code == 202, resp.text
    lists = ["/v1/tasks", "/v1/actions", f"/v1/customers/{customer['id']}/timeline", "/v1/communications"]
    for path in lists:  # a cursor it wrote is followed
        page = api.get(path, params={"limit": 1}).json()
        assert page["next_cursor"], (path, page)
        assert api.get(path, params={"limit": 1, "cursor": page["next_cursor"]}).status_code == 200
    an_id, a_time = str(uuid.uuid4()), "2026-11-01T00:00:00+00:00"
    forged = {
        "/v1/tasks": [[2**40, a_time, 0, an_id], [0, a_time, 2**40, an_id], [0, "2026-13-01", 0, an_id],
                      [0, "2026-11-01T00:00:00", 0, an_id], [0, a_time, 0, "x"], [True, a_time, 0, an_id],
                      [0, 5, 0, an_id]],
        "/v1/actions": [["not a time", an_id], [a_time, "x"], [1, 2], [a_time, None]],
        f"/v1/customers/{customer['id']}/timeline": [["not a time", an_id], [1, 2]],
        "/v1/communications": [["not a time", an_id], [a_time, "x"]],
    }
    for path, cursors in forged.items():
        for values in cursors:
            resp = api.get(path, params={"cursor": _cursor(values)})
            assert resp.status_code == 400 and resp.json()["error"]["code"] == "BAD_CURSOR", (path, values, resp.text)


def test_X2_E5_an_inbox_position_beyond_any_seq_is_422_not_a_broker_outage(api):
    for params in ({"before": 2**64}, {"before": 0}):
        resp = api.get("/v1/notifications", params=params)
        assert resp.status_code == 422 and resp.json()["error"]["code"] == "VALIDATION_ERROR", resp.text
    assert api.get("/v1/notifications", params={"before": 2**63 - 1}).status_code == 200


def test_X2_an_inbound_message_in_a_format_not_taken_is_415_naming_the_ones_that_are(api):
    before = len(api.get("/v1/communications").json()["items"])
    raw = b"From: a@b.example\r\nSubject: Paid\r\n\r\nWe paid.\r\n"
    resp = api.post("/v1/inbound/email", content=raw, headers={"Content-Type": "message/rfc822"})
    assert resp.status_code == 415, resp.text  # it said "the body is not valid JSON"
    error = resp.json()["error"]
    assert error["code"] == "UNSUPPORTED_INBOUND_FORMAT" and "message/rfc822" in error["message"]
    assert len(api.get("/v1/communications").json()["items"]) == before


def test_B1_a_message_delivered_twice_at_once_is_one_communication_and_a_duplicate_not_a_500(system, api):
    """Providers redeliver on a timeout, sometimes while the first delivery is still being stored."""
    from .broker import Background

    external_id = f"<{uuid.uuid4().hex}@mail.example>"
    with system.holding(
            "insert into tasks.communications (id, tenant_id, channel, external_id, from_address, body, received_at,"
            " status, created_at) values (gen_random_uuid(), %s, 'email', %s, 'someone@elsewhere.example', 'Paid',"
            " now(), 'unmatched', now()) ", (api.tenant_id, external_id)):
        second = Background(lambda: api.post("/v1/inbound/email", json={
            "from": "someone@elsewhere.example", "body": "Paid", "received_at": "2026-11-22T09:00:00+00:00",
            "external_id": external_id}))
        system.wait_for_a_lock_wait()
    resp = second.result()
    assert resp.status_code == 202, resp.text
    assert resp.json()["duplicate"] is True
    assert system.sql("select count(*) from tasks.communications where external_id = %s", (external_id,))[0][0] == 1


def _nested(levels: int) -> dict:
    inner: list = []
    outer = {"x": inner}
    for _ in range(levels):
        inner.append([])
        inner = inner[0]
    return outer


@pytest.mark.parametrize("raw_payload", [
    '{"description": "x", "n": 100000000000000000000}',  # beyond 64 bits
    '{"description": "a\\udfffb"}',  # a lone surrogate: JSON may carry it, no encoder sends it on
    json.dumps({"description": "deep", **_nested(249)}),
    json.dumps({"ai_draft": _nested(249)}),
])
def test_X2_A1_a_payload_no_reply_could_carry_is_422_and_the_case_file_stays_readable(api, customer, raw_payload):
    task = api.task(customer["id"])["task"]
    action_type = "email" if "ai_draft" in raw_payload else "generic"
    body = f'{{"type": "{action_type}", "assignee_user_id": "{api.user_id}", "payload": {raw_payload}}}'
    created = api.post(f"/v1/tasks/{task['id']}/actions", content=body, headers={"Content-Type": "application/json"})
    assert created.status_code == 422, created.text
    assert created.json()["error"]["code"] == "VALIDATION_ERROR"
    note = api.post(f"/v1/tasks/{task['id']}/actions", json={"type": "generic", "assignee_user_id": api.user_id,
                                                             "payload": {"description": "fine"}})
    assert note.status_code == 201, note.text
    patched = api.patch(f"/v1/actions/{note.json()['id']}", content=f'{{"payload": {raw_payload}}}',
                        headers={"Content-Type": "application/json"})
    assert patched.status_code == 422, patched.text
    case_file = api.get(f"/v1/tasks/{task['id']}")
    assert case_file.status_code == 200
    assert [a["payload"] for a in case_file.json()["actions"]] == [{"description": "fine"}]


def test_X2_A7_an_invoice_key_longer_than_any_system_uses_is_422_not_a_database_outage(api, customer):
    key = "K" * 3000
    stored = api.put(f"/v1/invoices/{key}", json=_invoice(customer["id"]))
    assert stored.status_code == 422 and stored.json()["error"]["code"] == "VALIDATION_ERROR", stored.text
    assert api.get(f"/v1/invoices/{key}").status_code == 422
    assert api.put(f"/v1/invoices/{'K' * 2000}", json=_invoice(customer["id"])).status_code == 201
    assert api.put(f"/v1/invoices/{'é' * 1001}", json=_invoice(customer["id"])).status_code == 422  # 2,002 bytes


def test_X2_B1_an_inbound_body_nested_past_any_parser_is_malformed_json_not_a_500(api):
    resp = api.post("/v1/inbound/email", content=b"[" * 5000, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "MALFORMED_JSON", resp.text
