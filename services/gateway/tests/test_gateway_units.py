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


def test_X2_the_openapi_document_describes_the_bodies_the_api_sends():
    """A client generated from /openapi.json must read what the API answers: its error shape on every
    refusal (never FastAPI's {"detail": [...]}), and each route's model, lists as pages."""
    import json
    import re

    from gateway.app import create_app

    app = create_app(GatewaySettings(database_url="postgresql://x@y/z", amqp_uri="amqp://guest:guest@127.0.0.1/",
                                     api_key_pepper="p" * 20, webhook_signing_secret="s" * 20))
    doc = app.openapi()
    schemas = doc["components"]["schemas"]
    text = json.dumps(doc)
    assert "HTTPValidationError" not in text
    assert set(re.findall(r"#/components/schemas/([^\"]+)", text)) <= set(schemas)  # every reference resolves
    assert set(schemas["ErrorDetail"]["properties"]) == {"code", "message", "details"}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"}, (method, path)

    def ok_schema(path, method="get", status="200"):
        return doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]

    assert ok_schema("/v1/tasks") == {"$ref": "#/components/schemas/Page_TaskView_"}
    assert ok_schema("/v1/actions") == {"$ref": "#/components/schemas/Page_ActionView_"}
    assert ok_schema("/v1/tasks/{task_id}") == {"$ref": "#/components/schemas/CaseFileView"}
    assert "unallocated" in schemas[ok_schema("/v1/payments", "post", "201")["$ref"].rsplit("/", 1)[1]]["properties"]
    assert ok_schema("/v1/customers", "post", "200") == ok_schema("/v1/customers", "post", "201") == {
        "$ref": "#/components/schemas/CustomerView"}
    assert ok_schema("/v1/invoices/{external_id}", "put", "201") == {"$ref": "#/components/schemas/InvoiceView"}
