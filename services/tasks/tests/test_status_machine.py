"""A3/A4: the action status machine, exhaustively and as properties over random request sequences."""
import itertools

import pytest
from hypothesis import given, settings, strategies as st

from tasks.domain import ACTION_STATUSES, TRANSITIONS, IllegalTransition, change_action

ME, OTHER = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
LIVE = ("new", "in_progress", "blocked")


@pytest.mark.parametrize("current,requested", list(itertools.product(ACTION_STATUSES, ACTION_STATUSES)))
def test_A3_every_status_request_follows_the_table(current, requested):
    assignee = None if current == "draft" else ME
    if (current, requested) in TRANSITIONS:
        assert change_action(current, assignee, requested_status=requested).status == requested
    else:
        with pytest.raises(IllegalTransition):
            change_action(current, assignee, requested_status=requested)


def test_A3_closed_statuses_are_terminal():
    for closed in ("completed", "skipped"):
        assert not [t for (f, t) in TRANSITIONS if f == closed]


@pytest.mark.parametrize("assignee", [ME, OTHER])
def test_A4_assigning_a_draft_makes_it_live(assignee):
    change = change_action("draft", None, requested_assignee=assignee, assign=True)
    assert (change.status, change.went_live, change.assignee_user_id) == ("new", True, assignee)


def test_A4_a_draft_cannot_be_made_live_by_status_alone():
    with pytest.raises(IllegalTransition, match="assigned"):
        change_action("draft", None, requested_status="new")


def test_A4_assign_and_start_in_one_request():
    change = change_action("draft", None, requested_status="in_progress", requested_assignee=ME, assign=True)
    assert change.status == "in_progress" and change.went_live


def test_live_action_keeps_an_assignee_and_closed_ones_cannot_be_reassigned():
    with pytest.raises(IllegalTransition):
        change_action("new", ME, requested_assignee=None, assign=True)
    with pytest.raises(IllegalTransition):
        change_action("completed", ME, requested_assignee=OTHER, assign=True)
    assert change_action("blocked", ME, requested_assignee=OTHER, assign=True).assignee_changed


def test_completing_twice_is_refused_so_concurrent_completions_give_one_409():
    first = change_action("in_progress", ME, requested_status="completed")
    assert first.completed
    with pytest.raises(IllegalTransition):
        change_action(first.status, ME, requested_status="completed")


requests = st.lists(st.tuples(st.sampled_from(ACTION_STATUSES + (None,)),
                              st.sampled_from([None, ME, OTHER]), st.booleans()), max_size=30)


@settings(max_examples=400, deadline=None)
@given(requests)
def test_A3_no_request_sequence_reaches_a_forbidden_state(sequence):
    status, assignee = "draft", None
    for requested_status, requested_assignee, assign in sequence:
        before = (status, assignee)
        try:
            change = change_action(status, assignee, requested_status=requested_status,
                                   requested_assignee=requested_assignee, assign=assign)
        except IllegalTransition:
            assert (status, assignee) == before  # a refused request leaves the action unchanged
            continue
        if change.status != status:
            assert (status, change.status) in TRANSITIONS or (status == "draft" and change.went_live)
        if change.status in LIVE:
            assert change.assignee_user_id is not None  # A2: a live action always has an assignee
        if status in ("completed", "skipped"):
            assert (change.status, change.assignee_user_id) == (status, assignee), "a closed action changed"
        status, assignee = change.status, change.assignee_user_id
