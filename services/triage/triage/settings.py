"""Settings of the AI side of triage (X7): which model, how long to wait, when to stop asking it."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # No key: the local classifier decides everything (the default; works offline).
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    # Per attempt; the openai client retries timeouts, 429 and 5xx up to ai_max_retries times with backoff.
    ai_timeout_s: float = Field(8.0, gt=0)
    ai_max_retries: int = Field(1, ge=0, le=5)
    # Consecutive failures that open the circuit, and how long it stays open before one probe.
    ai_breaker_failures: int = Field(5, ge=1)
    ai_breaker_reset_s: float = Field(30.0, gt=0)

    @property
    def model_enabled(self) -> bool:
        return bool(self.openai_api_key and self.openai_api_key.strip())
