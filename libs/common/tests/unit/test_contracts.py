import uuid
from datetime import date

import pytest
from pydantic import ValidationError

from common.contracts import tasks as c
from common.contracts.envelope import EventEnvelope, parse_event


def invoice(**kw):
    base = dict(customer_id=str(uuid.uuid4()), number="F-1", issue_date="2026-11-01", due_date="2026-11-30",
                amount="10.00", currency="EUR")
    return {**base, **kw}


def test_X2_invoice_refuses_unknown_currency_and_due_before_issue():
    assert c.InvoiceUpsert.model_validate(invoice()).due_date == date(2026, 11, 30)
    with pytest.raises(ValidationError, match="unknown currency"):
        c.InvoiceUpsert.model_validate(invoice(currency="EUX"))
    with pytest.raises(ValidationError, match="due_date must be on or after issue_date"):
        c.InvoiceUpsert.model_validate(invoice(due_date="2026-10-01"))
    with pytest.raises(ValidationError):
        c.InvoiceUpsert.model_validate(invoice(amount="-1"))
    with pytest.raises(ValidationError):
        c.InvoiceUpsert.model_validate(invoice(amount="1.001"))


def test_money_travels_as_a_decimal_string():
    dumped = c.InvoiceUpsert.model_validate(invoice(amount="12.5")).model_dump(mode="json")
    assert dumped["amount"] == "12.5" and isinstance(dumped["amount"], str)


def test_unknown_fields_are_refused_not_ignored():
    with pytest.raises(ValidationError):
        c.CustomerCreate.model_validate({"name": "x", "owner_user_id": str(uuid.uuid4()), "tenant_id": "forged"})


def test_contact_phone_must_be_e164():
    c.ContactCreate(name="A", phone="+33612345678")
    with pytest.raises(ValidationError):
        c.ContactCreate(name="A", phone="0612345678")


def test_event_envelope_round_trip_validates_data_against_its_contract():
    tenant = uuid.uuid4()
    payment = {"id": str(uuid.uuid4()), "customer_id": str(uuid.uuid4()), "invoice_ids": [], "amount": "5.00",
               "currency": "EUR", "paid_at": "2026-11-01T00:00:00Z", "created_at": "2026-11-01T00:00:00Z"}
    env = EventEnvelope(event_type="payment_recorded", producer="tasks", tenant_id=tenant,
                        data={"payment": payment})
    parsed, data = parse_event("tasks", env.model_dump(mode="json"))
    assert parsed.event_id == env.event_id and parsed.schema_version == 1
    assert isinstance(data, c.PaymentRecorded)
    bad = env.model_dump(mode="json")
    bad["data"] = {"payment": {**payment, "amount": "lots"}}
    with pytest.raises(ValidationError):
        parse_event("tasks", bad)
    with pytest.raises(ValueError, match="arrived on"):
        parse_event("workflows", env.model_dump(mode="json"))


@pytest.mark.parametrize("body,field", [
    ({"amount": "10", "currency": "EUR", "promised_date": "9999-12-31", "invoice_ids": [str(uuid.uuid4())]},
     "promised_date"),
    ({"amount": "10", "currency": "EUR", "promised_date": "1899-12-31", "invoice_ids": [str(uuid.uuid4())]},
     "promised_date"),
])
def test_days_outside_1900_to_2199_are_refused(body, field):
    with pytest.raises(ValidationError) as err:
        c.PromiseCreate.model_validate(body)
    assert err.value.errors()[0]["loc"] == (field,)


@pytest.mark.parametrize("due_at,ok", [
    ("2026-12-01T09:00:00+01:00", True),
    ("2199-12-31T23:59:59Z", True),
    ("1900-01-01T00:00:00Z", True),
    ("0001-01-01T00:00:00+14:00", False),  # year 0 in UTC: PostgreSQL would hand back what Python cannot load
    ("9999-12-31T23:59:59-12:00", False),
    ("2200-01-01T00:00:00Z", False),
])
def test_moments_outside_1900_to_2199_are_refused_without_overflowing(due_at, ok):
    if ok:
        assert c.ActionUpdate.model_validate({"due_at": due_at}).due_at is not None
        return
    with pytest.raises(ValidationError) as err:
        c.ActionUpdate.model_validate({"due_at": due_at})
    assert err.value.errors()[0]["loc"] == ("due_at",)


def test_A4_notification_settings_take_in_app_kinds_once_each_in_a_fixed_order():
    from common.contracts.notifications import IN_APP_KINDS, NotificationSettings
    settings = NotificationSettings(email_kinds=["promise_overdue", "action_assigned", "promise_overdue"])
    assert settings.email_kinds == ["action_assigned", "promise_overdue"]
    assert NotificationSettings(email_kinds=list(reversed(IN_APP_KINDS))).email_kinds == list(IN_APP_KINDS)
    for refused in ({"email_kinds": ["action_email"]}, {"email_kinds": ["fax"]}, {}, {"email_kinds": None},
                    {"email_kinds": [], "email": "x@example.com"}):
        with pytest.raises(ValidationError):
            NotificationSettings.model_validate(refused)


def _levels(n: int):
    value = "leaf"
    for _ in range(n):
        value = [value]
    return value


@pytest.mark.parametrize("payload,ok", [
    ({"description": "x", "meta": _levels(7)}, True),  # the object and 7 lists: 8 levels
    ({"description": "x", "meta": _levels(8)}, False),
    ({"description": "x", "n": 2 ** 63 - 1}, True),
    ({"description": "x", "n": 2 ** 64}, False),
    ({"description": "a\udfffb"}, False),
])
def test_A1_an_action_payload_is_json_a_reply_can_carry(payload, ok):
    for build in (lambda: c.ActionCreate(type="generic", payload=payload), lambda: c.ActionUpdate(payload=payload)):
        if ok:
            build()
        else:
            with pytest.raises(ValidationError):
                build()


def test_A1_an_ai_draft_checks_its_own_fields_and_carries_the_rest():
    kept = c.EmailPayload(ai_draft={"body": "Dear", "model": "m", "prompt_version": 3})
    assert kept.model_dump(exclude_none=True)["ai_draft"] == {"body": "Dear", "model": "m", "prompt_version": 3}
    for bad in ({"body": "x" * 100_001}, {"confidence": 2}, {"body": ["not", "text"]}):
        with pytest.raises(ValidationError):
            c.EmailPayload(ai_draft=bad)


def test_D5_an_address_the_mail_cannot_go_to_is_refused_where_it_is_written():
    assert c.EmailPayload(to=["jose@example.com"]).to == ["jose@example.com"]
    for bad in ("josé@example.com", "ann@bücher.example"):
        with pytest.raises(ValidationError):
            c.EmailPayload(to=[bad])
        with pytest.raises(ValidationError):
            c.ContactCreate(name="José", email=bad)
