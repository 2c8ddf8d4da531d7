"""``python -m bench [SCENARIO ...] [--duration S] [--rounds N] [--load wrk|python]``.

Runs the named scenarios (all of them when none is named), prints each one's
table and writes ``bench/results/<scenario>.json``. Exits 0 when every
scenario ran, whatever its targets; 1 when one could not run.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback

from bench import report, scenarios


def parse(argv: list[str] | None) -> tuple[list[str], scenarios.Options]:
    defaults = scenarios.Options()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                        help=f"one of: {', '.join(scenarios.names())} (default: all)")
    parser.add_argument("--duration", type=float, default=defaults.duration_s,
                        help="seconds measured per side and round")
    parser.add_argument("--warmup", type=float, default=defaults.warmup_s, help="seconds of unmeasured load first")
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="alternating rounds; figures are medians")
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument("--threads", type=int, default=defaults.threads, help="wrk threads")
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default=defaults.load,
                        help="load generator (auto: wrk when installed)")
    args = parser.parse_args(argv)
    for name in args.scenarios:
        if name not in scenarios.names():
            parser.error(f"no scenario {name!r}; known: {', '.join(scenarios.names())}")
    options = scenarios.Options(duration_s=args.duration, warmup_s=args.warmup, rounds=max(1, args.rounds),
                                connections=args.connections, threads=args.threads, load=args.load)
    return args.scenarios or scenarios.names(), options


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    names, options = parse(argv)
    # SIGTERM (a CI timeout, `kill`) must unwind like Ctrl-C so teardown drops the database and vhost.
    signal.signal(signal.SIGTERM, _interrupt)
    failed = []
    for name in names:
        machine = report.machine_info()  # per scenario: it records how busy the machine was at its start
        load, cpus = machine["load_average_1m_start"], machine["cpus"] or 1
        if load > 0.5 * cpus:
            print(f"[bench] warning: load average {load} on {cpus} CPUs: other work will skew {name}'s figures",
                  file=sys.stderr)
        try:
            result = scenarios.load(name).run(options)
        except KeyboardInterrupt:
            print(f"\n{name}: interrupted", file=sys.stderr)
            return 130
        except Exception:
            traceback.print_exc()
            print(f"{name}: FAILED (no result written)", file=sys.stderr)
            failed.append(name)
            continue
        # Load that came during the run (other jobs on a shared machine) skews it: record it too.
        machine["load_average_1m_end"] = round(os.getloadavg()[0], 2)
        path = report.write_json(result, machine)
        print(report.format_table(result))
        print(f"-> {path}\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
