"""The scenario registry: one module per scenario, found by file name.

Adding a scenario is adding ``bench/scenarios/<name>.py`` with

    TITLE = "one line shown above its table"

    def run(options: Options) -> bench.report.Result: ...

and nothing else: ``python -m bench`` runs every module here in name order,
``python -m bench <name>`` runs one. Modules starting with ``_`` are helpers.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Options:
    """How hard and how long to measure; the same for every side of a comparison."""
    duration_s: float = 15.0
    warmup_s: float = 5.0
    rounds: int = 2  # each round measures every side once, one after the other
    connections: int = 32
    threads: int = 2
    load: str = "auto"  # "wrk", "python" or "auto" (wrk when installed)


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load(name: str) -> ModuleType:
    if name not in names():
        raise LookupError(f"no scenario {name!r}; known: {', '.join(names()) or 'none'}")
    return importlib.import_module(f"{__name__}.{name}")
