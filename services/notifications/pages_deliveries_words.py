"""The words of /verwaltung/zustellungen (German msgids): what a consumer does, why a message failed,
what became of its replay. The page shows these, never a consumer's name, a subject or a type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.consumer.dead_letter_log import DeadLetter
from shared.web.i18n import N_

CONSUMERS = {
    "notifications-directory": N_("Nachrichten aus dem Verzeichnis"),
    "notifications-events": N_("Nachrichten zu Veranstaltungen"),
    "notifications-wifi": N_("Nachrichten zum WLAN"),
    "notifications-fairtrade": N_("Fairtrade-Neuigkeiten"),
    "notifications-registrants": N_("Mails an Angemeldete"),
    "notifications-owners": N_("Mails an Betriebe im Verzeichnis"),
    "wifi-reports": N_("Statusmeldungen der WLAN-Hotspots"),
    "notifications-privacy": N_("Datenschutz-Anfragen an die Benachrichtigungen"),
    "notifications-privacy-answers": N_("Antworten auf Datenschutz-Anfragen"),
    "directory-privacy": N_("Datenschutz-Anfragen an das Verzeichnis"),
    "events-privacy": N_("Datenschutz-Anfragen an die Veranstaltungen"),
}
OTHER = N_("Ein anderer Teil von HalloBot")
REASONS = {
    "malformed": N_("Die Nachricht war nicht lesbar."),
    "rejected": N_("Die Nachricht wurde abgelehnt."),
    "failed": N_("Die Verarbeitung ist mehrmals gescheitert."),
}
OTHER_REASON = N_("Die Verarbeitung ist gescheitert.")
OUTCOMES = {
    None: N_("Wird erneut verarbeitet."),
    "handled": N_("Erneut verarbeitet: erledigt."),
    "already_handled": N_("War schon erledigt; nichts wurde doppelt getan."),
    "failed": N_("Erneut gescheitert; siehe die neuere Meldung."),
}
NOT_REPLAYABLE = N_("Kann nicht erneut verarbeitet werden.")
WHY_NOT = {
    "credential": N_("Der Zugangsschlüssel des Absenders wird aus Sicherheitsgründen nicht aufbewahrt."),
    "cut": N_("Die Nachricht war zu groß und wurde gekürzt."),
}
OFFICE = N_("der Verwaltung")
ACCOUNT = N_("einem Konto der Verwaltung")


@dataclass(frozen=True)
class LetterView:
    seq: int
    area: str
    reason: str
    detail: str
    attempts: int
    failed_at: datetime | None
    outcome: str | None  # None: never replayed
    asked_by: str | None
    asked_at: datetime | None
    replayable: bool
    why_not: str | None
    again: bool  # this letter is what a replay left


def area(consumer: str) -> str:
    return CONSUMERS.get(consumer, OTHER)


def options(consumers: set[str]) -> list[tuple[str, str]]:
    """(value, msgid) per consumer that has dead letters, for the filter."""
    return sorted(((consumer, area(consumer)) for consumer in consumers), key=lambda item: item[1])


def letter_view(letter: DeadLetter, consumer_replays: bool) -> LetterView:
    kind = letter.reason.split(":", 1)[0].split(" ", 1)[0]  # "malformed: …", "failed after 5 attempts: …"
    replay = letter.replay
    why_not = None
    if letter.not_replayable or not consumer_replays:
        text = letter.not_replayable or ""
        why_not = WHY_NOT["credential"] if "credential" in text else WHY_NOT["cut"] if "cut" in text else NOT_REPLAYABLE
    return LetterView(
        seq=letter.seq,
        area=area(letter.consumer),
        reason=REASONS.get(kind, OTHER_REASON),
        detail=letter.reason,
        attempts=letter.attempts,
        failed_at=letter.failed_at,
        outcome=OUTCOMES[replay.outcome] if replay and replay.outcome in OUTCOMES else None,
        asked_by=(OFFICE if replay.requested_by == "bootstrap" else ACCOUNT) if replay else None,
        asked_at=replay.requested_at if replay else None,
        replayable=why_not is None and replay is None,
        why_not=why_not,
        again=letter.replay_of is not None,
    )
