"""Opaque keyset cursors: stable while rows are added, unlike offsets."""
from __future__ import annotations

import base64
import json

from common.errors import BadRequest

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("the cursor is not one this API returned", code="BAD_CURSOR") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise BadRequest("the cursor is not one this API returned", code="BAD_CURSOR")
    return values


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(MAX_LIMIT, int(limit)))
