"""Run one nameko service as a process: ``python -m common.runner <service>``.

Patches eventlet before anything else is imported, makes psycopg's waits green
and cheap (``common.green_waits``) and py-amqp's reads buffered
(``common.amqp_reads``), and bounds shutdown: on SIGTERM running workers get
``SHUTDOWN_GRACE_S`` to finish, then the container is killed (unacked
messages go back to the broker, uncommitted work rolls back).
"""
import eventlet  # noqa: E402

eventlet.monkey_patch()

import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

import common.serialization  # noqa: E402,F401  (orjson as nameko's json)
from common import amqp_reads, green_waits  # noqa: E402
from common.gc_tuning import tune_gc  # noqa: E402
from common.logs import configure_logging  # noqa: E402
from common.settings import load_service_settings  # noqa: E402
from common.store import SETTINGS_KEY  # noqa: E402
from common.topology import service_class  # noqa: E402

log = logging.getLogger("common.runner")


def main(service: str) -> None:
    green_waits.install()
    amqp_reads.install()
    settings = load_service_settings(service)
    configure_logging(service, settings.log_level)
    config = settings.nameko_config()
    config[SETTINGS_KEY] = settings
    config["RPC_TIMEOUT_S"] = settings.rpc_timeout_s
    runner = ServiceRunner(config)
    runner.add_service(service_class(service))

    stopping = eventlet.event.Event()

    def on_term(signum, frame):
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    runner.start()
    tune_gc()
    log.info("service started", extra={"http_port": settings.http_port_or_default(), "pid": os.getpid()})
    stopping.wait()
    log.info("stopping", extra={"grace_s": settings.shutdown_grace_s})
    try:
        with eventlet.Timeout(settings.shutdown_grace_s):
            runner.stop()
        log.info("stopped cleanly")
    except eventlet.Timeout:
        log.warning("grace period over; killing running workers")
        runner.kill()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m common.runner <service>")
    main(sys.argv[1])
