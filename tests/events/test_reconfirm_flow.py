"""Reconfirmation end to end, as processes: the events service and notifications on a real nats-server,
mails to aiosmtpd. A free event asks its two confirmed registrants to confirm; one does, with the button
behind the mail's link, the other does not; at the deadline the silent place goes to the first on the
waitlist, who gets the promotion mail, and the silent registrant is told.

The days are real but short: the event starts two days and 15 seconds from now, so it asks at once
(two days before, by the event's setting), and EVENTS_RECONFIRM_DEADLINE_H puts the deadline half a minute
after that (REPLY_WINDOW_S)."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta
from email.message import Message
from urllib.parse import urlsplit

import httpx
import pytest

from services.events.domain_times import BERLIN
from shared.envelope import utcnow
from tests.events.test_pages import HTML, csrf
from tests.support.system import OPERATOR, System, wait_until

REPLY_WINDOW_S = 30
ASK_AFTER_S = 15
LINK = re.compile(r"https?://\S+/veranstaltungen/bestaetigen\?anmeldung=\w+&token=\S+")


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    deadline_h = (48 * 3600 - REPLY_WINDOW_S) / 3600  # the deadline REPLY_WINDOW_S after the question
    env = {"EVENTS_JOB_INTERVAL_S": "0.5", "EVENTS_RECONFIRM_DEADLINE_H": repr(deadline_h)}
    with System(tmp_path_factory.mktemp("reconfirm"), env, services=("events", "notifications")) as running:
        yield running


def mail(system: System, address: str, subject_starts: str, timeout: float = 60) -> Message:
    def found() -> Message | None:
        return next((m for m in system.smtp.to(address) if str(m["Subject"]).startswith(subject_starts)), None)

    message = wait_until(found, timeout)
    assert message is not None, [m["Subject"] for m in system.smtp.to(address)]
    return message


def text_of(message: Message) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_the_unconfirmed_place_goes_to_the_first_on_the_waitlist_at_the_deadline(system):
    tag = uuid.uuid4().hex[:6]
    answers, silent, waiting = (f"{who}-{tag}@example.org" for who in ("kommt", "schweigt", "wartet"))
    starts = utcnow().astimezone(BERLIN) + timedelta(days=2, seconds=ASK_AFTER_S)
    with system.client("events") as api:
        body = {
            "title": f"Gründerfrühstück {tag}",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "venue": "Rathaus Bottrop",
            "capacity": 2,
            "reconfirm": True,
        }
        event = api.post("/events", json=body, headers=OPERATOR).json()
        assert api.post(f"/events/{event['id']}/publish", headers=OPERATOR).status_code == 200
        for address in (answers, silent, waiting):
            person = {"name": "Teilnehmende Person", "email": address, "consent": True}
            assert api.post(f"/events/{event['id']}/registrations", json=person).status_code == 201

    asking = mail(system, answers, "Bitte bestätigen")
    assert mail(system, silent, "Bitte bestätigen")
    assert not [m for m in system.smtp.to(waiting) if str(m["Subject"]).startswith("Bitte bestätigen")]
    link = urlsplit(LINK.search(text_of(asking)).group())
    with httpx.Client(base_url=system.url("events"), headers=HTML, timeout=30) as browser:
        page = browser.get(f"{link.path}?{link.query}")
        assert page.status_code == 200 and "Ja, ich komme" in page.text
        registration, token = (dict(p.split("=", 1) for p in link.query.split("&"))[k] for k in ("anmeldung", "token"))
        sent = browser.post(
            "/veranstaltungen/bestaetigen", data={"csrf_token": csrf(page), "anmeldung": registration, "token": token}
        )
        assert sent.status_code == 303

    promoted = mail(system, waiting, "Sie haben einen Platz", timeout=REPLY_WINDOW_S + 60)
    assert f"Gründerfrühstück {tag}" in text_of(promoted)
    released = mail(system, silent, "Platz freigegeben")
    assert "an die Warteliste" in text_of(released)
    time.sleep(2)  # nothing more follows for the one who answered
    assert not [m for m in system.smtp.to(answers) if str(m["Subject"]).startswith("Platz freigegeben")]
    states = dict(
        system.query(
            "events",
            "SELECT email, status FROM registrations WHERE event_id = ? ORDER BY seq",
            event["id"],
        )
    )
    assert states == {answers: "confirmed", silent: "cancelled", waiting: "confirmed"}
