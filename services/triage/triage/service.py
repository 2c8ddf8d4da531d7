"""Entrypoints of the triage service. Its features arrive in their own issues; today it
starts, owns its schema and answers health and metrics like every service."""
from common.observability import PlatformEndpoints
from common.store import DatabaseProvider


class TriageService(PlatformEndpoints):
    name = "triage"

    db = DatabaseProvider()
