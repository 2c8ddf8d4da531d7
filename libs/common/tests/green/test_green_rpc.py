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
