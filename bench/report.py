"""Figures, targets and how a scenario's result is printed and saved."""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Figure:
    """One measured value beside the same measure of the baseline, taken in the same run."""
    name: str
    value: float
    unit: str
    baseline: float

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    def as_json(self) -> dict:
        ratio = self.ratio
        return {"name": self.name, "value": round(self.value, 3), "unit": self.unit,
                "baseline": round(self.baseline, 3), "ratio": None if ratio is None else round(ratio, 3)}


@dataclass(frozen=True)
class Target:
    """A bound on a figure's ratio to its baseline: ``ratio >= 0.5`` or ``ratio <= 3``.

    A missed target is reported, never raised: a benchmark run is evidence,
    not a gate (noise on a shared 2-core machine would make it a flaky one).
    """
    figure: str
    op: str  # ">=" or "<="
    bound: float
    label: str

    def met(self, figures: list[Figure]) -> bool | None:
        ratio = next((f.ratio for f in figures if f.name == self.figure), None)
        if ratio is None:
            return None
        return ratio >= self.bound if self.op == ">=" else ratio <= self.bound

    @property
    def rule(self) -> str:
        return f"ratio {self.op} {self.bound:g}"


@dataclass
class Result:
    scenario: str
    title: str
    figures: list[Figure]
    targets: list[Target] = field(default_factory=list)
    settings: dict = field(default_factory=dict)  # how it was measured (load generator, durations)
    rounds: list[dict] = field(default_factory=list)  # raw per-round numbers, for whoever doubts a figure


def machine_info() -> dict:
    info = {
        "node": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # Other work on the machine skews every figure; this says how busy it was when the scenario began.
        "load_average_1m_start": round(os.getloadavg()[0], 2),
    }
    model = _cpu_model()
    if model:
        info["cpu_model"] = model
    return info


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def to_json(result: Result, machine: dict) -> dict:
    return {
        "scenario": result.scenario,
        "machine": machine,
        "figures": [f.as_json() for f in result.figures],
        "targets": [{"figure": t.figure, "rule": t.rule, "label": t.label, "met": t.met(result.figures)}
                    for t in result.targets],
        "settings": result.settings,
        "rounds": result.rounds,
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def write_json(result: Result, machine: dict, directory: Path = RESULTS_DIR) -> Path:
    """Written beside then renamed, so an interrupted run never leaves half a file (``*.tmp`` is ignored)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result.scenario}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(to_json(result, machine), indent=2) + "\n")
    os.replace(tmp, path)
    return path


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def format_table(result: Result) -> str:
    rows = [("figure", "value", "baseline", "unit", "ratio")]
    for f in result.figures:
        rows.append((f.name, _fmt(f.value), _fmt(f.baseline), f.unit, _fmt(f.ratio)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"== {result.scenario}: {result.title}"]
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) if j == 0 else cell.rjust(w) for j, (cell, w) in
                               enumerate(zip(row, widths))))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    for t in result.targets:
        met = t.met(result.figures)
        verdict = "MET" if met else ("n/a" if met is None else "MISSED")
        lines.append(f"target {t.label} ({t.figure} {t.rule}): {verdict}")
    return "\n".join(lines)


def tool_version(argv: list[str]) -> str | None:
    """What a tool says about itself, less its copyright line (``wrk --version`` exits 1 but prints it)."""
    if not shutil.which(argv[0]):
        return None
    out = subprocess.run(argv, capture_output=True, text=True)
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0].split(" Copyright")[0] if text else argv[0]
