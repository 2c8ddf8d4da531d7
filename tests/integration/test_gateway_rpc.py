"""The gateway's RPC client against the real broker, without the services."""
import asyncio
import time

import kombu
import pytest

from common.context import Principal
from common.errors import ServiceUnavailable
from common.testing import isolated_infra
from gateway.rpc_client import EXCHANGE, RpcClient

TENANT = "11111111-1111-1111-1111-111111111111"


def test_X2_a_service_that_never_answers_is_a_503_once_the_rpc_timeout_is_up():
    with isolated_infra("followup_rpc") as infra:
        with kombu.Connection(infra.amqp_uri) as conn:  # bound as a nameko service's queue is; nobody consumes it
            channel = conn.channel()
            channel.exchange_declare(EXCHANGE, "topic", durable=True, auto_delete=False)
            channel.queue_declare("rpc-silent", durable=True, auto_delete=False)
            channel.queue_bind("rpc-silent", EXCHANGE, "silent.*")

        async def scenario():
            client = RpcClient(infra.amqp_uri, timeout=0.5)
            await client.start()
            try:
                deadline = time.monotonic() + 15
                while not client.ready:
                    assert time.monotonic() < deadline, "the RPC client never connected"
                    await asyncio.sleep(0.05)
                started = time.monotonic()
                with pytest.raises(ServiceUnavailable) as refused:
                    await client.call("silent", "anything", Principal(TENANT, None, "system"))
                waited = time.monotonic() - started
                assert refused.value.code == "SERVICE_TIMEOUT"
                assert 0.5 <= waited < 5, waited  # the timeout, not a hang
                assert client._pending == {}  # nothing left to leak
            finally:
                await client.close()

        asyncio.run(scenario())
