"""API keys: random, shown once, stored as a keyed hash; resolved to a tenant and a principal."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass

from common.context import Principal
from common.errors import Forbidden, Unauthenticated

KEY_PREFIX = "fu_"


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str, pepper: str) -> str:
    # Keys carry 256 random bits; a keyed hash (pepper outside the database)
    # means a leaked table alone cannot be used to check guesses.
    return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Identity:
    tenant_id: str
    user_id: str
    role: str
    features: tuple[str, ...]
    email: str | None = None

    def principal(self, correlation_id: str | None, idempotency_key: str | None = None) -> Principal:
        return Principal(self.tenant_id, self.user_id, self.role, correlation_id, idempotency_key, self.email)

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}", code="FORBIDDEN")


class Authenticator:
    """Resolves bearer keys, with a short in-process cache: a revoked key stops working within its TTL."""

    def __init__(self, db, pepper: str, ttl_s: float):
        self.db = db
        self.pepper = pepper
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, Identity]] = {}

    async def identify(self, authorization: str | None) -> Identity:
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthenticated("send 'Authorization: Bearer <api key>'")
        key = authorization[7:].strip()
        if not key.startswith(KEY_PREFIX) or len(key) > 100:
            raise Unauthenticated("invalid API key")
        digest = hash_api_key(key, self.pepper)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit and hit[0] > now:
            return hit[1]
        async with self.db.transaction() as conn:
            row = await (await conn.execute("select * from authenticate(%s)", (digest,))).fetchone()
        if row is None:
            raise Unauthenticated("invalid API key")
        identity = Identity(str(row["tenant_id"]), str(row["user_id"]), row["role"], tuple(row["features"]),
                            row["email"])
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (now + self.ttl_s, identity)
        return identity


async def create_user(conn, tenant_id: str, email: str, name: str, role: str, pepper: str) -> tuple[dict, str]:
    """Insert a user and its first key; returns the user and the key (never stored in clear)."""
    user_id = uuid.uuid4()
    row = await (await conn.execute(
        "insert into users (id, tenant_id, email, name, role) values (%s, %s, %s, %s, %s)"
        " returning id, tenant_id, email, name, role, created_at",
        (user_id, tenant_id, email, name, role))).fetchone()
    key = new_api_key()
    await conn.execute(
        "insert into api_keys (id, tenant_id, user_id, key_hash, prefix) values (%s, %s, %s, %s, %s)",
        (uuid.uuid4(), tenant_id, user_id, hash_api_key(key, pepper), key[:8]))
    return row, key
