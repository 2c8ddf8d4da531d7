"""The one clock. Tests move it by writing an offset (seconds) to ``CLOCK_OFFSET_FILE``."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone


class Clock:
    def __init__(self, offset_file: str | None = None):
        self.offset_file = offset_file if offset_file is not None else os.environ.get("CLOCK_OFFSET_FILE")
        self._mtime = None
        self._offset = timedelta()

    def _current_offset(self) -> timedelta:
        if not self.offset_file:
            return timedelta()
        try:
            mtime = os.stat(self.offset_file).st_mtime_ns
        except FileNotFoundError:
            return timedelta()
        if mtime != self._mtime:
            with open(self.offset_file) as fh:
                self._offset = timedelta(seconds=float(fh.read().strip() or 0))
            self._mtime = mtime
        return self._offset

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._current_offset()

    __call__ = now
