"""pytest with eventlet patched before anything else, for in-process nameko container tests.

Since nameko 2.13 its pytest plugin no longer patches; these tests live in a
run of their own so the gateway's asyncio tests never see a patched process.
"""
import eventlet

eventlet.monkey_patch()

from common import amqp_reads, green_waits  # noqa: E402

green_waits.install()
amqp_reads.install()

import sys  # noqa: E402

import pytest  # noqa: E402

if __name__ == "__main__":
    sys.exit(pytest.main(sys.argv[1:]))
