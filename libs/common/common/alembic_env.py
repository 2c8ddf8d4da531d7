"""The body of every service's ``migrations/env.py``: one schema, its own version table."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

from common.db import sqlalchemy_url


def run_migrations(schema: str) -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text(f"create schema if not exists {schema}"))
        connection.execute(text(f"set search_path to {schema}"))
        connection.commit()
        context.configure(connection=connection, version_table_schema=schema, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
