"""Broker topology, declared before anything publishes.

RabbitMQ confirms an event published to an exchange with no bound queue and
then drops it. So ``make migrate`` declares, for every service, exactly the
queues nameko would declare at start (same names, same arguments), bound
before the first event leaves an outbox, plus each queue's retry and
dead-letter queues. The list comes from the service classes themselves, so
it cannot drift from the code.
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass

from kombu import Connection, Exchange, Queue
from nameko.events import EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import RPC_QUEUE_TEMPLATE, Rpc

from common.events import side_queues


@dataclass(frozen=True)
class Subscription:
    service: str
    method: str
    source_service: str
    event_type: str

    @property
    def queue_name(self) -> str:
        return f"evt-{self.source_service}-{self.event_type}--{self.service}.{self.method}"


def service_class(service: str):
    module = importlib.import_module(f"{service}.service")
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if getattr(obj, "name", None) == service and obj.__module__ == module.__name__:
            return obj
    raise LookupError(f"no nameko service named {service!r} in {module.__name__}")


def subscriptions(cls) -> list[Subscription]:
    found = []
    for method_name, method in inspect.getmembers(cls, inspect.isfunction):
        for ext in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(ext, EventHandler):
                found.append(Subscription(cls.name, method_name, ext.source_service, ext.event_type))
    return found


def has_rpc(cls) -> bool:
    return any(
        isinstance(ext, Rpc)
        for _, m in inspect.getmembers(cls, inspect.isfunction)
        for ext in getattr(m, ENTRYPOINT_EXTENSIONS_ATTR, ())
    )


def entities_for(services: list[str]) -> list:
    rpc_exchange = Exchange("nameko-rpc", type="topic", durable=True)
    entities: list = [rpc_exchange]
    for service in services:
        entities.append(Exchange(f"{service}.events", type="topic", durable=True))
    for service in services:
        cls = service_class(service)
        if has_rpc(cls):
            entities.append(Queue(RPC_QUEUE_TEMPLATE.format(service), exchange=rpc_exchange,
                                  routing_key=f"{service}.*", durable=True))
        for sub in subscriptions(cls):
            exchange = Exchange(f"{sub.source_service}.events", type="topic", durable=True)
            entities.append(exchange)
            entities.append(Queue(sub.queue_name, exchange=exchange, routing_key=sub.event_type,
                                  durable=True, auto_delete=False, exclusive=False))
            entities.extend(side_queues(sub.queue_name))
    return entities


def declare(amqp_uri: str, services: list[str]) -> list[str]:
    declared = []
    with Connection(amqp_uri, connect_timeout=10) as conn:
        channel = conn.default_channel
        for entity in entities_for(services):
            entity(channel).declare()
            declared.append(f"{type(entity).__name__.lower()} {entity.name}")
    return declared
