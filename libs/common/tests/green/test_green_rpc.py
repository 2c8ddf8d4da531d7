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


class CountingService:
    name = "counter"
    calls: list = []

    @rpc
    def hit(self):
        CountingService.calls.append(1)
        return len(CountingService.calls)


def test_X1_a_request_whose_reply_cannot_be_sent_is_acked_not_left_to_run_again(make_container, infra, monkeypatch):
    """A stale reply link (the broker restarted) must not leave the request unacked: it would hold one of
    the consumer's prefetch slots for good, and run a second time once the connection resets."""
    import subprocess
    from urllib.parse import unquote, urlsplit

    from kombu import Connection

    from common.rpc import ReplySender

    def broken(self, *args, **kwargs):
        raise ConnectionResetError("the reply link went stale")

    monkeypatch.setattr(ReplySender, "send", broken)
    container = make_container(CountingService)
    container.start()
    with Connection(infra.amqp_uri) as conn:
        conn.Producer().publish('{"args": [], "kwargs": {}}', exchange="nameko-rpc", routing_key="counter.hit",
                                content_type="application/json", reply_to="nowhere", correlation_id="c1")
    vhost = unquote(urlsplit(infra.amqp_uri).path[1:])

    def unacked() -> int:
        out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "messages_unacknowledged",
                              "messages_ready"], capture_output=True, text=True, timeout=30).stdout
        row = next(line.split() for line in out.splitlines() if line.startswith("rpc-counter"))
        return int(row[1]) + int(row[2])

    deadline = time.monotonic() + 10
    while (not CountingService.calls or unacked()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert CountingService.calls == [1] and unacked() == 0
