"""Settings of the notifications service's providers (environment; local defaults work offline)."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # SMTP (local default: the SMTP sink process that `make run` starts)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_s: float = Field(20.0, gt=0)  # per socket operation; the whole attempt is bounded by the lease
    smtp_pool_size: int = Field(8, ge=1)
    # A connection idle longer than this is asked (NOOP) whether the server still has it before a send.
    smtp_probe_idle_s: float = Field(5.0, ge=0)
    # Where an unknown outcome is looked up by Message-ID (the sink's HTTP API or a provider's message
    # search); empty: no look-up, the message is sent again with the same Message-ID.
    smtp_lookup_url: str = "http://127.0.0.1:8026"
    bounce_address: str = "bounces@followup.local"
    message_id_domain: str = "followup.local"
    default_from: str = "no-reply@followup.local"
    # HTTP providers (local default: the provider stub process)
    sms_provider: str = "twilio"
    sms_base_url: str = "http://127.0.0.1:8027"
    sms_account_sid: str = "AC00000000000000000000000000000000"
    sms_auth_token: str = "local-stub-token"
    sms_from: str = "+15005550006"
    letter_provider: str = "lob"
    letter_base_url: str = "http://127.0.0.1:8027"
    letter_api_key: str = "test_local_stub_key"
    provider_timeout_s: float = Field(10.0, gt=0)
    # Where recipients' clients reach the gateway (pixel, click links) and providers post callbacks.
    public_base_url: str = "http://127.0.0.1:8000"
    # Sending: due sends of one tenant are taken a batch at a time (two transactions per batch). A batch
    # starts no call later than its deadline after the claim, and every attempt is cut off this share of
    # the timer lease before it ends (12 s of 60): a replica taking over never races a call on the wire.
    send_batch_size: int = Field(50, ge=1)
    send_batch_deadline_s: float = Field(30.0, gt=0)
    send_lease_margin_share: float = Field(0.2, gt=0, lt=1)
    # Retries of provider errors (E3)
    send_max_attempts: int = Field(5, ge=1)
    send_retry_base_s: float = Field(2.0, ge=0)
    send_retry_cap_s: float = Field(600.0, gt=0)
    # Rate limits (sends per second), shared by all replicas: per tenant (all channels) and per provider
    tenant_rate_per_s: float = Field(200.0, gt=0)
    provider_rate_per_s: float = Field(1000.0, gt=0)


def load() -> NotificationSettings:
    return NotificationSettings()
