"""The rules of operator accounts, pure: passwords, the growing delay and lockout after failed
logins, how long a session lives. No I/O; errors are shared.errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.console.roles import is_role
from shared.errors import Invalid, TooManyRequests
from shared.web.i18n import N_

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200  # Argon2 takes any length; this bounds the work one request may cause
WRONG_LOGIN = N_("E-Mail-Adresse oder Passwort stimmen nicht.")
LOCKED = N_("Zu viele Fehlversuche. Das Konto ist vorübergehend gesperrt; bitte versuchen Sie es später noch einmal.")
WAIT = N_("Bitte warten Sie einen Moment, bevor Sie es noch einmal versuchen.")


@dataclass(frozen=True)
class LoginPolicy:
    """From the settings: the delay after the n-th failure is base·2^(n-1) (at most max), and after
    `max_failures` failures in a row the account is locked for `lockout`."""

    delay_base_s: float = 1.0
    delay_max_s: float = 30.0
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)

    def delay_after(self, failures: int) -> timedelta:
        if failures <= 0:
            return timedelta(0)
        return timedelta(seconds=min(self.delay_base_s * 2 ** (failures - 1), self.delay_max_s))


@dataclass(frozen=True)
class LoginState:
    failed_logins: int
    last_failed_at: datetime | None
    locked_until: datetime | None


def check_attempt(state: LoginState, policy: LoginPolicy, now: datetime) -> None:
    """Before the password is checked at all: locked, or too soon after the last failure (429)."""
    if state.locked_until is not None and now < state.locked_until:
        raise TooManyRequests(LOCKED, retry_after_s=(state.locked_until - now).total_seconds())
    if state.last_failed_at is not None:
        ready = state.last_failed_at + policy.delay_after(state.failed_logins)
        if now < ready:
            raise TooManyRequests(WAIT, retry_after_s=(ready - now).total_seconds())


def after_failure(state: LoginState, policy: LoginPolicy, now: datetime) -> LoginState:
    """One more failure; the lock when it is the policy's last one (then the count starts over)."""
    failures = state.failed_logins + 1
    if failures >= policy.max_failures:
        return LoginState(0, now, now + policy.lockout)
    return LoginState(failures, now, state.locked_until)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(N_("Das Passwort muss mindestens 12 Zeichen lang sein."), field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(N_("Das Passwort ist zu lang."), field="password")
    return password


def check_role(role: str) -> str:
    if not is_role(role):
        raise Invalid(N_("Bitte wählen Sie eine Rolle aus der Liste."), field="role")
    return role


def normal_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(hours=8)
    absolute: timedelta = timedelta(hours=12)
    # how stale `seen_at` may get before a page refreshes it (and the index's `expires`)
    refresh_after: timedelta = timedelta(minutes=5)

    def expires(self, created_at: datetime, seen_at: datetime) -> datetime:
        return min(seen_at + self.idle, created_at + self.absolute)
