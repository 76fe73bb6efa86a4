"""The pure rules of replaying dead letters: which record is what, what can be replayed, and how the
listing folds letters, requests and outcomes."""

from __future__ import annotations

import json

from shared.consumer.dead_letter_log import Record, fold
from shared.consumer.replay import record_kind, replay_request, why_not_replayable

LETTER = {
    "consumer": "notifications-events",
    "reason": "failed after 5 attempts: OperationalError('database or disk is full')",
    "subject": "hallobot.events.event.published.e1",
    "stream": "EVENTS",
    "stream_seq": 7,
    "attempts": 5,
    "failed_at": "2026-11-26T10:00:00+00:00",
    "headers": {"Nats-Msg-Id": "m1"},
    "original": json.dumps({"id": "m1", "type": "de.bottrop.hallobot.events.event.published", "data": {}}),
    "original_encoding": "utf-8",
    "original_truncated": False,
}


OUTCOME = {"dead_letter_seq": 3, "request_seq": 4, "outcome": "failed", "dead_letter_again": 5}


def record(seq: int, subject: str, body: dict) -> Record:
    return Record(seq, subject, None, json.dumps(body).encode())


def test_subjects_on_the_dlq_stream_say_whether_they_are_a_letter_a_request_or_an_outcome():
    assert record_kind("hallobot.dlq.notifications-events") == ("letter", "notifications-events")
    assert record_kind("hallobot.dlq.replay.notifications-events") == ("request", "notifications-events")
    assert record_kind("hallobot.dlq.replayed.notifications-events") == ("outcome", "notifications-events")
    assert record_kind("hallobot.dlq.replay") == ("letter", "replay")  # a consumer may not be named so
    assert record_kind("hallobot.events.event.published.e1") is None
    assert record_kind("hallobot.dlq.a.b.c") is None


def test_a_whole_letter_can_be_replayed_but_not_a_cut_one_or_one_without_its_credential():
    assert why_not_replayable(LETTER) is None
    assert "cut" in (why_not_replayable(LETTER | {"original_truncated": True}) or "")
    assert "credential" in (why_not_replayable(LETTER | {"headers": {"Authorization": "[redacted]"}}) or "")
    assert why_not_replayable({"reason": "x"}) is not None


def test_a_replay_request_copies_the_original_and_keeps_the_ttl_of_a_private_letter():
    subject, body, headers = replay_request(LETTER, 12, "bootstrap", ttl_s=600)
    request = json.loads(body)
    assert subject == "hallobot.dlq.replay.notifications-events"
    assert request["original"] == LETTER["original"] and request["dead_letter_seq"] == 12
    assert request["actor"] == "bootstrap" and request["attempts"] == 5
    assert headers["Nats-Msg-Id"] == "replay:notifications-events:12" and headers["Nats-TTL"] == "600"
    assert "Nats-TTL" not in replay_request(LETTER, 12, "bootstrap", ttl_s=None)[2]


def test_the_listing_folds_requests_and_outcomes_into_their_letters_newest_first():
    consumer = LETTER["consumer"]
    records = [
        record(3, f"hallobot.dlq.{consumer}", LETTER),
        record(4, f"hallobot.dlq.replay.{consumer}", {"dead_letter_seq": 3, "actor": "bootstrap"}),
        record(5, f"hallobot.dlq.{consumer}", LETTER | {"replay_of": 3, "attempts": 10}),
        record(6, f"hallobot.dlq.replayed.{consumer}", OUTCOME),
        record(7, f"hallobot.dlq.replay.{consumer}", {"dead_letter_seq": 1, "actor": "bootstrap"}),  # letter gone
        record(8, f"hallobot.dlq.replay.{consumer}", {"dead_letter_seq": 5, "actor": "acct-1"}),
    ]
    newer, older = fold(records)
    assert (newer.seq, older.seq) == (5, 3)
    assert older.replay is not None and older.replay.outcome == "failed" and older.replay.dead_letter_again == 5
    assert newer.replay_of == 3 and newer.attempts == 10
    assert newer.replay is not None and newer.replay.requested_by == "acct-1" and newer.replay.outcome is None
    assert older.event_type == "de.bottrop.hallobot.events.event.published" and older.event_id == "m1"


def test_an_unreadable_record_is_skipped_and_an_undecodable_original_has_no_type():
    consumer = LETTER["consumer"]
    binary = LETTER | {"original": "AAEC", "original_encoding": "base64"}
    letters = fold(
        [Record(1, f"hallobot.dlq.{consumer}", None, b"not json"), record(2, f"hallobot.dlq.{consumer}", binary)]
    )
    assert [letter.seq for letter in letters] == [2]
    assert letters[0].event_type is None


def test_an_original_nested_deeper_than_the_decoder_goes_is_listed_without_a_type():
    """Hostile input on a subject (JSON nested 100,000 deep) is dead-lettered as it came; the listing
    must still show it, not fail on decoding it."""
    consumer = LETTER["consumer"]
    deep = LETTER | {"original": "[" * 100_000 + "]" * 100_000}
    letters = fold([record(1, f"hallobot.dlq.{consumer}", deep)])
    assert [letter.seq for letter in letters] == [1]
    assert letters[0].event_type is None and letters[0].event_id is None
