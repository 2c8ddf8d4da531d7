"""A response's head and body leave the gateway in one write; a lone write still goes out the same tick."""
import asyncio

from gateway.http import CoalescingTransport


class RecordingTransport:
    def __init__(self):
        self.sends: list[bytes] = []
        self.closed = False

    def write(self, data):
        self.sends.append(bytes(data))

    def writelines(self, parts):
        self.sends.append(b"".join(parts))

    def is_closing(self):
        return self.closed

    def close(self):
        self.closed = True

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 8000) if name == "sockname" else default


def test_head_and_body_written_together_make_one_send():
    async def scenario():
        raw = RecordingTransport()
        t = CoalescingTransport(raw, asyncio.get_running_loop())
        t.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        t.write(b"{}")
        await asyncio.sleep(0)
        return raw.sends

    assert asyncio.run(scenario()) == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]


def test_a_streamed_chunk_is_not_held_past_the_loop_iteration_and_order_is_kept():
    async def scenario():
        raw = RecordingTransport()
        t = CoalescingTransport(raw, asyncio.get_running_loop())
        t.write(b"head")
        await asyncio.sleep(0)  # an SSE stream waiting for its first event
        sent_alone = list(raw.sends)
        t.write(b"event 1")
        t.write(b"event 2")
        t.write(b"event 3")
        await asyncio.sleep(0)
        return sent_alone, raw.sends

    sent_alone, sends = asyncio.run(scenario())
    assert sent_alone == [b"head"]
    assert sends == [b"head", b"event 1event 2", b"event 3"]


def test_close_sends_what_is_held_first_and_other_calls_reach_the_transport():
    async def scenario():
        raw = RecordingTransport()
        t = CoalescingTransport(raw, asyncio.get_running_loop())
        t.write(b"last words")
        t.close()
        await asyncio.sleep(0)
        return raw, t

    raw, t = asyncio.run(scenario())
    assert raw.sends == [b"last words"] and raw.closed
    assert t.get_extra_info("sockname") == ("127.0.0.1", 8000)
