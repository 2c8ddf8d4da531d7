"""pytest with eventlet patched before anything else, for in-process nameko container tests.

Since nameko 2.13 its pytest plugin no longer patches; these tests live in a
run of their own so the gateway's asyncio tests never see a patched process.
"""
import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import sys  # noqa: E402

import pytest  # noqa: E402

if __name__ == "__main__":
    sys.exit(pytest.main(sys.argv[1:]))
