"""The read-ahead transport returns exactly what py-amqp asks for, in order, across socket chunks."""
import errno

import pytest
from amqp.transport import TCPTransport

from common import amqp_reads


class FakeSocket:
    def __init__(self, chunks):
        self.chunks = list(chunks)
        self.calls = 0

    def recv(self, n):
        self.calls += 1
        chunk = self.chunks.pop(0)
        if isinstance(chunk, Exception):
            raise chunk
        return chunk[:n]


def transport(chunks):
    t = TCPTransport.__new__(TCPTransport)
    t.sock = FakeSocket(chunks)
    t._read_buffer = b""
    t._quick_recv = t.sock.recv
    t.raise_on_initial_eintr = True
    return t


def test_many_frames_in_one_chunk_cost_one_recv_and_come_back_exactly():
    frames = [bytes([i]) * size for i, size in enumerate([7, 40, 1, 7, 300, 1, 7, 5, 1])]
    t = transport([b"".join(frames)])
    assert [amqp_reads._read(t, len(f)) for f in frames] == frames
    assert t.sock.calls == 1
    assert len(t._read_buffer) == 0


def test_a_frame_split_across_chunks_and_retries_after_eagain():
    t = transport([b"abc", OSError(errno.EAGAIN, "again"), b"defgh", b"ij"])
    assert amqp_reads._read(t, 4) == b"abcd"
    assert amqp_reads._read(t, 6) == b"efghij"


def test_an_interrupted_read_keeps_what_it_had_for_the_next_call():
    t = transport([b"ab", TimeoutError("slow"), b"cd"])
    with pytest.raises(TimeoutError):
        amqp_reads._read(t, 4)
    assert bytes(t._read_buffer) == b"ab"
    assert amqp_reads._read(t, 4) == b"abcd"


def test_a_closed_connection_is_an_error():
    t = transport([b""])
    with pytest.raises(OSError, match="closed"):
        amqp_reads._read(t, 7)
