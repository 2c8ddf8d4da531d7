"""``python -m gateway.cli create-tenant NAME``: a tenant, its first admin and that admin's key.

The last line printed is JSON ``{"tenant_id", "user_id", "api_key"}`` (API.md).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import uuid

from gateway.auth import create_user
from gateway.db import GatewayDatabase
from gateway.settings import GatewaySettings


async def create_tenant(settings: GatewaySettings, name: str, email: str | None, features: list[str]) -> dict:
    db = GatewayDatabase(settings.database_url, 2)
    await db.pool.open(wait=True, timeout=10)
    tenant_id = str(uuid.uuid4())
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "tenant"
    try:
        async with db.transaction(tenant_id) as conn:
            await conn.execute("insert into tenants (id, name, features) values (%s, %s, %s)",
                               (tenant_id, name, features))
            user, key = await create_user(conn, tenant_id, email or f"admin@{slug}.example", "Administrator",
                                          "admin", settings.api_key_pepper)
    finally:
        await db.close()
    return {"tenant_id": tenant_id, "user_id": str(user["id"]), "api_key": key}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-tenant")
    create.add_argument("name")
    create.add_argument("--admin-email")
    create.add_argument("--feature", action="append", default=[], help="paid features, e.g. sms, letters")
    args = parser.parse_args()
    result = asyncio.run(create_tenant(GatewaySettings(), args.name, args.admin_email, args.feature))
    print(f"Tenant {args.name!r} created. Keep the API key: it is shown only once.")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
