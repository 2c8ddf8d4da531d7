import pytest

from common import errors
from common.pagination import clamp_limit, decode_cursor, encode_cursor


def test_remote_errors_keep_their_code_and_status():
    err = errors.NotFound("no such task", code="TASK_NOT_FOUND")
    rebuilt = errors.from_remote("NotFound", list(err.args))
    assert (rebuilt.code, rebuilt.status, rebuilt.message) == ("TASK_NOT_FOUND", 404, "no such task")
    from nameko.exceptions import serialize

    details = {"task": {"priority": 0, "overdue_promise": False, "category": None, "ids": [1, 2]}}
    wire = serialize(errors.Conflict("dup", details, code="DUPLICATE_TASK"))  # what nameko sends
    rebuilt = errors.from_remote(wire["exc_type"], wire["exc_args"])
    assert rebuilt.status == 409 and rebuilt.details == details


def test_foreign_exceptions_become_internal_without_leaking_text():
    rebuilt = errors.from_remote("KeyError", ["secret table name", "x"])
    assert rebuilt.code == "INTERNAL" and "secret" not in rebuilt.message


def test_every_registered_code_maps_to_an_http_error_status():
    assert all(400 <= s < 600 for s in errors.HTTP_STATUS.values())
    assert errors.status_for("DUPLICATE_TASK") == 409 and errors.status_for("RATE_LIMITED") == 429


def test_cursor_round_trip_and_rejects_garbage():
    assert decode_cursor(encode_cursor(["2026-11-01T00:00:00+00:00", "abc"]), 2) == [
        "2026-11-01T00:00:00+00:00", "abc"]
    assert decode_cursor(None, 2) is None
    for bad in ("!!!", encode_cursor([1]), encode_cursor({"a": 1})):
        with pytest.raises(errors.BadRequest) as err:
            decode_cursor(bad, 2)
        assert err.value.code == "BAD_CURSOR"


def test_limit_is_clamped_to_the_documented_range():
    assert clamp_limit(None) == 50 and clamp_limit(0) == 1 and clamp_limit(10_000) == 200
