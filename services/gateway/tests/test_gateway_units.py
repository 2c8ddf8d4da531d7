import time

import pytest

from common.errors import RateLimited
from gateway.auth import hash_api_key, new_api_key
from gateway.ratelimit import TokenBuckets
from gateway.settings import GatewaySettings


def test_api_keys_are_random_and_stored_only_as_a_keyed_hash():
    a, b = new_api_key(), new_api_key()
    assert a != b and a.startswith("fu_") and len(a) > 40
    assert hash_api_key(a, "pepper-one-xxxxxxx") != hash_api_key(a, "pepper-two-xxxxxxx")
    assert a not in hash_api_key(a, "pepper-one-xxxxxxx")


def test_X2_rate_limit_is_per_tenant_and_says_when_to_retry():
    buckets = TokenBuckets(rate=1, burst=2)
    buckets.take("a")
    buckets.take("a")
    with pytest.raises(RateLimited) as err:
        buckets.take("a")
    assert err.value.details["retry_after_s"] >= 1
    buckets.take("b")  # another tenant is not affected


def test_rate_limit_refills_over_time(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    buckets = TokenBuckets(rate=10, burst=1)
    buckets.take("a")
    with pytest.raises(RateLimited):
        buckets.take("a")
    now[0] += 0.1
    buckets.take("a")


def test_gateway_refuses_placeholder_secrets():
    with pytest.raises(ValueError):
        GatewaySettings(database_url="postgresql://x@y/z", api_key_pepper="changeme", webhook_signing_secret="s" * 20)


def test_X2_an_unexpected_error_is_a_500_in_the_api_error_shape_with_one_request_id():
    import asyncio

    import httpx

    from gateway.app import create_app

    app = create_app(GatewaySettings(database_url="postgresql://x@y/z", amqp_uri="amqp://guest:guest@127.0.0.1/",
                                     api_key_pepper="p" * 20, webhook_signing_secret="s" * 20))

    @app.get("/v1/boom")
    async def boom():
        raise RuntimeError("a bug")

    async def call():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            return await client.get("/v1/boom", headers={"X-Request-ID": "trace-500"})

    resp = asyncio.run(call())
    assert resp.status_code == 500
    assert resp.json()["error"]["code"] == "INTERNAL"
    assert resp.headers.get_list("x-request-id") == ["trace-500"]
