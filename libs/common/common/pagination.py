"""Opaque keyset cursors: stable while rows are added, unlike offsets."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime

from common.errors import BadRequest

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def moment(value) -> datetime:
    """A cursor's timestamp: ISO 8601 with an offset, as ``encode_cursor`` wrote it."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a cursor's time has an offset")
    return parsed


def integer(value) -> int:
    """A cursor's number: what a PostgreSQL integer column holds (a bigger one errs there, as a 500)."""
    if type(value) is not int or not -2**31 <= value < 2**31:
        raise ValueError("not an integer column's value")
    return value


def identifier(value) -> uuid.UUID:
    return uuid.UUID(value)


def decode_cursor(cursor: str | None, fields: tuple) -> list | None:
    """The keyset values of a cursor, each parsed by its field's parser (``moment``, ``integer``,
    ``identifier``). A cursor this API did not write is 400 ``BAD_CURSOR``, never a database error."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(fields):
            raise ValueError("not this cursor's shape")
        return [parse(value) for parse, value in zip(fields, values)]
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise BadRequest("the cursor is not one this API returned", code="BAD_CURSOR") from exc


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(MAX_LIMIT, int(limit)))
