"""In-process nameko containers against a database and vhost of their own.

Run by ``scripts/green_pytest.py`` (eventlet patched before anything else).
"""
import psycopg
import pytest
from nameko.containers import ServiceContainer

from common.schema import PLATFORM_DDL
from common.settings import ServiceSettings
from common.store import SETTINGS_KEY
from common.testing import isolated_infra


@pytest.fixture(scope="session")
def infra():
    with isolated_infra("followup_green") as infra:
        with psycopg.connect(infra.admin_url, autocommit=True) as conn:
            conn.execute("create schema probe")
            conn.execute("set search_path to probe")
            for statement in PLATFORM_DDL.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("create table claims (timer_id bigint, replica text, claimed_at timestamptz default now())")
        yield infra


@pytest.fixture
def make_container(infra):
    containers = []

    def make(service_cls, **settings):
        cfg = ServiceSettings(service_name="probe", database_url=infra.admin_url, amqp_uri=infra.amqp_uri,
                              max_workers=settings.pop("max_workers", 20), **settings)
        config = cfg.nameko_config()
        config[SETTINGS_KEY] = cfg
        config["WEB_SERVER_ADDRESS"] = "127.0.0.1:0"
        container = ServiceContainer(service_cls, config)
        containers.append(container)
        return container

    yield make
    for container in containers:
        container.kill()


@pytest.fixture
def sql(infra):
    def run(query, params=()):
        with psycopg.connect(infra.admin_url, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else None
    return run
