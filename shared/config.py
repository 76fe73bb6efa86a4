"""One validated settings object per service, read from the environment (docs/architecture.md)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from shared.client_address import IPNetwork, parse_networks
from shared.secrets import MIN_SECRET_LENGTH, development_secret, secret_problem, url_password_problem, with_password
from shared.service_names import DEFAULT_PORTS, SERVICES

__all__ = [
    "DEFAULT_PORTS",
    "MIN_SECRET_LENGTH",
    "SERVICES",
    "development_secret",
    "secret_problem",
    "url_password_problem",
]
SITE_SECRET_FILE = "site-secret.key"  # in HALLOBOT_DATA_DIR, outside production


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


def variables_from_files(environ: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """For each of the settings' variable `names` not set itself: `NAME_FILE=/run/secrets/x` supplies it
    with the file's content (its last line break removed), as the official images of PostgreSQL and others
    do. Secrets mounted as files (compose secrets, Kubernetes secrets) stay out of the environment, where
    `docker inspect` and crash reports would show them. A file that cannot be read stops the start with
    its variable's name."""
    found: dict[str, str] = {}
    for name in names:
        path = environ.get(f"{name}_FILE")
        if path is None or name in environ:
            continue
        try:
            found[name] = Path(path).read_text(encoding="utf-8").removesuffix("\n")
        except OSError as exc:
            raise ValueError(f"{name}_FILE: cannot read {path!r} ({exc.strerror})") from None
    return found


class _EnvironmentWithFiles(EnvSettingsSource):
    """The environment, plus NAME from NAME_FILE for each variable these settings read."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        names = {f"{self.env_prefix}{name}".upper() for name in self.settings_cls.model_fields}
        for field in self.settings_cls.model_fields.values():
            if isinstance(field.validation_alias, AliasChoices):
                names.update(name.upper() for name in field.validation_alias.choices if isinstance(name, str))
        environ = {**variables_from_files(os.environ, sorted(names)), **os.environ}
        return parse_env_vars(environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


class Settings(BaseSettings):
    """Settings shared by all services, read from unprefixed variables (docs/architecture.md)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _EnvironmentWithFiles(settings_cls), dotenv_settings, file_secret_settings

    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias=_env("HALLOBOT_ENV")
    )
    nats_url: str = Field("nats://127.0.0.1:4222", validation_alias=_env("NATS_URL"))
    # The password of the user NATS_URL names (`tls://wifi@nats:4222`), kept out of the URL so that it
    # can come from a secret file (NATS_PASSWORD_FILE) while the address stays a plain setting.
    nats_password: SecretStr | None = Field(None, validation_alias=_env("NATS_PASSWORD"))
    data_dir: Path = Field(Path("./var"), validation_alias=_env("HALLOBOT_DATA_DIR"))
    operator_token: SecretStr | None = Field(None, validation_alias=_env("HALLOBOT_OPERATOR_TOKEN"))
    smtp_host: str | None = Field(None, validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(1025, validation_alias=_env("SMTP_PORT"))
    # none | starttls (upgrade after connecting; refused if the server does not offer it) | implicit
    # (TLS from the first byte, usually port 465). Unset: starttls in production, none elsewhere.
    smtp_tls: Literal["none", "starttls", "implicit"] | None = Field(None, validation_alias=_env("SMTP_TLS"))
    smtp_username: str | None = Field(None, validation_alias=_env("SMTP_USERNAME"))
    smtp_password: SecretStr | None = Field(None, validation_alias=_env("SMTP_PASSWORD"))
    # CA certificates (PEM) that verify the SMTP server besides the system's, e.g. the city's own CA.
    smtp_ca_file: Path | None = Field(None, validation_alias=_env("SMTP_CA_FILE"))
    log_level: str = Field("INFO", validation_alias=_env("HALLOBOT_LOG_LEVEL"))
    # Traces (shared/tracing.py): OTLP over HTTP to this base URL (e.g. http://otel-collector:4318);
    # unset or empty, no traces at all. The OpenTelemetry SDK's other OTEL_* variables apply as usual.
    otel_exporter_otlp_endpoint: str | None = Field(None, validation_alias=_env("OTEL_EXPORTER_OTLP_ENDPOINT"))
    stream_replicas: int = Field(1, ge=1, le=5, validation_alias=_env("HALLOBOT_STREAM_REPLICAS"))
    # Every HTTP request body (shared/http_guard.py): larger is a 413, before it is read.
    max_body_bytes: int = Field(1_048_576, ge=1024, validation_alias=_env("HALLOBOT_MAX_BODY_BYTES"))

    # Delivery tuning: how often a failing handler is tried and how long to wait between tries.
    consumer_max_deliver: int = Field(5, ge=1, validation_alias=_env("HALLOBOT_CONSUMER_MAX_DELIVER"))
    consumer_backoff_s: list[float] = Field(
        [1.0, 5.0, 30.0, 120.0], validation_alias=_env("HALLOBOT_CONSUMER_BACKOFF_S")
    )
    consumer_ack_wait_s: float = Field(30.0, gt=0, validation_alias=_env("HALLOBOT_CONSUMER_ACK_WAIT_S"))
    # How often each durable consumer's backlog is read from the server for the lag gauges.
    consumer_lag_interval_s: float = Field(15.0, gt=0, validation_alias=_env("HALLOBOT_CONSUMER_LAG_INTERVAL_S"))
    graceful_timeout_s: float = Field(10.0, ge=0, validation_alias=_env("HALLOBOT_GRACEFUL_TIMEOUT_S"))
    relay_poll_interval_s: float = Field(1.0, gt=0, validation_alias=_env("HALLOBOT_RELAY_POLL_INTERVAL_S"))
    # Outbox rows the relay has in flight before it waits for their PubAcks (docs/architecture.md,
    # "Relay"); 1 waits for each PubAck before the next publish (the relay before #19).
    relay_window: int = Field(2000, ge=1, le=4000, validation_alias=_env("HALLOBOT_RELAY_WINDOW"))
    # At start-up a service waits this long for NATS (it may start later), then exits with one
    # sentence so that its supervisor restarts it; SIGTERM is only heard once start-up is over.
    nats_connect_timeout_s: float = Field(60.0, gt=0, validation_alias=_env("HALLOBOT_NATS_CONNECT_TIMEOUT_S"))
    # Replies (JetStream API answers, pulled messages) arrive on <prefix>.<random>; on deploy/'s
    # accounts each service may subscribe to its own prefix only (docs/security/nats.md).
    nats_inbox_prefix: str = Field(
        "_INBOX", pattern=r"^[A-Za-z0-9_-]+$", validation_alias=_env("HALLOBOT_NATS_INBOX_PREFIX")
    )
    # The CA that signed the NATS server's certificate (tls:// URLs); unset: the system's CAs.
    nats_ca_file: Path | None = Field(None, validation_alias=_env("HALLOBOT_NATS_CA_FILE"))
    # /metrics and the detailed readiness listen here, never on the public port; no port, no listener.
    internal_host: str = Field("127.0.0.1", validation_alias=_env("HALLOBOT_INTERNAL_HOST"))
    internal_port: int | None = Field(None, ge=1, le=65535, validation_alias=_env("HALLOBOT_INTERNAL_PORT"))
    # Reverse proxies whose X-Forwarded-For is believed (CIDRs, comma-separated; none by default):
    # shared/client_address.py. Rate limits count per client address, so set it behind a proxy.
    trusted_proxies: str = Field("", validation_alias=_env("HALLOBOT_TRUSTED_PROXIES"))
    # The website (shared/web/): the front door's address, the base of every link in a mail and on
    # a page; and the key that signs the form (CSRF) and page-session cookies of all services behind
    # it. Unset outside production: a random key kept in the data dir (the same for every service).
    site_url: str = Field("http://127.0.0.1:8000", validation_alias=_env("HALLOBOT_SITE_URL"))
    site_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("HALLOBOT_SITE_SECRET"))
    _proxy_networks: tuple[IPNetwork, ...] = PrivateAttr(default=())

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        parse_networks(value)  # a ValueError names the entry
        return value

    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return self._proxy_networks

    def model_post_init(self, context: object, /) -> None:
        self._proxy_networks = parse_networks(self.trusted_proxies)
        if self.environment != "production" and not self.site_secret.get_secret_value().strip():
            self.site_secret = SecretStr(development_secret(self.data_dir / SITE_SECRET_FILE))

    def link(self, path: str) -> str:
        """An address on the website for a mail or a page, e.g. link("/verzeichnis/eintrag")."""
        return self.site_url.rstrip("/") + "/" + path.lstrip("/")

    def nats_servers(self) -> list[str]:
        """NATS_URL may list several servers of a cluster, comma-separated; each keeps its credentials
        (servers the cluster advertises would not, so failover goes through this list). NATS_PASSWORD
        fills in the password of each URL that names a user without one."""
        password = self.nats_password.get_secret_value() if self.nats_password else None
        return [with_password(url.strip(), password) for url in self.nats_url.split(",") if url.strip()]

    @field_validator("smtp_tls", "smtp_username", "smtp_password", "smtp_ca_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    def smtp_security(self) -> Literal["none", "starttls", "implicit"]:
        """SMTP_TLS, or its default: starttls in production, none elsewhere (the local mail sink)."""
        if self.smtp_tls is not None:
            return self.smtp_tls
        return "starttls" if self.environment == "production" else "none"

    @model_validator(mode="after")
    def _refuse_weak_secrets_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        token = self.operator_token.get_secret_value() if self.operator_token else None
        if problem := secret_problem(token):
            raise ValueError(f"HALLOBOT_OPERATOR_TOKEN {problem}: production needs a random secret (16+ characters)")
        if problem := secret_problem(self.site_secret.get_secret_value(), min_length=32):
            raise ValueError(f"HALLOBOT_SITE_SECRET {problem}: production needs a random key (32+ characters)")
        if self.nats_password is not None and (problem := secret_problem(self.nats_password.get_secret_value())):
            raise ValueError(f"NATS_PASSWORD {problem}: production needs a random one")
        for server in self.nats_servers():
            if problem := url_password_problem(server):
                raise ValueError(
                    f"the password in NATS_URL (or NATS_PASSWORD) {problem}: production needs a random one"
                )
        if self.smtp_username is not None:
            password = self.smtp_password.get_secret_value() if self.smtp_password else None
            if password is None or not password.strip():
                raise ValueError("SMTP_USERNAME is set but SMTP_PASSWORD is missing")
            if secret_problem(password, min_length=1) == "is a placeholder":
                raise ValueError("SMTP_PASSWORD is a placeholder")
            if self.smtp_security() == "none":
                raise ValueError("SMTP_USERNAME needs SMTP_TLS starttls or implicit in production (no login in clear)")
        return self


class ServiceSettings(Settings):
    """Settings of one service. Each service subclasses it in its config.py with its own prefix
    (`EVENTS_…`), so that `<SERVICE>_DATABASE_URL` and the service's own options are read there;
    the shared options above keep their unprefixed names. Created once, in the service's app.py."""

    service: str
    database_url: str | None = None
    # The password of the role <SERVICE>_DATABASE_URL names (`postgresql://wifi@postgres/wifi`), from
    # <SERVICE>_DATABASE_PASSWORD or, as a secret file, <SERVICE>_DATABASE_PASSWORD_FILE.
    database_password: SecretStr | None = None

    @model_validator(mode="after")
    def _refuse_a_weak_database_password_in_production(self) -> ServiceSettings:
        if self.environment != "production":
            return self
        if self.database_password is not None and (
            problem := secret_problem(self.database_password.get_secret_value())
        ):
            raise ValueError(f"{self.service.upper()}_DATABASE_PASSWORD {problem}: production needs a random one")
        if problem := url_password_problem(self.resolved_database_url()):
            raise ValueError(
                f"the password in {self.service.upper()}_DATABASE_URL (or {self.service.upper()}_DATABASE_PASSWORD)"
                f" {problem}: production needs a random one"
            )
        return self

    def resolved_database_url(self) -> str:
        if self.database_url:
            password = self.database_password.get_secret_value() if self.database_password else None
            return with_password(self.database_url, password)
        return f"sqlite:///{(self.data_dir / f'{self.service}.sqlite3').resolve()}"


def scoped(service: str) -> SettingsConfigDict:
    """The model_config of a service's settings class: its prefix, unknown variables ignored."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    return SettingsConfigDict(env_prefix=f"{service.upper()}_", extra="ignore", populate_by_name=True)
