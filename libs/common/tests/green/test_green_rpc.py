"""Service-to-service RPC is bounded: nameko 2.14 would wait forever for a reply."""
import time

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from common.rpc import RpcTimeout, TimedRpcProxy, rpc


class SlowService:
    name = "slowpoke"

    @rpc
    def nap(self, seconds):
        eventlet.sleep(seconds)
        return "awake"


class CallerService:
    name = "probe"
    slow = TimedRpcProxy("slowpoke", timeout=0.5)

    @rpc
    def ask(self, seconds):
        return self.slow.nap(seconds)


def test_rpc_between_services_times_out_instead_of_hanging(make_container):
    slow = make_container(SlowService)
    caller = make_container(CallerService)
    slow.start()
    caller.start()
    with entrypoint_hook(caller, "ask") as ask:
        assert ask(0) == "awake"
        started = time.perf_counter()
        with pytest.raises(RpcTimeout):
            ask(3)
        assert time.perf_counter() - started < 2


class EchoService:
    name = "echo"

    @rpc
    def echo(self, value):
        return value


def test_replies_reach_a_direct_reply_to_caller_including_namekos_own_refusals(make_container, infra):
    """The gateway takes its replies by RabbitMQ's direct reply-to: a worker's result and nameko's own
    answer to an unknown method must both arrive there (published to the default exchange)."""
    import json
    import socket
    from urllib.parse import unquote, urlsplit

    import amqp

    from common.context import DIRECT_REPLY_TO

    container = make_container(EchoService)
    container.start()
    uri = urlsplit(infra.amqp_uri)
    conn = amqp.Connection(f"{uri.hostname}:{uri.port or 5672}", userid=unquote(uri.username),
                           password=unquote(uri.password), virtual_host=unquote(uri.path[1:]))
    conn.connect()
    try:
        channel = conn.channel()
        replies = {}
        channel.basic_consume(DIRECT_REPLY_TO, no_ack=True,
                              callback=lambda m: replies.__setitem__(m.properties["correlation_id"], json.loads(m.body)))
        for call_id, method in (("ok", "echo"), ("nope", "missing")):
            channel.basic_publish(
                amqp.Message(json.dumps({"args": [], "kwargs": {"value": 42}}), content_type="application/json",
                             reply_to=DIRECT_REPLY_TO, correlation_id=call_id),
                exchange="nameko-rpc", routing_key=f"echo.{method}")
        deadline = time.monotonic() + 10
        while len(replies) < 2 and time.monotonic() < deadline:
            try:
                conn.drain_events(timeout=1)
            except socket.timeout:
                pass
        assert replies["ok"] == {"result": 42, "error": None}
        assert replies["nope"]["result"] is None and replies["nope"]["error"]["exc_type"] == "MethodNotFound"
    finally:
        conn.close()
