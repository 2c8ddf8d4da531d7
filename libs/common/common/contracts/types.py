"""Field types shared by the API and the messages."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import AfterValidator, AwareDatetime, EmailStr, Field, PlainSerializer, StringConstraints


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


def _currency(code: str) -> str:
    if code not in _currencies():
        raise ValueError(f"unknown currency {code!r}: use an ISO 4217 code such as EUR or USD")
    return code


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _timezone(name: str) -> str:
    if name not in _zones():
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Europe/Paris")
    return name


Currency = Annotated[str, StringConstraints(min_length=3, max_length=3), AfterValidator(_currency)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
# Money is a decimal string on the wire, never a float.
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
]
PositiveMoney = Annotated[
    Decimal,
    Field(gt=0, max_digits=14, decimal_places=2),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Id = uuid.UUID


def _unique_in_order(ids: list) -> list:
    return list(dict.fromkeys(ids))


# A list of references (invoices of a task, a promise, a payment): the same id twice means it once. The
# order is kept: a payment settles its invoices in the order given.
UniqueIds = Annotated[list[uuid.UUID], AfterValidator(_unique_in_order)]


# The days and moments the API takes: 1900 to 2199. Follow-up work lives well inside it, and beyond it
# Python's dates end (a promise for 9999-12-31 has no day after it) or PostgreSQL hands back a time
# Python cannot load (0001-01-01T00:00+14:00 is year 0 in UTC): both answered 500.
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
_EARLIEST_AT = datetime(1900, 1, 1, tzinfo=timezone.utc)
_AFTER_LATEST_AT = datetime(2200, 1, 1, tzinfo=timezone.utc)


def _day_in_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return value


def _moment_in_range(value: datetime) -> datetime:
    if not _EARLIEST_AT <= value < _AFTER_LATEST_AT:  # compared as instants: no conversion that could overflow
        raise ValueError(f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()} (UTC)")
    return value


Day = Annotated[date, AfterValidator(_day_in_range)]
Moment = Annotated[AwareDatetime, AfterValidator(_moment_in_range)]


# A free-form JSON object from a client (an action's payload before its type's model reads it). Nested
# at most this deep, and sendable as it is: the service's replies embed it a few levels further down,
# and a value the encoders refuse (an integer beyond 64 bits, a lone surrogate, 250 nested lists) would
# otherwise be stored or sent and break every later read of it with a 500.
JSON_MAX_DEPTH = 8


def _depth(value: Any, limit: int) -> int:
    if limit < 0:
        return 1
    if isinstance(value, dict):
        return 1 + max((_depth(v, limit - 1) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v, limit - 1) for v in value), default=0)
    return 0


def _json_object(value: dict) -> dict:
    import orjson

    if _depth(value, JSON_MAX_DEPTH) > JSON_MAX_DEPTH:
        raise ValueError(f"nested more than {JSON_MAX_DEPTH} levels deep")
    try:
        orjson.dumps(value)
    except TypeError as exc:  # orjson.JSONEncodeError
        raise ValueError(f"not representable as JSON: {exc}") from None
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]


def _sendable(address: str) -> str:
    # Mail leaves without SMTPUTF8, as the notifications service checks each recipient: an address it
    # cannot send to is refused where it is written, not found out when the email fails for everyone.
    if not address.isascii():
        raise ValueError("an email address with characters outside ASCII cannot be sent to")
    return address


SendableEmail = Annotated[EmailStr, AfterValidator(_sendable)]
