"""Dead letters replayed from the console against the whole system as processes (tests/support/system.py):
the notifications database refuses the office's mail about a self-registration (a trigger stands in
for a full disk or a faulty migration), so notifications-directory gives up and dead-letters the
event. Once the cause is gone, a replay from the API and one from the page (HTTP, with CSRF) are
each handled exactly once: one delivery row, one mail; a second replay or a duplicate request does
nothing, the consumer goes on, and a replay while the cause is still there is a dead letter again.
The page is the office's: a console session of an office account (a real login), which the replay
names; without a session it sends to the login, a role without the area "deliveries" gets 403."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import uuid

import httpx
import pytest

from shared.console.access import SESSION_COOKIE
from shared.consumer.replay import replay_request
from tests.support.console import console_session, logged_in_cookie
from tests.support.system import OFFICE_EMAIL, OPERATOR, System, shared_system, wait_until

CONSUMER = "notifications-directory"
REGISTERED = "directory.business.registered"


@pytest.fixture(scope="module")
def system(tmp_path_factory, pytestconfig) -> System:
    return shared_system(tmp_path_factory, pytestconfig)


@pytest.fixture(scope="module")
def office(system) -> dict:
    """An office account, logged in once for the module: its id and session cookie."""
    return logged_in_cookie(system.url("notifications"), OPERATOR, "office")


def console(system: System, cookie: str) -> httpx.Client:
    """A browser of the office on notifications' console pages (its session cookie, no bearer token)."""
    return httpx.Client(base_url=system.url("notifications"), timeout=30, cookies={SESSION_COOKIE: cookie})


class Refusal:
    """The notifications database refuses the office's mail about self-registrations while it is on."""

    def __init__(self, system: System) -> None:
        self.path = system.data_dir / "notifications.sqlite3"
        self.name = f"refuse_{uuid.uuid4().hex[:8]}"

    def _run(self, sql: str) -> None:
        with sqlite3.connect(self.path, timeout=30) as conn:
            conn.execute(sql)

    def on(self) -> None:
        self._run(
            f"CREATE TRIGGER {self.name} BEFORE INSERT ON deliveries "
            f"WHEN NEW.event_type = '{REGISTERED}' AND NEW.template = 'notification' "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )

    def off(self) -> None:
        self._run(f"DROP TRIGGER IF EXISTS {self.name}")


def self_register(system: System) -> str:
    with system.client("directory") as client:
        answer = client.post("/businesses", json={"name": f"Replay {uuid.uuid4().hex[:6]}", "category": "handwerk"})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def letters(system: System) -> list[dict]:
    with system.client("notifications") as client:
        answer = client.get("/dead-letters", params={"consumer": CONSUMER}, headers=OPERATOR)
    assert answer.status_code == 200, answer.text
    return answer.json()


def letter_of(system: System, business_id: str, *, replay_of: int | None = None) -> dict:
    def found():
        for letter in letters(system):
            if letter["subject"].endswith(business_id) and letter["replay_of"] == replay_of:
                return letter
        return None

    letter = wait_until(found, timeout=60)
    assert letter, system.logs("notifications")
    return letter


def outcome(system: System, seq: int, expected: str) -> dict:
    def done():
        letter = next((item for item in letters(system) if item["seq"] == seq), None)
        replays = letter["replays"] if letter else []
        return letter if replays and replays[-1]["outcome"] == expected else None

    letter = wait_until(done, timeout=60)
    assert letter, system.logs("notifications")
    return letter


def office_mails(system: System, event_id: str) -> tuple[list[tuple], int]:
    """(delivery rows of the office's mail about the event, mails the SMTP server got for them)."""
    rows = system.query(
        "notifications",
        "SELECT id, status FROM deliveries WHERE event_id = ? AND recipient = ?",
        event_id,
        OFFICE_EMAIL,
    )
    ids = {row[0] for row in rows}
    mails = [m for m in system.smtp.to(OFFICE_EMAIL) if any(i in (m["Message-ID"] or "") for i in ids)]
    return rows, len(mails)


def sent_once(system: System, event_id: str) -> bool:
    rows, mails = office_mails(system, event_id)
    return len(rows) == 1 and rows[0][1] == "sent" and mails == 1


def page_replay(system: System, seq: int, cookie: str):
    with console(system, cookie) as client:
        page = client.get("/verwaltung/zustellungen")
        assert page.status_code == 200, page.text
        assert "Erneut verarbeiten" in page.text and f">{CONSUMER}<" not in page.text  # never shown as text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        refused = client.post(f"/verwaltung/zustellungen/nachrichten/{seq}/erneut", data={})
        assert refused.status_code == 403  # no form token
        return client.post(f"/verwaltung/zustellungen/nachrichten/{seq}/erneut", data={"csrf_token": token[1]})


def test_a_dead_letter_replayed_from_the_page_after_the_fix_is_mailed_exactly_once(system, office):
    refusal = Refusal(system)
    refusal.on()
    try:
        business = self_register(system)
        letter = letter_of(system, business)
    finally:
        refusal.off()
    assert letter["attempts"] == 5 and letter["replayable"] and letter["replays"] == []
    assert "database or disk is full" in letter["reason"] and letter["event_type"].endswith(REGISTERED)
    event_id = letter["event_id"]
    assert office_mails(system, event_id) == ([], 0)

    answer = page_replay(system, letter["seq"], office["cookie"])
    assert answer.status_code == 303 and answer.headers["location"].startswith("/verwaltung/zustellungen?")
    done = outcome(system, letter["seq"], "handled")
    assert done["replays"][0]["requested_by"] == office["id"]
    assert wait_until(lambda: sent_once(system, event_id), timeout=60), office_mails(system, event_id)

    with system.client("notifications") as client:  # a second replay from the API asks nothing new
        again = client.post(f"/dead-letters/{letter['seq']}/replay", headers=OPERATOR)
    assert again.status_code == 202 and len(again.json()["replays"]) == 1
    asyncio.run(_duplicate_request(system, letter["seq"]))  # one that got through anyway: a no-op
    assert wait_until(lambda: _outcomes(system, letter["seq"]) == ["handled", "already_handled"], timeout=60)
    assert sent_once(system, event_id)

    before = _office_mails_about_registrations(system)
    self_register(system)  # the consumer goes on
    assert wait_until(lambda: _office_mails_about_registrations(system) == before + 1, timeout=60)


def test_a_replay_while_the_cause_is_still_there_is_a_dead_letter_again(system):
    refusal = Refusal(system)
    refusal.on()
    try:
        business = self_register(system)
        first = letter_of(system, business)
        with system.client("notifications") as client:
            asked = client.post(f"/dead-letters/{first['seq']}/replay", headers=OPERATOR)
        assert asked.status_code == 202, asked.text
        failed = outcome(system, first["seq"], "failed")
        again = letter_of(system, business, replay_of=first["seq"])
    finally:
        refusal.off()
    assert failed["replays"][0]["dead_letter_again"] == again["seq"]
    assert again["attempts"] == 10 and "replay attempts" in again["reason"]

    with system.client("notifications") as client:
        assert client.post(f"/dead-letters/{again['seq']}/replay", headers=OPERATOR).status_code == 202
    outcome(system, again["seq"], "handled")
    assert wait_until(lambda: sent_once(system, first["event_id"]), timeout=60)


def test_the_page_sends_a_browser_without_a_session_to_the_login_and_refuses_a_role_without_the_area(system):
    page = "/verwaltung/zustellungen"
    with system.client("notifications") as client:
        for headers in ({}, OPERATOR):  # a page never takes the bearer token, not even the bootstrap one
            answer = client.get(page, headers=headers)
            assert answer.status_code == 303, answer.text
            assert answer.headers["location"] == "/verwaltung/anmelden?weiter=/verwaltung/zustellungen"
        replay = client.post(f"{page}/nachrichten/1/erneut", headers=OPERATOR, data={})
        assert replay.status_code == 303 and replay.headers["location"].startswith("/verwaltung/anmelden?")
    wifi = console_session(system.services["notifications"], "wifi")
    with console(system, wifi) as client:
        refused = client.get(page)
        assert refused.status_code == 403 and "<html" in refused.text
        assert client.post(f"{page}/nachrichten/1/erneut", data={}).status_code == 403


def test_an_unknown_dead_letter_is_404_and_the_api_needs_the_operator(system):
    with system.client("notifications") as client:
        assert client.post("/dead-letters/999999999/replay", headers=OPERATOR).status_code == 404
        assert client.get("/dead-letters").status_code == 401
        assert client.get("/dead-letters", params={"consumer": "no such/consumer"}, headers=OPERATOR).status_code == 422


def _outcomes(system: System, seq: int) -> list[str]:
    letter = next((item for item in letters(system) if item["seq"] == seq), None)
    found = [replay["outcome"] for replay in letter["replays"]] if letter else []
    return found


def _office_mails_about_registrations(system: System) -> int:
    query = "SELECT count(*) FROM deliveries WHERE event_type = ? AND recipient = ?"
    return system.query("notifications", query, REGISTERED, OFFICE_EMAIL)[0][0]


async def _duplicate_request(system: System, seq: int) -> None:
    nc = await system.connect()
    try:
        js = nc.jetstream()
        raw = await js.get_msg("DLQ", seq)
        subject, data, headers = replay_request(json.loads(raw.data), seq, "bootstrap", None)
        await js.publish(subject, data, headers=headers | {"Nats-Msg-Id": f"copy-{uuid.uuid4()}"})
    finally:
        await nc.close()


def test_a_dead_mail_is_sent_again_from_the_page_once_the_mailbox_takes_it(system, office):
    citizen = f"citizen-{uuid.uuid4().hex[:8]}@example.org"  # a confirmation mail to a full mailbox
    system.smtp.handler.answers[citizen] = "550 5.2.2 mailbox full"
    try:
        with system.client("notifications") as client:
            answer = client.post("/subscriptions", json={"email": citizen, "topics": ["events.event.published"]})
        assert answer.status_code in (201, 202), answer.text

        def dead():
            with system.client("notifications") as client:
                found = client.get("/deliveries", params={"recipient": citizen, "status": "dead"}, headers=OPERATOR)
            return found.json()

        [delivery] = wait_until(dead, timeout=60)
    finally:
        del system.smtp.handler.answers[citizen]
    with console(system, office["cookie"]) as client:
        page = client.get("/verwaltung/zustellungen")
        assert citizen in page.text and "Erneut senden" in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        sent_again = client.post(f"/verwaltung/zustellungen/{delivery['id']}/erneut", data={"csrf_token": token[1]})
        assert sent_again.status_code == 303
        assert wait_until(lambda: len(system.smtp.to(citizen)) == 1, timeout=60)
        twice = client.post(
            f"/verwaltung/zustellungen/{delivery['id']}/erneut",
            headers={"Accept": "text/html"},
            data={"csrf_token": token[1]},
        )
        assert twice.status_code == 409 and "<html" in twice.text  # only a dead one is sent again
    assert len(system.smtp.to(citizen)) == 1


def test_every_open_dead_letter_of_a_consumer_is_replayed_at_once_and_each_mailed_once(system):
    refusal = Refusal(system)
    refusal.on()
    try:
        found = [letter_of(system, self_register(system)) for _ in range(2)]
    finally:
        refusal.off()
    with system.client("notifications") as client:
        asked = client.post("/dead-letters/replay", params={"consumer": CONSUMER}, headers=OPERATOR)
        assert asked.status_code == 202, asked.text
        assert {letter["seq"] for letter in found} <= {letter["seq"] for letter in asked.json()}
        again = client.post("/dead-letters/replay", params={"consumer": CONSUMER}, headers=OPERATOR).json()
        assert not {letter["seq"] for letter in found} & {letter["seq"] for letter in again}  # asked once only
    for letter in found:
        outcome(system, letter["seq"], "handled")
        assert wait_until(lambda letter=letter: sent_once(system, letter["event_id"]), timeout=60)
