"""psycopg's wait function for eventlet: a green wait that costs one syscall when the socket is ready.

psycopg's ``wait_select`` is green under eventlet, but each of its waits goes through eventlet's
``select``: two listeners, a timer and five syscalls (epoll ADD, MOD, wait, MOD, DEL), even to learn
that a socket is writable, which it nearly always is. A one-statement read waits a dozen times, so
that was the largest single cost of a small RPC. ``wait_green`` asks the kernel first with one
``poll(0)`` (the unpatched one: it never blocks), and only when the socket is not ready parks the
green thread on eventlet's hub: ``trampoline`` for a read, as green sockets do; eventlet's green
``select`` on both directions for the rare write that finds the socket buffer full.
"""
from __future__ import annotations

from time import monotonic

import psycopg.waiting as waiting
from eventlet import patcher
from eventlet.green import select as green_select
from eventlet.hubs import trampoline
from psycopg import errors

_select = patcher.original("select")
_POLLIN, _POLLOUT = _select.POLLIN, _select.POLLOUT
_POLLBAD = _select.POLLERR | _select.POLLHUP | _select.POLLNVAL
_WAIT_R, _WAIT_W = int(waiting.WAIT_R), int(waiting.WAIT_W)
_READY_R, _READY_W = waiting.READY_R, waiting.READY_W
_READY = (waiting.READY_NONE, _READY_R, _READY_W, waiting.READY_RW)


class _Timeout(Exception):
    pass


def _ready_now(fileno: int, wanted: int) -> int:
    poller = _select.poll()
    poller.register(fileno, (_POLLIN if wanted & _WAIT_R else 0) | (_POLLOUT if wanted & _WAIT_W else 0))
    events = poller.poll(0)
    if not events:
        return 0
    mask = events[0][1]
    if mask & _POLLBAD and not mask & (_POLLIN | _POLLOUT):
        raise errors.OperationalError("connection socket closed")
    # A hang-up with data still buffered reads as readable: libpq then reports the error itself.
    return (_READY_R if mask & (_POLLIN | _POLLBAD) and wanted & _WAIT_R else 0) | \
        (_READY_W if mask & _POLLOUT and wanted & _WAIT_W else 0)


def wait_green(gen, fileno: int, interval: float = 0.0, timeout: float | None = None):
    """psycopg's ``WaitFunc`` contract: drive ``gen`` until it returns, sending it each readiness."""
    deadline = monotonic() + timeout if timeout is not None else None
    try:
        wanted = next(gen)
        while True:
            ready = _ready_now(fileno, wanted)
            if not ready:
                left = None if deadline is None else max(0.0, deadline - monotonic())
                if wanted == _WAIT_R:
                    try:
                        trampoline(fileno, read=True, timeout=left, timeout_exc=_Timeout)
                        ready = _READY_R
                    except _Timeout:
                        ready = 0
                else:
                    # Write-blocked (a full socket buffer), which is rare: wait for either, as psycopg
                    # asks, since in a pipeline the server may need us to read before it reads again.
                    rl, wl, _ = green_select.select([fileno] if wanted & _WAIT_R else [],
                                                    [fileno] if wanted & _WAIT_W else [], [], left)
                    ready = (_READY_R if rl else 0) | (_READY_W if wl else 0)
            wanted = gen.send(_READY[ready])
            if deadline is not None and monotonic() >= deadline:
                raise errors._WaitTimeout("wait timeout expired")
    except StopIteration as ex:
        return ex.value


def install() -> None:
    """Make every sync psycopg connection of this (monkey-patched) process wait with ``wait_green``.
    ``Connection.wait`` looks ``waiting.wait`` up at each call, so replacing it here is enough."""
    if not patcher.is_monkey_patched("select"):
        raise RuntimeError("green psycopg waits need eventlet.monkey_patch() first")
    waiting.wait = wait_green


def installed() -> bool:
    return waiting.wait is wait_green
