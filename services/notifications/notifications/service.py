"""Entrypoints of the notifications service. Its features arrive in their own issues; today it
starts, owns its schema and answers health and metrics like every service."""
from common.observability import PlatformEndpoints
from common.store import DatabaseProvider


class NotificationsService(PlatformEndpoints):
    name = "notifications"

    db = DatabaseProvider()
