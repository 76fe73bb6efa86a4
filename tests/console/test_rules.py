"""The console's pure rules: what each role may reach, the growing delay and the lockout after
failed logins, how long a session lives, what a credential index entry must look like."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.accounts_domain import (
    LoginPolicy,
    LoginState,
    SessionPolicy,
    after_failure,
    check_attempt,
    check_password,
)
from shared.console.access import local_path, login_url, session_secret, sign_session
from shared.console.credentials import Credential
from shared.console.roles import AREAS, ROLE_AREAS, SERVICE_AREAS, Operator
from shared.errors import Invalid, TooManyRequests

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
POLICY = LoginPolicy(delay_base_s=1, delay_max_s=8, max_failures=5, lockout=timedelta(minutes=15))


def test_the_admin_reaches_every_area_and_only_the_admin_reaches_the_accounts():
    assert ROLE_AREAS["admin"] == frozenset(AREAS)
    assert [role for role, areas in ROLE_AREAS.items() if "accounts" in areas] == ["admin"]


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("office", {"directory", "events", "wifi", "deliveries", "monitor", "audit", "privacy"}, {"accounts"}),
        ("events", {"events"}, {"directory", "wifi", "deliveries", "monitor", "audit", "privacy", "accounts"}),
        ("wifi", {"wifi"}, {"directory", "events", "deliveries", "monitor", "audit", "privacy", "accounts"}),
    ],
)
def test_each_role_reaches_its_areas_and_no_other(role, allowed, refused):
    operator = Operator("a", role)
    assert {area for area in AREAS if operator.may(area)} == allowed
    assert not any(operator.may(area) for area in refused)


def test_every_service_names_the_area_its_operator_routes_need():
    assert SERVICE_AREAS == {
        "directory": "directory",
        "events": "events",
        "wifi": "wifi",
        "notifications": "deliveries",
    }
    assert not Operator("a", "admin").may("no such area")


def test_the_delay_after_each_failure_doubles_up_to_its_maximum():
    assert [POLICY.delay_after(n).total_seconds() for n in range(6)] == [0, 1, 2, 4, 8, 8]


def test_an_attempt_too_soon_after_a_failure_waits_and_one_after_the_delay_may_try():
    state = after_failure(LoginState(0, None, None), POLICY, NOW)
    state = after_failure(state, POLICY, NOW)  # two failures: the next waits 2 s
    with pytest.raises(TooManyRequests) as waiting:
        check_attempt(state, POLICY, NOW + timedelta(seconds=1))
    assert waiting.value.retry_after_s == pytest.approx(1)
    check_attempt(state, POLICY, NOW + timedelta(seconds=2))


def test_the_fifth_failure_in_a_row_locks_the_account_for_the_lockout_time():
    state = LoginState(0, None, None)
    for n in range(5):
        state = after_failure(state, POLICY, NOW + timedelta(minutes=n))
    assert state.locked_until == NOW + timedelta(minutes=4 + 15)
    with pytest.raises(TooManyRequests) as locked:
        check_attempt(state, POLICY, NOW + timedelta(minutes=18))
    assert "gesperrt" in locked.value.message
    check_attempt(state, POLICY, NOW + timedelta(minutes=19))  # the lock is over, the count starts again
    assert state.failed_logins == 0


def test_a_session_ends_after_its_idle_time_or_its_absolute_limit_whichever_comes_first():
    policy = SessionPolicy(idle=timedelta(hours=8), absolute=timedelta(hours=12))
    assert policy.expires(NOW, NOW) == NOW + timedelta(hours=8)
    assert policy.expires(NOW, NOW + timedelta(hours=6)) == NOW + timedelta(hours=12)


def test_a_short_password_is_refused_with_a_sentence_naming_the_field():
    with pytest.raises(Invalid) as short:
        check_password("elf zeichen")
    assert short.value.field == "password"
    assert check_password("zwölf zeichen") == "zwölf zeichen"


def test_an_index_entry_that_is_not_well_formed_is_no_credential():
    good = Credential("acc", "wifi", "token", None)
    assert Credential.from_json(good.to_json()) == good
    expiring = Credential("acc", "office", "session", NOW)
    assert Credential.from_json(expiring.to_json()) == expiring and not expiring.live(NOW)
    for raw in (
        b"",
        b"null",
        b'{"account": "a", "role": "root", "kind": "token", "expires": null}',
        b'{"account": "a", "role": "admin", "kind": "cookie", "expires": null}',
        b'{"account": "a", "role": "admin", "kind": "session", "expires": "2026-11-26T09:00:00"}',
    ):
        assert Credential.from_json(raw) is None, raw


class _Settings:
    def __init__(self, secret: str) -> None:
        from pydantic import SecretStr

        self.site_secret = SecretStr(secret)


def test_a_session_cookie_signed_under_another_secret_or_altered_is_refused():
    ours, theirs = _Settings("x" * 32), _Settings("y" * 32)
    cookie = sign_session(ours, "the-session-secret")
    assert session_secret(ours, cookie) == "the-session-secret"
    assert session_secret(ours, sign_session(theirs, "the-session-secret")) is None
    assert session_secret(ours, cookie.replace("the-session", "another")) is None
    assert session_secret(ours, "") is None


@pytest.mark.parametrize(
    ("asked", "goes_to"),
    [
        ("/verwaltung/wlan", "/verwaltung/wlan"),
        ("//evil.example/x", "/verwaltung"),
        ("https://evil.example/", "/verwaltung"),
        ("/\\evil.example", "/verwaltung"),
        ("", "/verwaltung"),
    ],
)
def test_after_the_login_only_a_path_of_this_site_is_followed(asked, goes_to):
    assert local_path(asked) == goes_to
    assert login_url(asked).startswith("/verwaltung/anmelden?weiter=/")
