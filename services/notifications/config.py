"""The notifications service's one settings object: the shared options and its own (NOTIFICATIONS_…)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from services.notifications.accounts_domain import LoginPolicy, SessionPolicy
from shared.config import ServiceSettings, development_secret, scoped, secret_problem
from shared.ratelimit import MAX_WINDOW_S, Limit

# Where a development setup keeps its generated key (in HALLOBOT_DATA_DIR, mode 0600).
SECRET_KEY_FILE = "notifications-secret.key"
MIN_KEY_LENGTH = 32


class NotificationsSettings(ServiceSettings):
    model_config = scoped("notifications")

    service: Literal["notifications"] = "notifications"
    mail_from: str = "HalloBot Bottrop <noreply@hallo-bot.de>"
    # Built-in recipients: the office (Amt für Wirtschaftsförderung), comma-separated addresses.
    operator_emails: str = ""
    operator_language: str = "de"
    # Where business owners ask for a new edit link (named in their mails); default: the first operator address.
    owner_contact: str = ""
    # Keys the HMAC that pseudonymises recipients and signs confirm/unsubscribe links. Required in
    # production (32+ random characters); unset elsewhere, a random key is made once and kept in the
    # data dir, so that no key in the source can forge a link.
    secret_key: SecretStr = SecretStr("")

    sender_poll_s: float = Field(0.5, gt=0)
    # Rows claimed per step, shared out over the connections (each claims batch ÷ connections at a
    # time): fewer claims, fewer turns at SQLite's one write lock (50 → 200: bench mail 0.6 → 0.7+).
    sender_batch: int = Field(200, ge=1)
    # Concurrent SMTP connections, each with its own claims. 8 (not 4): each mail waits on the busy
    # event loop for its SMTP round trips and its mark, so more connections keep the loop fed, and
    # their marks share commits (bench/notify.py: 0.58-0.66 of a raw loop with 4, 0.73-0.88 with 8).
    sender_connections: int = Field(8, ge=1)
    # Accepted mails are marked sent this many at a time (per connection): the crash window
    # (mails the server took but we did not mark, sent again with the same Message-ID) is one batch.
    # 1 by default: "never the same mail twice" comes before throughput (the kill tests caught a
    # double mail with 20); raise it only where the receiving side drops copies by Message-ID.
    mark_sent_batch: int = Field(1, ge=1)
    # A commit of marks waits at most this long for every sending connection's mark (mail_sender.SentMarks):
    # one commit for all connections instead of one per ~4 marks (bench/notify.py, 8 connections: CPU per
    # mail 6.0-6.7 → 4.3-4.9 ms, mail ÷ raw 0.54-0.58 → 0.62-0.70). 0: commit what has arrived at once.
    mark_gather_s: float = Field(0.03, ge=0)
    smtp_timeout_s: float = Field(10.0, gt=0)
    mail_max_attempts: int = Field(8, ge=1)
    # Retry n waits backoff_base_s * 2**(n-1), at most backoff_max_s.
    backoff_base_s: float = Field(2.0, gt=0)
    backoff_max_s: float = Field(900.0, gt=0)
    # A row left in 'sending' this long belongs to a crashed sender and is tried again.
    sending_lease_s: float = Field(300.0, gt=0)

    webhook_timeout_s: float = Field(5.0, gt=0)
    webhook_max_attempts: int = Field(8, ge=1)
    # Consecutive failed attempts after which a webhook endpoint is disabled.
    webhook_disable_after: int = Field(20, ge=1)
    # Hosts or CIDR ranges on private networks that webhooks may reach (besides the operator's list).
    webhook_allowlist: str = ""

    # GET /feed: open connections per instance (beyond: 503 with Retry-After; the bench holds 5,000),
    # and how far back a reconnect is replayed, in events per stream (an older Last-Event-ID, or
    # 0-0-0-0, starts this far back: never all history).
    feed_max_clients: int = Field(10_000, ge=1)
    feed_replay_limit: int = Field(1_000, ge=0)
    # Subscription requests per client address and window; at most one confirmation mail per
    # address and window (more requests in it are answered alike and send nothing). Across instances.
    subscription_limit: int = Field(10, ge=1)
    subscription_window_s: float = Field(3600.0, gt=0, le=MAX_WINDOW_S)
    confirmation_window_s: float = Field(3600.0, gt=0, le=MAX_WINDOW_S)
    # A confirmation link works this long; then the page offers a new one (sent again to the address).
    confirmation_link_days: float = Field(7.0, gt=0)

    # The console's operator accounts (accounts_domain.py): after the n-th failed login in a row the
    # next attempt waits login_delay_base_s·2^(n-1) s (at most _max_s); login_max_failures in a row
    # lock the account for login_lockout_s. Sessions end after session_idle_s without a page of
    # the console, and session_max_s after the login in any case. Password-reset links work
    # reset_link_s once. The reconcile job rewrites the credential index every credentials_reconcile_s.
    login_delay_base_s: float = Field(1.0, ge=0)
    login_delay_max_s: float = Field(30.0, ge=0)
    login_max_failures: int = Field(5, ge=1)
    login_lockout_s: float = Field(900.0, gt=0)
    login_limit: int = Field(60, ge=1)  # login attempts per client address and hour, over all accounts
    session_idle_s: float = Field(8 * 3600.0, gt=0)
    session_max_s: float = Field(12 * 3600.0, gt=0)
    reset_link_s: float = Field(3600.0, gt=0)
    credentials_reconcile_s: float = Field(300.0, gt=0)

    digest_hour: int = Field(7, ge=0, le=23)  # Europe/Berlin
    keep_deliveries_days: int = Field(90, ge=1)

    @model_validator(mode="after")
    def _a_secret_key(self) -> NotificationsSettings:
        key = self.secret_key.get_secret_value()
        if self.environment == "production":
            if problem := secret_problem(key, min_length=MIN_KEY_LENGTH):
                raise ValueError(
                    f"NOTIFICATIONS_SECRET_KEY {problem}: production needs a random key ({MIN_KEY_LENGTH}+ characters)"
                )
        elif not key.strip():
            self.secret_key = SecretStr(development_secret(self.data_dir / SECRET_KEY_FILE))
        elif secret_problem(key, min_length=1) == "is a placeholder":
            raise ValueError("NOTIFICATIONS_SECRET_KEY is a placeholder (leave it unset outside production)")
        return self

    @model_validator(mode="after")
    def _a_mail_relay_in_production(self) -> NotificationsSettings:
        """Production sends mail only through a relay named on purpose: without SMTP_HOST the service
        would try 127.0.0.1 and every mail would fail one by one, long after the start."""
        if self.environment == "production" and not (self.smtp_host or "").strip():
            raise ValueError(
                "SMTP_HOST is missing: production sends mail through the mail relay you name there "
                "(for a trial with compose: `--profile dev` and SMTP_HOST=mailpit)"
            )
        return self

    @property
    def subscription_rate(self) -> Limit:
        return Limit("notifications-subscriptions-per-client", self.subscription_limit, self.subscription_window_s)

    @property
    def confirmation_rate(self) -> Limit:
        return Limit("notifications-confirmation-mails-per-address", 1, self.confirmation_window_s)

    @property
    def login_policy(self) -> LoginPolicy:
        return LoginPolicy(
            self.login_delay_base_s,
            self.login_delay_max_s,
            self.login_max_failures,
            timedelta(seconds=self.login_lockout_s),
        )

    @property
    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(timedelta(seconds=self.session_idle_s), timedelta(seconds=self.session_max_s))

    @property
    def login_rate(self) -> Limit:
        """Login attempts per client address (besides the per-account delay and lock)."""
        return Limit("notifications-logins-per-client", self.login_limit, 3600.0)

    @property
    def reset_rate(self) -> Limit:
        return Limit("notifications-password-resets-per-client", self.subscription_limit, self.subscription_window_s)

    def operators(self) -> list[str]:
        return [address.strip() for address in self.operator_emails.split(",") if address.strip()]

    def owner_help(self) -> str:
        return self.owner_contact.strip() or next(iter(self.operators()), "")

    def allowlist(self) -> list[str]:
        return [entry.strip() for entry in self.webhook_allowlist.split(",") if entry.strip()]
