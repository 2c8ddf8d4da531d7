"""Rules of the workflows service: pure functions, no I/O, no nameko."""
from __future__ import annotations

from datetime import datetime


def is_newer(incoming_updated_at: datetime, stored_updated_at: datetime | None) -> bool:
    """A projection keeps the latest state: events can arrive out of order after a retry."""
    return stored_updated_at is None or incoming_updated_at >= stored_updated_at
