"""Process settings from the environment (pydantic-settings).

A process refuses to start on a missing secret or on a placeholder left in
from an example file: failing at boot beats failing on the first request.
"""
from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = {"", "changeme", "change-me", "change_me", "secret", "placeholder", "xxx", "todo"}

SERVICE_HTTP_PORTS = {
    "tasks": 8101,
    "triage": 8102,
    "workflows": 8103,
    "notifications": 8104,
    "orders": 8105,
}
SERVICES = tuple(SERVICE_HTTP_PORTS)


def reject_placeholder(value: str, name: str) -> str:
    if value.strip().lower() in PLACEHOLDERS or value.strip().lower().startswith("<"):
        raise ValueError(f"{name} is unset or still a placeholder; set a real secret")
    return value


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    log_level: str = "INFO"
    rpc_timeout_s: float = Field(10.0, gt=0)


class ServiceSettings(CommonSettings):
    """Settings of a nameko service process."""

    service_name: str
    database_url: str
    http_port: int = 0
    max_workers: int = Field(10, ge=1, le=500)
    # Database connections per process; default max_workers + 4 (no worker waits). A service whose workers
    # mostly wait on something else (triage: the model) needs far fewer than it has workers.
    db_pool_size: int | None = Field(None, ge=1, le=200)
    shutdown_grace_s: float = Field(20.0, gt=0)
    # Event handler failures: attempts before the message goes to its dead-letter queue.
    dlq_max_attempts: int = Field(5, ge=1)
    retry_base_delay_ms: int = Field(500, ge=0)
    dlq_depth_interval_s: float = Field(15.0, gt=0)
    outbox_poll_interval_s: float = Field(0.5, gt=0)
    # An idle relay backs off to this (commits in the same process wake it at once, whatever the wait).
    outbox_idle_poll_max_s: float = Field(5.0, gt=0)
    outbox_batch_size: int = Field(200, ge=1)
    # Test hook: a relay that is off leaves committed events in the outbox (crash-window tests).
    outbox_relay_enabled: bool = True
    # Applied event ids and idempotency keys are kept this long: a dead letter replayed later than this
    # would be taken for new.
    inbox_retention_days: float = Field(30.0, gt=0)
    timer_poll_interval_s: float = Field(1.0, gt=0)
    timer_batch_size: int = Field(100, ge=1)
    # How long a claimed timer stays with its replica: a replica that died releases its rows after this.
    timer_lease_s: int = Field(60, ge=1)

    @field_validator("database_url")
    @classmethod
    def _database_url_set(cls, v: str) -> str:
        return reject_placeholder(v, "DATABASE_URL")

    def http_port_or_default(self) -> int:
        return self.http_port or SERVICE_HTTP_PORTS.get(self.service_name, 0)

    def nameko_config(self) -> dict:
        return {
            "AMQP_URI": self.amqp_uri,
            "max_workers": self.max_workers,
            "WEB_SERVER_ADDRESS": f"0.0.0.0:{self.http_port_or_default()}",
            "serializer": "json",
            # Reconnect forever with a cap, rather than nameko's default of giving up after 3 tries.
            "TRANSPORT_OPTIONS": {"max_retries": None, "interval_start": 0.5, "interval_step": 1, "interval_max": 5},
            "HEARTBEAT": 30,
        }


# Per-service defaults where the platform's do not fit; the environment still wins (MAX_WORKERS=...).
# triage waits on model calls (~0.5 s each): 50 green workers keep 40+ messages/s in flight per process.
SERVICE_DEFAULTS: dict[str, dict] = {"triage": {"max_workers": 50, "db_pool_size": 10}}


def load_service_settings(service_name: str) -> ServiceSettings:
    import os

    defaults = {k: v for k, v in SERVICE_DEFAULTS.get(service_name, {}).items() if k.upper() not in os.environ}
    return ServiceSettings(service_name=service_name, **defaults)
