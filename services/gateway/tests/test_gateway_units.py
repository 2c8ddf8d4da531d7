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
