"""The reconfirmation and release mails as notifications stages them from the events service's private
notices (the real use case with an in-memory repository): German and English, the reconfirmation
page as the one secret link (never in the stored text), the kept cancel link forgotten on release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.config import NotificationsSettings
from services.notifications.handlers_fanout import notify_registrants
from services.notifications.mail_mime import CANCEL_LINK
from services.notifications.sealed import unseal
from shared.catalog import RegistrantNotice

STARTS = datetime(2031, 3, 10, 17, 0, tzinfo=UTC)
RECONFIRM = "https://hallo-bot.example.org/veranstaltungen/bestaetigen?anmeldung=r1&token=hbr_Secret123"
CANCEL = "https://hallo-bot.example.org/veranstaltungen/abmelden?anmeldung=r1&token=hbc_Cancel456"


class Links:
    """The repository's parts notify_registrants uses: kept cancel links and staged mails."""

    def __init__(self) -> None:
        self.kept: dict[str, str] = {}
        self.mails: list[dict] = []
        self.forgotten: set[str] = set()

    async def cancel_links(self, ids: list[str]) -> dict[str, str]:
        return {rid: self.kept[rid] for rid in ids if rid in self.kept}

    async def keep_links(self, rows: list[dict]) -> None:
        self.kept |= {row["registration_id"]: row["cancel_url"] for row in rows}

    async def forget_links(self, ids: set[str]) -> None:
        self.forgotten |= ids

    async def stage(self, rows: list[dict]) -> int:
        self.mails += rows
        return len(rows)


def notice(kind: str, language: str = "de", **fields) -> RegistrantNotice:
    return RegistrantNotice(
        registration_id="r1",
        event_id="e1",
        kind=kind,
        email="anna@example.org",
        name="Anna",
        language=language,
        event_title="Gründerfrühstück",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
        venue="Rathaus Bottrop",
        **fields,
    )


@pytest.fixture
def settings(tmp_path) -> NotificationsSettings:
    return NotificationsSettings(secret_key="a-test-key-of-thirty-two-characters!", data_dir=tmp_path)


@pytest.mark.parametrize(
    ("language", "subject", "deadline"),
    [
        ("de", "Bitte bestätigen: Kommen Sie zu Gründerfrühstück?", "Sa, 08.03.2031 18:00 Uhr"),
        ("en", "Please confirm: are you coming to Gründerfrühstück?", "Sat 08 Mar 2031, 18:00"),
    ],
)
async def test_the_reconfirmation_mail_carries_the_deadline_and_its_page_as_the_one_secret_link(
    settings, language, subject, deadline
):
    repo = Links()
    first = notice("confirmed", language, cancel_url=CANCEL)
    asking = notice("reconfirm", language, reconfirm_url=RECONFIRM, reply_by=STARTS - timedelta(days=2))
    await notify_registrants(repo, settings, [(first.to_event(), first), (asking.to_event(), asking)])
    mail = repo.mails[1]
    assert mail["subject"] == subject and deadline in mail["body"]
    assert mail["secret_link"] == RECONFIRM and CANCEL_LINK in mail["body"] and f'href="{CANCEL_LINK}"' in mail["html"]
    assert "hbr_Secret123" not in mail["body"] + mail["html"] and "hbc_Cancel456" not in mail["body"]
    kept = unseal(settings.secret_key.get_secret_value(), repo.kept["r1"])
    assert kept == CANCEL  # the kept cancel link stays the first mail's


async def test_the_release_mail_says_the_place_went_to_the_waitlist_and_the_cancel_link_is_forgotten(settings):
    repo = Links()
    released = notice("released")
    await notify_registrants(repo, settings, [(released.to_event(), released)])
    (mail,) = repo.mails
    assert mail["subject"] == "Platz freigegeben: Gründerfrühstück"
    assert "nicht rechtzeitig bestätigt" in mail["body"] and mail["secret_link"] is None
    assert repo.forgotten == {"r1"}
