"""Structured JSON logs for every process (stdlib logging and structlog alike).

Each line carries the service, and inside a worker or request its
correlation id, tenant and entrypoint (bound as context variables).
"""
from __future__ import annotations

import logging
import sys

import structlog

from common.errors import outcome_of


def configure_logging(service: str, level: str = "INFO") -> None:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                lambda _, __, event: {**event, "service": service},
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(default=str),
            ],
        )
    )
    handler.addFilter(RefusalsAreNotFailures())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("amqp", "kombu", "urllib3", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    structlog.configure(
        processors=shared[:-1] + [structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )


class RefusalsAreNotFailures(logging.Filter):
    """nameko logs an exception an RPC worker raises with its traceback: a 404 or a 409 (declared
    ``expected_exceptions`` by ``common.rpc``, so logged as "(expected)") as much as a crash. A refused
    request is the caller's problem, not the service's: it becomes one INFO line with its code, and the
    WARNING and ERROR lines SREs watch stay failures. Event handlers' errors are left as they are: a
    refused event is dead-lettered, which someone must look at."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if (record.name != "nameko.containers" or not str(record.msg).startswith("(expected)")
                or outcome_of(exc) != "rejected"):
            return True
        if not logging.getLogger(record.name).isEnabledFor(logging.INFO):
            return False
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.msg, record.args = "request refused with %s: %s", (exc.code, exc.message)
        record.exc_info = record.exc_text = None
        return True
