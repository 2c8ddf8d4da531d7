"""py-amqp reads with a read-ahead buffer, for every nameko/kombu connection of a service process.

py-amqp reads each frame in three exact-size ``recv`` calls (the 7-byte header, the payload, the
frame-end octet), so one small message (method, header and body frames) costs nine syscalls,
each a trip through eventlet's green socket. Reading what the socket holds, up to 64 KiB, and
serving the next reads from the buffer costs one. py-amqp already keeps unread bytes in
``_read_buffer`` between calls (for partial frames), so the rest of the transport is unchanged;
the remainder is kept as a memoryview, so a buffer of many small frames is not copied per read.
"""
from __future__ import annotations

import errno
import socket

from amqp.transport import TCPTransport

READ_AHEAD = 65536
_ORIGINAL = TCPTransport._read


def _read(self, n, initial=False, _errnos=(errno.EAGAIN, errno.EINTR)):
    """Return exactly ``n`` bytes: from the buffer, reading from the socket only when it runs short."""
    rbuf = self._read_buffer
    if len(rbuf) < n:
        rbuf = bytes(rbuf)  # the short remainder joins what comes next
        recv = self._quick_recv
        try:
            while len(rbuf) < n:
                try:
                    s = recv(max(n - len(rbuf), READ_AHEAD))
                except OSError as exc:
                    if exc.errno in _errnos:
                        if initial and self.raise_on_initial_eintr:
                            raise socket.timeout()
                        continue
                    raise
                if not s:
                    raise OSError("Server unexpectedly closed connection")
                rbuf += s
        except:  # noqa: E722  (as py-amqp: keep what was read for the retry, whatever interrupted)
            self._read_buffer = rbuf
            raise
    view = rbuf if isinstance(rbuf, memoryview) else memoryview(rbuf)
    self._read_buffer = view[n:]
    return bytes(view[:n])


def install() -> None:
    TCPTransport._read = _read


def installed() -> bool:
    return TCPTransport._read is _read
