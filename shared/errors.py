"""Errors a use case raises on purpose. They know nothing of HTTP: shared/http.py maps each kind to
its status code in one place, so domain modules and handlers stay free of web concerns."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `field` names the input at fault, if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


class Invalid(DomainError):
    """The input breaks a rule (422)."""


class NotFound(DomainError):
    """No such thing, or not visible to this caller (404)."""


class Conflict(DomainError):
    """The request conflicts with the current state (409)."""


class Unauthenticated(DomainError):
    """No credential, or one nobody issued (401)."""


class Forbidden(DomainError):
    """A valid credential, but not for this resource (403)."""


class TooManyRequests(DomainError):
    """The caller must wait `retry_after_s` seconds (429)."""

    def __init__(self, message: str, *, retry_after_s: float, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after_s = retry_after_s
