"""A local process supervisor for the whole system: ``make run`` and the integration tests.

Every service and the gateway run as separate processes (nameko services are
eventlet-patched; the gateway is asyncio and must not be), each with its own
environment: its database role, the broker vhost, its HTTP port.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from common.migrate import service_database_url
from common.settings import SERVICE_HTTP_PORTS, SERVICES

# Local stand-ins for outside providers (an SMTP server that keeps what it receives; an SMS and letter
# provider that records requests and posts signed callbacks), so the system works offline.
STUBS = ("smtp-sink", "provider-stub")
ALL_PROCESSES = STUBS + SERVICES + ("gateway",)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def amqp_uri(base: str, vhost: str) -> str:
    return base.rstrip("/") + "/" + quote(vhost, safe="")


@dataclass
class StackConfig:
    admin_url: str
    amqp_uri: str
    log_dir: Path
    gateway_port: int = 8000
    http_ports: dict[str, int] = field(default_factory=lambda: dict(SERVICE_HTTP_PORTS))
    api_key_pepper: str = field(default_factory=lambda: secrets.token_hex(16))
    webhook_signing_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    smtp_port: int = 8025
    smtp_http_port: int = 8026
    provider_stub_port: int = 8027
    log_level: str = "INFO"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def env_for(self, name: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "AMQP_", "HTTP_PORT"))}
        env.update({
            "DATABASE_URL": service_database_url(self.admin_url, name),
            "AMQP_URI": self.amqp_uri,
            "LOG_LEVEL": self.log_level,
            "PYTHONUNBUFFERED": "1",
            "API_KEY_PEPPER": self.api_key_pepper,
            "WEBHOOK_SIGNING_SECRET": self.webhook_signing_secret,
            # Where notifications sends, and where providers and recipients reach the gateway.
            "SMTP_PORT": str(self.smtp_port),
            "SMTP_LOOKUP_URL": f"http://127.0.0.1:{self.smtp_http_port}",
            "SMS_BASE_URL": f"http://127.0.0.1:{self.provider_stub_port}",
            "LETTER_BASE_URL": f"http://127.0.0.1:{self.provider_stub_port}",
            "PUBLIC_BASE_URL": self.gateway_url,
            "SMTP_SINK_PORT": str(self.smtp_port),
            "SMTP_SINK_HTTP_PORT": str(self.smtp_http_port),
            "PROVIDER_STUB_PORT": str(self.provider_stub_port),
        })
        if name == "gateway":
            env["GATEWAY_PORT"] = str(self.gateway_port)
        elif name in STUBS:
            pass
        else:
            env["HTTP_PORT"] = str(self.http_ports[name])
        env.update(self.extra_env)
        env.update(overrides or {})
        return env

    def health_url(self, name: str) -> str:
        port = {"gateway": self.gateway_port, "smtp-sink": self.smtp_http_port,
                "provider-stub": self.provider_stub_port}.get(name) or self.http_ports[name]
        return f"http://127.0.0.1:{port}"


def command_for(name: str) -> list[str]:
    if name == "gateway":
        return [sys.executable, "-m", "gateway"]
    if name in STUBS:
        return [sys.executable, "-m", f"notifications.stubs.{name.replace('-', '_')}"]
    return [sys.executable, "-m", "common.runner", name]


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200
    except Exception:
        return False


class Stack:
    def __init__(self, config: StackConfig):
        self.config = config
        self.processes: dict[str, subprocess.Popen] = {}
        config.log_dir.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, env: dict[str, str] | None = None, wait: bool = True,
              detach: bool = False) -> subprocess.Popen:
        proc = self._spawn(name, name, env, detach)
        if wait:
            self.wait_ready(name)
        return proc

    def start_replica(self, name: str, replica: int) -> str:
        """Another process of service ``name`` on an HTTP port of its own, ready; returns the key that
        ``stop`` and ``kill`` take (``<name>-<replica>``, also its log's name)."""
        key, port = f"{name}-{replica}", free_port()
        self._spawn(key, name, {"HTTP_PORT": str(port)})
        self._wait_ready(key, f"http://127.0.0.1:{port}/readyz")
        return key

    def _spawn(self, key: str, name: str, env: dict[str, str] | None, detach: bool = False) -> subprocess.Popen:
        log = open(self.config.log_dir / f"{key}.log", "ab")
        proc = subprocess.Popen(
            command_for(name), env=self.config.env_for(name, env), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=detach,
        )
        self.processes[key] = proc
        return proc

    def wait_ready(self, name: str, timeout: float = 60.0) -> None:
        self._wait_ready(name, self.config.health_url(name) + "/readyz", timeout)

    def _wait_ready(self, key: str, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        proc = self.processes.get(key)
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{key} exited with {proc.returncode}; see {self.config.log_dir / (key + '.log')}")
            if http_ok(url):
                return
            time.sleep(0.2)
        raise TimeoutError(f"{key} not ready after {timeout}s; see {self.config.log_dir / (key + '.log')}")

    def start_all(self, names=ALL_PROCESSES) -> None:
        for name in names:
            self.start(name, wait=False)
        for name in names:
            self.wait_ready(name)

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return None if proc is None else proc.returncode
        proc.send_signal(sig)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(5)

    def kill(self, name: str) -> None:
        self.stop(name, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)
