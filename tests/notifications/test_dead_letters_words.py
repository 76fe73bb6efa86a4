"""What /verwaltung/zustellungen says about a dead letter: the area and the reason in words, what
became of its replay, and whether it offers one."""

from __future__ import annotations

from services.notifications.pages_deliveries_words import OUTCOMES, REASONS, WHY_NOT, letter_view, options
from shared.consumer.dead_letter_log import DeadLetter, Replay


def letter(**overrides) -> DeadLetter:
    values = dict(
        seq=3,
        consumer="notifications-registrants",
        reason="failed after 5 attempts: OperationalError('database or disk is full')",
        attempts=5,
        failed_at=None,
        subject="hallobot.private.events.registration.notice.r1",
        stream="PRIVATE",
        event_type=None,
        event_id=None,
        replay_of=None,
        not_replayable=None,
    )
    return DeadLetter(**(values | overrides))


def test_a_letter_never_replayed_offers_the_replay_and_says_why_it_failed_in_words():
    view = letter_view(letter(), consumer_replays=True)
    assert view.area == "Mails an Angemeldete" and view.reason == REASONS["failed"]
    assert view.replayable and view.outcome is None and view.why_not is None


def test_a_replayed_letter_tells_its_outcome_and_who_started_it_and_offers_no_second_replay():
    replayed = letter()
    replayed.replays.append(Replay("bootstrap", None, request_seq=4, outcome="already_handled"))
    view = letter_view(replayed, consumer_replays=True)
    assert view.outcome == OUTCOMES["already_handled"] and view.asked_by == "der Verwaltung"
    assert not view.replayable


def test_a_letter_that_a_replay_cannot_help_says_why_instead_of_offering_it():
    host_report = letter(
        consumer="wifi-reports",
        reason="rejected: unknown host",
        not_replayable="a credential of the original was not kept",
    )
    view = letter_view(host_report, consumer_replays=False)
    assert not view.replayable and view.why_not == WHY_NOT["credential"]
    assert view.area == "Statusmeldungen der WLAN-Hotspots" and view.reason == REASONS["rejected"]


def test_the_filter_names_areas_in_words_and_an_unknown_consumer_as_another_part():
    assert options({"notifications-events", "someone-new"}) == [
        ("someone-new", "Ein anderer Teil von HalloBot"),
        ("notifications-events", "Nachrichten zu Veranstaltungen"),
    ]
