"""The gateway's own schema, through an async psycopg pool and the gateway's (RLS-bound) role."""
from __future__ import annotations

from contextlib import asynccontextmanager

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from common.errors import ServiceUnavailable


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


class GatewayDatabase:
    def __init__(self, url: str, size: int):
        self.pool = AsyncConnectionPool(
            conninfo(url), min_size=2, max_size=size, open=False, timeout=5,
            kwargs={"options": "-c search_path=gateway -c statement_timeout=10000 -c TimeZone=UTC", "connect_timeout": 3,
                    "row_factory": dict_row, "application_name": "followup-gateway"},
            check=AsyncConnectionPool.check_connection,
        )

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def transaction(self, tenant_id: str | None = None):
        """One transaction, scoped to ``tenant_id`` by row-level security when given."""
        try:
            async with self.pool.connection() as conn:
                async with conn.transaction():
                    if tenant_id is not None:
                        await conn.execute("select set_config('app.tenant_id', %s, true)", (tenant_id,))
                    yield conn
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise ServiceUnavailable("the gateway database is unavailable", code="DATABASE_UNAVAILABLE") from exc
        except psycopg.errors.QueryCanceled as exc:
            raise ServiceUnavailable("the gateway database did not answer in time",
                                     code="DATABASE_UNAVAILABLE") from exc
        except Exception as exc:
            if type(exc).__name__ == "PoolTimeout":
                raise ServiceUnavailable("the gateway database is unavailable",
                                         code="DATABASE_UNAVAILABLE") from exc
            raise

    async def ping(self) -> bool:
        try:
            async with self.transaction() as conn:
                await conn.execute("select 1")
            return True
        except Exception:
            return False
