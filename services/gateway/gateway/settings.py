"""Gateway settings from the environment; secrets are required and may not be placeholders."""
from __future__ import annotations

from pydantic import Field, field_validator

from common.settings import CommonSettings, reject_placeholder


class GatewaySettings(CommonSettings):
    database_url: str
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    api_key_pepper: str = Field(min_length=16)
    webhook_signing_secret: str = Field(min_length=16)
    max_body_bytes: int = Field(1_048_576, ge=1024)
    # Inbound webhooks only: an email forwarded with its attachments (SendGrid's own limit is 30 MB).
    inbound_max_body_bytes: int = Field(31_457_280, ge=1024)
    rate_limit_per_second: float = Field(200.0, gt=0)
    rate_limit_burst: int = Field(400, ge=1)
    idempotency_ttl_s: int = Field(24 * 3600, ge=1)
    # How often expired idempotency records are deleted (each replica; they skip each other's rows).
    idempotency_purge_interval_s: float = Field(600.0, gt=0)
    auth_cache_ttl_s: float = Field(30.0, ge=0)
    db_pool_size: int = Field(20, ge=1)

    @field_validator("database_url")
    @classmethod
    def _db(cls, v: str) -> str:
        return reject_placeholder(v, "DATABASE_URL")

    @field_validator("api_key_pepper")
    @classmethod
    def _pepper(cls, v: str) -> str:
        return reject_placeholder(v, "API_KEY_PEPPER")

    @field_validator("webhook_signing_secret")
    @classmethod
    def _webhook(cls, v: str) -> str:
        return reject_placeholder(v, "WEBHOOK_SIGNING_SECRET")
