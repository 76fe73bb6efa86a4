"""One validated settings object per service, read from the environment (docs/architecture.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("directory", "events", "wifi", "notifications")
DEFAULT_PORTS = {"directory": 8001, "events": 8002, "wifi": 8003, "notifications": 8004}
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "operator", "token"}


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Settings shared by all services, read from unprefixed variables (docs/architecture.md)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias=_env("HALLOBOT_ENV")
    )
    nats_url: str = Field("nats://127.0.0.1:4222", validation_alias=_env("NATS_URL"))
    data_dir: Path = Field(Path("./var"), validation_alias=_env("HALLOBOT_DATA_DIR"))
    operator_token: SecretStr | None = Field(None, validation_alias=_env("HALLOBOT_OPERATOR_TOKEN"))
    smtp_host: str | None = Field(None, validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(1025, validation_alias=_env("SMTP_PORT"))
    log_level: str = Field("INFO", validation_alias=_env("HALLOBOT_LOG_LEVEL"))
    stream_replicas: int = Field(1, ge=1, le=5, validation_alias=_env("HALLOBOT_STREAM_REPLICAS"))
    # Every HTTP request body (shared/http_guard.py): larger is a 413, before it is read.
    max_body_bytes: int = Field(1_048_576, ge=1024, validation_alias=_env("HALLOBOT_MAX_BODY_BYTES"))

    # Delivery tuning: how often a failing handler is tried and how long to wait between tries.
    consumer_max_deliver: int = Field(5, ge=1, validation_alias=_env("HALLOBOT_CONSUMER_MAX_DELIVER"))
    consumer_backoff_s: list[float] = Field(
        [1.0, 5.0, 30.0, 120.0], validation_alias=_env("HALLOBOT_CONSUMER_BACKOFF_S")
    )
    consumer_ack_wait_s: float = Field(30.0, gt=0, validation_alias=_env("HALLOBOT_CONSUMER_ACK_WAIT_S"))
    graceful_timeout_s: float = Field(10.0, ge=0, validation_alias=_env("HALLOBOT_GRACEFUL_TIMEOUT_S"))
    relay_poll_interval_s: float = Field(1.0, gt=0, validation_alias=_env("HALLOBOT_RELAY_POLL_INTERVAL_S"))
    # At start-up a service waits this long for NATS (it may start later), then exits with one
    # sentence so that its supervisor restarts it; SIGTERM is only heard once start-up is over.
    nats_connect_timeout_s: float = Field(60.0, gt=0, validation_alias=_env("HALLOBOT_NATS_CONNECT_TIMEOUT_S"))

    def nats_servers(self) -> list[str]:
        """NATS_URL may list several servers of a cluster, comma-separated; each keeps its credentials
        (servers the cluster advertises would not, so failover goes through this list)."""
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]

    @model_validator(mode="after")
    def _refuse_placeholder_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            token = self.operator_token.get_secret_value() if self.operator_token else ""
            if token.strip().lower() in PLACEHOLDER_SECRETS or len(token) < 16:
                raise ValueError("HALLOBOT_OPERATOR_TOKEN must be set to a real secret (16+ characters) in production")
        return self


class ServiceSettings(Settings):
    """Settings of one service. Each service subclasses it in its config.py with its own prefix
    (`EVENTS_…`), so that `<SERVICE>_DATABASE_URL` and the service's own options are read there;
    the shared options above keep their unprefixed names. Created once, in the service's app.py."""

    service: str
    database_url: str | None = None

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / f'{self.service}.sqlite3').resolve()}"


def scoped(service: str) -> SettingsConfigDict:
    """The model_config of a service's settings class: its prefix, unknown variables ignored."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    return SettingsConfigDict(env_prefix=f"{service.upper()}_", extra="ignore", populate_by_name=True)
