"""A private copy of the system for one scenario: its own database, broker vhost, processes, tenant.

Nothing a benchmark does may touch the developer's database or vhost, and a
run that fails half-way must not leave a database, a vhost or a process
behind: :class:`IsolatedSystem` creates ``followup_bench_<hex>`` on both
servers, migrates it, starts the processes on free ports, and tears all of
it down on exit, whatever happened.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from common.settings import SERVICES
from common.stack import Stack, StackConfig, amqp_uri, free_port, http_ok

ROOT = Path(__file__).resolve().parent.parent
LOG_ROOT = ROOT / ".run" / "bench"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/followup"
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class IsolatedSystem:
    """``with IsolatedSystem(("tasks",)) as system:`` the gateway and these services, migrated and ready."""

    def __init__(self, services: tuple[str, ...], extra_env: dict[str, str] | None = None):
        unknown = set(services) - set(SERVICES)
        if unknown:
            raise ValueError(f"unknown services {sorted(unknown)}")
        self.name = f"followup_bench_{secrets.token_hex(4)}"
        self.services = services
        base_admin = os.environ.get("DATABASE_ADMIN_URL", DEFAULT_ADMIN_URL)
        base_amqp = os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)
        self.maintenance_url = with_database(base_admin.replace("+psycopg", ""), "postgres")
        self.amqp_user = unquote(urlsplit(base_amqp).username or "guest")
        self.log_dir = LOG_ROOT / self.name
        self.config = StackConfig(
            admin_url=with_database(base_admin, self.name),
            amqp_uri=amqp_uri(base_amqp, self.name),
            log_dir=self.log_dir,
            gateway_port=free_port(),
            http_ports={s: free_port() for s in SERVICES},
            # Per-request INFO lines (access logs, RPC logs) would cost more than some requests.
            log_level="WARNING",
            extra_env=dict(extra_env or {}),
        )
        self.stack = Stack(self.config)
        self.extra: dict[str, subprocess.Popen] = {}
        self._db_created = self._vhost_created = False

    @property
    def gateway_url(self) -> str:
        return self.config.gateway_url

    # ---- life cycle ------------------------------------------------------------
    def __enter__(self) -> "IsolatedSystem":
        try:
            log(f"isolated system {self.name} (logs: {self.log_dir})")
            self._rabbitmqctl("add_vhost", self.name)
            self._vhost_created = True
            self._rabbitmqctl("set_permissions", "-p", self.name, self.amqp_user, ".*", ".*", ".*")
            self._db_created = True  # from here on a failure may have left the database: drop it
            self._run([sys.executable, "-m", "common.migrate"],
                      {"DATABASE_ADMIN_URL": self.config.admin_url, "AMQP_URI": self.config.amqp_uri})
            self.stack.start_all(self.services + ("gateway",))
        except BaseException:
            self.teardown(failed=True)
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.teardown(failed=exc_type is not None)

    def teardown(self, failed: bool = False) -> None:
        """Every step runs even when one before it fails: a leftover must never hide another."""
        steps = [(f"stop {n}", lambda n=n: self._stop_extra(n)) for n in list(self.extra)]
        steps.append(("stop the gateway", lambda: self.stack.stop("gateway")))
        steps.append(("stop the services", self.stack.stop_all))
        if self._db_created:
            steps.append((f"drop database {self.name}", self._drop_database))
        if self._vhost_created:
            steps.append((f"delete vhost {self.name}", lambda: self._rabbitmqctl("delete_vhost", self.name)))
        for what, step in steps:
            try:
                step()
            except Exception as exc:  # keep going: the next resource still needs cleaning up
                failed = True
                log(f"teardown: could not {what}: {exc!r}")
        if failed:
            log(f"logs kept in {self.log_dir}")
        else:
            shutil.rmtree(self.log_dir, ignore_errors=True)

    # ---- helpers for scenarios ---------------------------------------------------
    def create_tenant(self, name: str) -> dict:
        """``{"tenant_id", "user_id", "api_key"}`` of a new tenant's admin, via the gateway's own CLI."""
        out = self._run([sys.executable, "-m", "gateway.cli", "create-tenant", name],
                        self.config.env_for("gateway"), replace_env=True)
        return json.loads(out.strip().splitlines()[-1])

    def spawn(self, name: str, argv: list[str], env: dict[str, str], ready_url: str,
              timeout: float = 60.0) -> subprocess.Popen:
        """Start a helper process (a baseline server) that teardown stops; wait until ``ready_url`` is 200."""
        log_file = open(self.log_dir / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=ROOT)
        self.extra[name] = proc
        deadline = time.monotonic() + timeout
        while not http_ok(ready_url):
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.log_dir / (name + '.log')}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} not ready after {timeout}s; see {self.log_dir / (name + '.log')}")
            time.sleep(0.2)
        return proc

    # ---- internals -----------------------------------------------------------------
    def _stop_extra(self, name: str) -> None:
        proc = self.extra.pop(name)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def _drop_database(self) -> None:
        with psycopg.connect(self.maintenance_url, autocommit=True) as conn:
            # FORCE: a process that did not stop cleanly must not keep the database alive.
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(self.name)))

    def _rabbitmqctl(self, *args: str) -> None:
        if not shutil.which("rabbitmqctl"):
            raise RuntimeError("rabbitmqctl is not on PATH: the bench needs it to create its own vhost")
        self._run(["rabbitmqctl", "-q", *args], {})

    def _run(self, argv: list[str], env: dict[str, str], replace_env: bool = False) -> str:
        full_env = env if replace_env else {**os.environ, **env}
        out = subprocess.run(argv, env=full_env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:4])} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
        return out.stdout
