import uuid
from datetime import datetime, timezone

import pytest

from common import errors
from common.pagination import clamp_limit, decode_cursor, encode_cursor, identifier, integer, moment


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


def test_C5_cursor_round_trip_parses_each_field_and_refuses_what_this_api_never_wrote():
    an_id = uuid.uuid4()
    fields = (integer, moment, identifier)
    assert decode_cursor(encode_cursor([1, "2026-11-01T00:00:00+00:00", str(an_id)]), fields) == [
        1, datetime(2026, 11, 1, tzinfo=timezone.utc), an_id]
    assert decode_cursor(None, fields) is None and decode_cursor("", fields) is None
    for bad in ("!!!", "e30", encode_cursor([1]), encode_cursor({"a": 1}), encode_cursor([1, 2, 3, 4]),
                encode_cursor([2**31, "2026-11-01T00:00:00+00:00", str(an_id)]),  # beyond an integer column
                encode_cursor([True, "2026-11-01T00:00:00+00:00", str(an_id)]),
                encode_cursor([1.5, "2026-11-01T00:00:00+00:00", str(an_id)]),
                encode_cursor([1, "2026-11-01T00:00:00", str(an_id)]),  # no offset
                encode_cursor([1, "yesterday", str(an_id)]), encode_cursor([1, 20261101, str(an_id)]),
                encode_cursor([1, "2026-11-01T00:00:00+00:00", "x"]), encode_cursor([1, "2026-11-01T00:00:00+00:00", 7])):
        with pytest.raises(errors.BadRequest) as err:
            decode_cursor(bad, fields)
        assert err.value.code == "BAD_CURSOR", bad
    assert decode_cursor(encode_cursor([-2**31, "2026-11-01T00:00:00+00:00", str(an_id)]), fields)[0] == -2**31


def test_limit_is_clamped_to_the_documented_range():
    assert clamp_limit(None) == 50 and clamp_limit(0) == 1 and clamp_limit(10_000) == 200


def test_every_code_the_code_raises_is_in_the_registry():
    """The registry is the one list of codes (and their statuses) callers can get: a code raised
    anywhere in the services must be in it."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[4]
    raised = {m for path in [*root.glob("services/*/*/*.py"), *root.glob("libs/common/common/*.py")]
              for m in re.findall(r'code="([A-Z_]+)"', path.read_text())}
    assert raised and sorted(raised - set(errors.HTTP_STATUS)) == []


@pytest.mark.parametrize("exc,outcome", [
    (None, "ok"),
    (errors.NotFound("no such task", code="TASK_NOT_FOUND"), "rejected"),
    (errors.Conflict("already completed", code="ILLEGAL_TRANSITION"), "rejected"),
    (errors.ValidationFailed("bad"), "rejected"),
    (errors.AppError("internal error"), "error"),
    (errors.ServiceUnavailable("db down", code="DATABASE_UNAVAILABLE"), "error"),
    (KeyError("bug"), "error"),
])
def test_refusals_are_not_counted_as_failures(exc, outcome):
    assert errors.outcome_of(exc) == outcome


def _worker_log_record(logger, msg, exc, level):
    import sys
    try:
        raise exc
    except Exception:
        return logger.makeRecord(logger.name, level, __file__, 1, msg, ("<WorkerContext>", exc), sys.exc_info())


def test_a_refused_rpc_logs_one_info_line_and_a_failure_keeps_its_traceback():
    import logging
    from common.logs import RefusalsAreNotFailures

    log = logging.getLogger("nameko.containers")
    log.setLevel(logging.INFO)
    refusal = _worker_log_record(log, "(expected) error handling worker %s: %s",
                                 errors.NotFound("task not found", code="TASK_NOT_FOUND"), logging.WARNING)
    assert RefusalsAreNotFailures().filter(refusal) is True
    assert (refusal.levelname, refusal.exc_info) == ("INFO", None)
    assert refusal.getMessage() == "request refused with TASK_NOT_FOUND: task not found"

    crash = _worker_log_record(log, "error handling worker %s: %s", KeyError("bug"), logging.ERROR)
    assert RefusalsAreNotFailures().filter(crash) is True and crash.levelname == "ERROR" and crash.exc_info

    # An event handler refusing an event is not "expected": the event is dead-lettered, someone must look.
    refused_event = _worker_log_record(log, "error handling worker %s: %s",
                                       errors.ValidationFailed("tenant mismatch", code="TENANT_MISMATCH"),
                                       logging.ERROR)
    assert RefusalsAreNotFailures().filter(refused_event) is True and refused_event.levelname == "ERROR"

    log.setLevel(logging.WARNING)  # a service logging at WARNING does not print refusals at all
    quiet = _worker_log_record(log, "(expected) error handling worker %s: %s",
                               errors.Conflict("dup", code="DUPLICATE_TASK"), logging.WARNING)
    assert RefusalsAreNotFailures().filter(quiet) is False
    log.setLevel(logging.NOTSET)


def test_text_with_a_nul_character_is_the_callers_input_not_a_failure():
    import psycopg
    from sqlalchemy import exc as sa_exc

    client_side = psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    in_json = psycopg.errors.UntranslatableCharacter("unsupported Unicode escape sequence")
    for exc in (client_side, in_json, sa_exc.DataError("insert ...", {}, client_side)):
        assert errors.is_nul_refusal(exc)
    for exc in (psycopg.DataError("value too long"), psycopg.errors.NumericValueOutOfRange("overflow"),
                ValueError("NUL (0x00)")):
        assert not errors.is_nul_refusal(exc)
    err = errors.nul_character()
    assert (err.code, errors.status_for(err.code), errors.outcome_of(err)) == ("NUL_CHARACTER", 422, "rejected")


def test_an_inbound_message_keeps_its_text_without_nul_characters():
    from common.contracts.triage import InboundCommunication

    message = InboundCommunication.model_validate({
        "channel": "email", "from_address": "a@b.example", "subject": "Re:\x00 invoice", "body": "Hello\x00 world",
        "received_at": "2026-11-22T10:00:00Z", "external_id": "m-1\x00"})
    assert (message.subject, message.body, message.external_id) == ("Re: invoice", "Hello world", "m-1")


@pytest.mark.parametrize("orig,code", [
    ("connection refused", "DATABASE_UNAVAILABLE"),  # psycopg.OperationalError without a SQLSTATE
    ("admin_shutdown", "DATABASE_UNAVAILABLE"),
    ("program_limit", "INTERNAL"),  # a key too large for its index: the request's fault, never retried as an outage
])
def test_X2_only_a_database_that_is_away_is_a_503(orig, code):
    import psycopg
    from sqlalchemy import exc as sa_exc

    from common.rpc import as_app_error

    cause = {"connection refused": psycopg.OperationalError("connection refused"),
             "admin_shutdown": psycopg.errors.AdminShutdown("terminating connection"),
             "program_limit": psycopg.errors.ProgramLimitExceeded("index row size 3016 exceeds maximum 2704")}[orig]
    assert as_app_error(sa_exc.OperationalError("INSERT ...", {}, cause)).code == code
