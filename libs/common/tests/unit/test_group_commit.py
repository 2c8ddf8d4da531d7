"""Group commit (common.group_commit): what concurrent workers see, with a fake database."""
from contextlib import contextmanager

import eventlet
import pytest

from common.context import Principal
from common.group_commit import Combiner
from common.timers import DueTimer, batches


class FakeDatabase:
    def __init__(self):
        self.committed: list[tuple[str, list]] = []  # (tenant, items) per committed transaction

    @contextmanager
    def transaction(self, principal):
        uow = {"tenant": principal.tenant_id, "items": []}
        yield uow
        self.committed.append((uow["tenant"], uow["items"]))


def apply_many(uow, items):
    for principal, item in items:
        assert principal.tenant_id == uow["tenant"]
        if item == "bad":
            raise ValueError("bad item")
        uow["items"].append(item)
    return [f"done {item}" for _, item in items]


def run_concurrently(combiner, submissions):
    def submit(tenant, item):
        try:
            return combiner.submit(Principal(tenant, None, "system"), item)
        except ValueError as exc:
            return exc

    threads = [eventlet.spawn(submit, tenant, item) for tenant, item in submissions]
    return [t.wait() for t in threads]


@pytest.fixture
def db():
    return FakeDatabase()


def test_concurrent_items_of_a_tenant_share_one_transaction_and_each_gets_its_result(db):
    combiner = Combiner(db, apply_many, max_batch=100, spawn=eventlet.spawn)
    results = run_concurrently(combiner, [("t1", i) for i in range(20)])
    assert results == [f"done {i}" for i in range(20)]
    assert db.committed == [("t1", list(range(20)))]


def test_tenants_never_share_a_transaction_and_batches_are_bounded(db):
    combiner = Combiner(db, apply_many, max_batch=4, spawn=eventlet.spawn)
    run_concurrently(combiner, [("t1", i) for i in range(6)] + [("t2", i) for i in range(3)])
    assert sorted(db.committed) == [("t1", [0, 1, 2, 3]), ("t1", [4, 5]), ("t2", [0, 1, 2])]


def test_a_bad_item_fails_alone_and_the_others_commit_once_each(db):
    combiner = Combiner(db, apply_many, max_batch=100, spawn=eventlet.spawn)
    results = run_concurrently(combiner, [("t1", "a"), ("t1", "bad"), ("t1", "b")])
    assert results[0] == "done a" and results[2] == "done b"
    assert isinstance(results[1], ValueError)
    assert db.committed == [("t1", ["a"]), ("t1", ["b"])]  # the shared one never committed


def test_a_worker_arriving_later_gets_a_transaction_of_its_own(db):
    combiner = Combiner(db, apply_many, max_batch=100, spawn=eventlet.spawn)
    assert run_concurrently(combiner, [("t1", "first")]) == ["done first"]
    assert run_concurrently(combiner, [("t1", "second")]) == ["done second"]
    assert db.committed == [("t1", ["first"]), ("t1", ["second"])]


class Handler:
    def __init__(self, batch):
        self.batch = batch


def timer(i, tenant, kind="send"):
    return DueTimer(i, tenant, kind, str(i), None, {}, 0, "me")


def test_timer_batches_group_by_kind_and_tenant_up_to_the_handlers_size():
    handlers = {"send": Handler(2), "tick": Handler(1)}
    due = [timer(1, "a"), timer(2, "b"), timer(3, "a"), timer(4, "a"), timer(5, "a", "tick"), timer(6, "a", "gone")]
    groups = [(kind_of(h, handlers), [t.id for t in ts]) for h, ts in batches(due, handlers)]
    assert sorted(groups, key=str) == sorted([("send", [1, 3]), ("send", [4]), ("send", [2]), ("tick", [5]),
                                              (None, [6])], key=str)


def kind_of(handler, handlers):
    return next((k for k, h in handlers.items() if h is handler), None)
