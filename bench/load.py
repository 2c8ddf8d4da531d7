"""Closed-loop HTTP load: N keep-alive connections, each sending its next request when the last answers.

``wrk`` when installed (C, so the load generator takes little of a 2-core
machine from the servers it measures); otherwise a small asyncio generator
on raw sockets (httpx would be the bottleneck long before the servers). The
same generator always measures both sides of a comparison.
"""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

LUA_SCRIPT = Path(__file__).resolve().parent / "latency.lua"


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers, timeouts and socket errors

    @property
    def throughput(self) -> float:
        return self.requests / self.duration_s

    def as_dict(self) -> dict:
        return {**asdict(self), "throughput": round(self.throughput, 1)}


def pick_generator(preference: str) -> str:
    if preference == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if preference == "wrk" and not shutil.which("wrk"):
        raise RuntimeError("--load wrk asked for, but wrk is not installed (apt-get install wrk)")
    return preference


def run_load(generator: str, url: str, headers: dict[str, str], duration_s: float, connections: int,
             threads: int) -> LoadResult:
    if generator == "wrk":
        return _run_wrk(url, headers, duration_s, connections, threads)
    return asyncio.run(_run_python(url, headers, duration_s, connections))


# ---- wrk ---------------------------------------------------------------------------------
def _run_wrk(url: str, headers: dict[str, str], duration_s: float, connections: int, threads: int) -> LoadResult:
    threads = max(1, min(threads, connections))  # wrk refuses more threads than connections
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration_s))}s",
            "--timeout", "10s", "-s", str(LUA_SCRIPT)]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run(argv + [url], capture_output=True, text=True, timeout=duration_s + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return LoadResult(requests=data["requests"], duration_s=data["duration_us"] / 1e6,
                      p50_ms=data["p50_ms"], p99_ms=data["p99_ms"], errors=sum(data["errors"].values()))


# ---- asyncio fallback ---------------------------------------------------------------------
async def _run_python(url: str, headers: dict[str, str], duration_s: float, connections: int) -> LoadResult:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    request = (f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
               + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    latencies: list[float] = []
    errors = [0]
    started = time.perf_counter()
    stop_at = started + duration_s
    await asyncio.gather(*(_connection(parts.hostname, parts.port or 80, request, stop_at, latencies, errors)
                           for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return LoadResult(requests=len(latencies), duration_s=elapsed, p50_ms=_percentile(latencies, 50),
                      p99_ms=_percentile(latencies, 99), errors=errors[0])


async def _connection(host: str, port: int, request: bytes, stop_at: float, latencies: list[float],
                      errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (sent := time.perf_counter()) < stop_at:
            writer.write(request)
            try:
                status = await asyncio.wait_for(_read_response(reader), 10)
            except (asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError):
                errors[0] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            latencies.append((time.perf_counter() - sent) * 1000)
            if not 200 <= status < 300:
                errors[0] += 1
    finally:
        writer.close()


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    if "content-length" not in fields:  # both servers always send one (Starlette responses)
        raise ConnectionError("response without Content-Length")
    await reader.readexactly(int(fields["content-length"]))
    return status


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]
