"""Test helpers: an isolated PostgreSQL database and RabbitMQ vhost per test run.

Where a Docker engine answers, testcontainers starts throwaway servers;
otherwise the machine's own servers are used, each run in a database and a
vhost of its own, so runs never collide with each other or a running stack.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

LOCAL_ADMIN = os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432")
LOCAL_AMQP = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672")


@dataclass(frozen=True)
class Infra:
    server_url: str  # postgresql://user@host:port (no database)
    amqp_base: str  # amqp://user:pass@host:port (no vhost)
    database: str
    vhost: str

    @property
    def admin_url(self) -> str:
        return f"{self.server_url}/{self.database}"

    @property
    def amqp_uri(self) -> str:
        return f"{self.amqp_base}/{quote(self.vhost, safe='')}"


def docker_available() -> bool:
    if os.environ.get("FOLLOWUP_TESTS_NO_DOCKER") or not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@contextmanager
def isolated_infra(prefix: str = "followup_test"):
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    if docker_available():
        with _containers() as (server_url, amqp_base):
            yield Infra(server_url, amqp_base, name, name)
        return
    import psycopg

    with psycopg.connect(f"{LOCAL_ADMIN}/postgres", autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    try:
        yield Infra(LOCAL_ADMIN, LOCAL_AMQP, name, name)
    finally:
        try:
            with psycopg.connect(f"{LOCAL_ADMIN}/postgres", autocommit=True) as conn:
                conn.execute(f'drop database if exists "{name}" with (force)')
        except Exception:
            pass
        try:
            rabbitmqctl("delete_vhost", name)
        except Exception:
            pass


@contextmanager
def _containers():
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    with PostgresContainer("postgres:15", username="postgres", password="postgres") as pg, \
            RabbitMqContainer("rabbitmq:3.13") as mq:
        # Containers have no trust auth: service roles get a password.
        os.environ.setdefault("SERVICE_DB_PASSWORD", uuid.uuid4().hex)
        host, port = pg.get_container_host_ip(), pg.get_exposed_port(5432)
        mq_host, mq_port = mq.get_container_host_ip(), mq.get_exposed_port(5672)
        yield f"postgresql://postgres:postgres@{host}:{port}", f"amqp://guest:guest@{mq_host}:{mq_port}"


def migrate(infra: Infra, services: list[str] | None = None) -> None:
    from common import migrate as m

    env = {"DATABASE_ADMIN_URL": infra.admin_url, "AMQP_URI": infra.amqp_uri}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        m.main(list(services) if services else [])
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
