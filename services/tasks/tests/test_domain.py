import uuid
from decimal import Decimal as D
from itertools import product

import pytest

from common.errors import ValidationFailed
from tasks import domain


def inv(amount, paid="0", currency="EUR", status="open"):
    return domain.InvoiceBalance(uuid.uuid4(), D(amount), D(paid), currency, status)


def test_A4_action_without_assignee_starts_as_draft():
    assert domain.initial_action_status(None) == "draft"
    assert domain.initial_action_status(uuid.uuid4()) == "new"


def test_payment_settles_invoices_in_order_and_marks_paid():
    a, b = inv("100"), inv("50")
    plan = domain.allocate_payment(D("120"), "EUR", [a, b])
    assert [(x.applied, x.amount_paid, x.status) for x in plan.allocations] == [
        (D("100"), D("100"), "paid"), (D("20"), D("20"), "open")]
    assert plan.unallocated == D("0")


def test_overpayment_is_kept_unallocated_not_invented():
    plan = domain.allocate_payment(D("80"), "EUR", [inv("50", paid="20")])
    assert plan.allocations[0].amount_paid == D("50") and plan.allocations[0].status == "paid"
    assert plan.unallocated == D("50")


def test_payment_in_another_currency_is_refused():
    with pytest.raises(ValidationFailed) as err:
        domain.allocate_payment(D("10"), "USD", [inv("10")])
    assert err.value.code == "CURRENCY_MISMATCH"


@pytest.mark.parametrize("status", ["open", "paid", "cancelled", "disputed"])
@pytest.mark.parametrize("paid", ["0", "40", "100"])
@pytest.mark.parametrize("amount", ["1", "60", "100", "250"])
def test_allocation_never_overpays_an_invoice_nor_loses_money(status, paid, amount):
    invoices = [inv("100", paid=paid, status=status), inv("30")]
    plan = domain.allocate_payment(D(amount), "EUR", invoices)
    applied = sum(a.applied for a in plan.allocations)
    assert applied + plan.unallocated == D(amount)
    for alloc in plan.allocations:
        original = next(i for i in invoices if i.id == alloc.invoice_id)
        assert alloc.amount_paid <= max(original.amount, original.amount_paid)
        assert alloc.status == ("paid" if alloc.amount_paid >= original.amount else original.status)
    assert all(a.invoice_id != invoices[0].id for a in plan.allocations) or status != "cancelled"


def _action(status, trigger=None, creator=None):
    return {"id": uuid.uuid4(), "status": status, "trigger_event_id": trigger,
            "created_by_user_id": creator or uuid.uuid4()}


@pytest.mark.parametrize("status,triggered", list(product(
    ["draft", "new", "in_progress", "blocked", "completed", "skipped"], [False, True])))
def test_A5_A6_sections_group_by_trigger_and_pending_holds_only_live_untriggered(status, triggered):
    trigger = uuid.uuid4() if triggered else None
    sections = domain.section_actions([_action(status, trigger)])
    if triggered:
        assert list(sections.groups) == [trigger] and sections.pending == []
    else:
        assert sections.groups == {}
        assert len(sections.pending) == (1 if status in ("new", "in_progress", "blocked") else 0)


def test_A4_draft_visible_to_its_creator_only():
    me, other = uuid.uuid4(), uuid.uuid4()
    draft = _action("draft", creator=me)
    live = _action("new", creator=other)
    assert domain.visible_actions([draft, live], str(me)) == [draft, live]
    assert domain.visible_actions([draft, live], str(other)) == [live]
    assert domain.visible_actions([draft, live], None) == [live]


def test_changed_fields_lists_old_and_new_values():
    assert domain.changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}
    assert domain.changed_fields({"a": 1}, {"a": 1}) == {}
