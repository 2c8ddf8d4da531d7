"""``python -m common.migrate [service ...]``: schemas, roles, migrations, grants, broker topology.

Run as a separate step (``make migrate``, a Kubernetes Job), never on every
start. It connects as ``DATABASE_ADMIN_URL``; each service then connects as
its own role ``followup_<service>``, which owns nothing and is neither
superuser nor BYPASSRLS, so row-level security applies to it.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from alembic import command
from alembic.config import Config
from psycopg import sql

from common.settings import SERVICES

log = logging.getLogger("common.migrate")
ALL = ("gateway",) + SERVICES


def role_name(service: str) -> str:
    return f"followup_{service}"


def service_database_url(admin_url: str, service: str, password: str | None = None) -> str:
    """The URL a service connects with: same host and database, its own role."""
    password = password or os.environ.get("SERVICE_DB_PASSWORD") or None
    parts = urlsplit(admin_url.replace("+psycopg", ""))
    host = parts.hostname or "127.0.0.1"
    netloc = f"{role_name(service)}{':' + password if password else ''}@{host}:{parts.port or 5432}"
    return urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))


def ensure_database(admin_url: str) -> None:
    parts = urlsplit(admin_url.replace("+psycopg", ""))
    dbname = parts.path.lstrip("/")
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone():
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))


def ensure_role(conn, service: str, password: str | None) -> None:
    role = role_name(service)
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
    verb = "alter" if exists else "create"
    conn.execute(sql.SQL(verb + " role {} login nosuperuser nobypassrls nocreatedb nocreaterole noinherit").format(
        sql.Identifier(role)))
    if password:
        conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(role), sql.Literal(password)))


# Tables a service's role may add to but never read back: the gateway resolves API keys through its
# SECURITY DEFINER ``authenticate``, so a compromised gateway cannot list every tenant's key hashes.
INSERT_ONLY_TABLES = {"gateway": ("api_keys",)}


def grant(conn, service: str) -> None:
    role, schema = sql.Identifier(role_name(service)), sql.Identifier(service)
    conn.execute(sql.SQL("grant connect on database {} to {}").format(
        sql.Identifier(conn.info.dbname), role))
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(schema, role))
    conn.execute(sql.SQL("grant select, insert, update, delete on all tables in schema {} to {}").format(schema, role))
    conn.execute(sql.SQL("grant usage, select on all sequences in schema {} to {}").format(schema, role))
    conn.execute(sql.SQL("grant execute on all functions in schema {} to {}").format(schema, role))
    conn.execute(sql.SQL("revoke all on schema public from {}").format(role))
    for table in INSERT_ONLY_TABLES.get(service, ()):
        conn.execute(sql.SQL("revoke select, update, delete on {}.{} from {}").format(
            schema, sql.Identifier(table), role))


def migrations_dir(service: str) -> Path:
    package = importlib.import_module(service)
    return Path(package.__file__).resolve().parent.parent / "migrations"


def upgrade(admin_url: str, service: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir(service)))
    cfg.set_main_option("sqlalchemy.url", admin_url.replace("%", "%%"))
    command.upgrade(cfg, "head")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("services", nargs="*", default=list(ALL))
    parser.add_argument("--no-topology", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level="INFO", format="%(message)s")
    admin_url = os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/followup")
    password = os.environ.get("SERVICE_DB_PASSWORD") or None
    ensure_database(admin_url)
    for service in args.services:
        with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as conn:
            ensure_role(conn, service, password)
        upgrade(admin_url, service)
        with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as conn:
            grant(conn, service)
        log.info("migrated %s", service)
    if not args.no_topology:
        from common.topology import declare

        amqp_uri = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
        declared = declare(amqp_uri, [s for s in args.services if s in SERVICES])
        log.info("declared %d broker entities", len(declared))


if __name__ == "__main__":
    main()
