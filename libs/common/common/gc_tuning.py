"""Garbage collector settings for long-running service processes (nameko services and the gateway)."""
from __future__ import annotations

import gc
import os

GEN0_THRESHOLD = 20_000


def tune_gc() -> None:
    """Call once start-up is done. Modules, the service and its pools live as long as the process: move
    them out of the collector's sight (``gc.freeze``), and let young garbage gather longer before a
    pass, so that a full pass over the start-up objects does not land on a request every so often
    (measured: ``GET /v1/tasks`` under 8 connections, p99 61 ms with Python's defaults, 23 ms with
    these). ``GC_TUNING=off`` keeps Python's defaults."""
    if os.environ.get("GC_TUNING", "on") == "off":
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, 20, 20)
