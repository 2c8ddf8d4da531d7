"""uvicorn's httptools protocol, with a response's head and body leaving in one write.

uvicorn writes the status line and headers, then the body, as two transport writes: two ``send()``
calls and two TCP segments per response, so the client wakes for the headers alone and again for
the body. ``CoalescingTransport`` holds a write until the next one in the same loop iteration and
sends both together (``writelines``: one vectored write, no copy); whatever is still held when the
iteration ends goes out then, so a streamed response (SSE) is never held back longer than that.
"""
from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport proxy: writes pair up, order kept; everything else is the transport's own."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            self._held = data
            self._loop.call_soon(self.flush)
        else:
            self._held = None
            self._transport.writelines((held, data))

    def flush(self) -> None:
        if self._held is not None:
            data, self._held = self._held, None
            if not self._transport.is_closing():  # a connection lost meanwhile takes nothing more
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def __getattr__(self, name):
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
