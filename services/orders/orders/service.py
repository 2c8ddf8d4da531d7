"""Entrypoints of the orders service. Its features arrive in their own issues; today it
starts, owns its schema and answers health and metrics like every service."""
from common.observability import PlatformEndpoints
from common.store import DatabaseProvider


class OrdersService(PlatformEndpoints):
    name = "orders"

    db = DatabaseProvider()
