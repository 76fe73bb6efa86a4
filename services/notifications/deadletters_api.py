"""HTTP routes for operators: the dead letters on the DLQ stream and their replay.

They live in notifications because the console's page of what did not arrive is here (deliveries and
dead letters side by side, /verwaltung/zustellungen), and reading the DLQ shows this service nothing
new: the dead letters are its own consumers' messages, PRIVATE notices included, and the wifi
service's host reports, whose credentials are redacted. A listing never shows an original's data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import BaseModel

from shared.auth import OperatorDep
from shared.console.actor import current_actor
from shared.consumer.dead_letter_log import DeadLetter, dead_letters, request_replay, takes_replays
from shared.service import RuntimeDep

router = APIRouter(tags=["operators"])
BOOTSTRAP = "bootstrap"
ConsumerName = Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{1,100}$", description="a consumer's name")]
Sequence = Annotated[int, Path(ge=1, le=2**63 - 1, description="the dead letter's sequence in the DLQ stream")]


async def operator_actor(_: OperatorDep) -> str:
    """Who asks, recorded with a replay: the request's actor (an account id, `bootstrap` for the
    operator token), set by the operator check."""
    return current_actor() or BOOTSTRAP


ActorDep = Annotated[str, Depends(operator_actor)]


class ReplayPublic(BaseModel):
    requested_by: str
    requested_at: datetime | None
    request_seq: int
    outcome: str | None  # handled | already_handled | failed; null while under way
    outcome_at: datetime | None
    dead_letter_again: int | None


class DeadLetterPublic(BaseModel):
    seq: int
    consumer: str
    reason: str
    attempts: int
    failed_at: datetime | None
    subject: str
    stream: str
    event_type: str | None
    event_id: str | None
    replay_of: int | None
    replayable: bool
    not_replayable: str | None
    replays: list[ReplayPublic]


def public(letter: DeadLetter, replaying: set[str]) -> DeadLetterPublic:
    why = letter.not_replayable or (None if letter.consumer in replaying else "the consumer takes no replays")
    return DeadLetterPublic(
        **{key: getattr(letter, key) for key in DeadLetterPublic.model_fields if hasattr(letter, key)}
        | {"replayable": why is None, "not_replayable": why, "replays": [r.__dict__ for r in letter.replays]}
    )


@router.get(
    "/dead-letters",
    response_model=list[DeadLetterPublic],
    summary="Tote Nachrichten im DLQ-Stream: Grund, Versuche, erneute Verarbeitung (Operator)",
)
async def list_dead_letters(
    _: OperatorDep,
    runtime: RuntimeDep,
    consumer: ConsumerName | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[DeadLetterPublic]:
    js = runtime.jetstream()
    letters = await dead_letters(js, consumer, limit)
    replaying = await takes_replays(js, {letter.consumer for letter in letters})
    return [public(letter, replaying) for letter in letters]


@router.post(
    "/dead-letters/{seq}/replay",
    response_model=DeadLetterPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Eine tote Nachricht dem Consumer, der sie aufgab, erneut geben (Operator)",
    description=(
        "The consumer handles the original again through its inbox: a message it handled meanwhile, "
        "or a second replay, changes nothing. A letter asked for before is not asked again. 404 for an "
        "unknown or expired letter, 409 when it cannot be replayed (cut, a redacted credential, a "
        "consumer without replays)."
    ),
)
async def replay_dead_letter(seq: Sequence, actor: ActorDep, runtime: RuntimeDep) -> DeadLetterPublic:
    js = runtime.jetstream()
    letter = await request_replay(js, seq, actor)
    return public(letter, await takes_replays(js, {letter.consumer}))


@router.post(
    "/dead-letters/replay",
    response_model=list[DeadLetterPublic],
    status_code=status.HTTP_202_ACCEPTED,
    summary="Alle noch nicht erneut versuchten toten Nachrichten eines Consumers erneut geben (Operator)",
)
async def replay_all(consumer: ConsumerName, actor: ActorDep, runtime: RuntimeDep) -> list[DeadLetterPublic]:
    js = runtime.jetstream()
    if not await takes_replays(js, {consumer}):
        return []
    letters = [letter for letter in await dead_letters(js, consumer, 1000) if open_for_replay(letter)]
    asked = [await request_replay(js, letter.seq, actor) for letter in reversed(letters)]
    return [public(letter, {consumer}) for letter in asked]


def open_for_replay(letter: DeadLetter) -> bool:
    """Not replayed yet, and replayable as far as the letter tells."""
    return not letter.replays and letter.not_replayable is None
