"""What every service does with a data protection request (shared/catalog/privacy.py): its durable
consumer of the requests, matching an address case-insensitively, and removing the private outbox
rows that carry the address, so that an erasure leaves no trace in the service's database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.catalog import PrivacyAccessRequested, PrivacyErasureRequested, PrivacyRequestAnswered
from shared.consumer import Delivery, Subscription
from shared.outbox import add_event

REQUESTS_SUBJECT = "hallobot.private.privacy.request.>"
ANSWERS_SUBJECT = "hallobot.private.privacy.answer.>"
PRIVATE_SUBJECTS = "hallobot.private.%"

Request = PrivacyErasureRequested | PrivacyAccessRequested
# One service's work on a request: its answer (what it found, erased and keeps; the data for an
# access request) and the outbox rows to delete once the answer is staged (erasure only).
Answerer = Callable[[AsyncSession, Request], Awaitable[tuple[PrivacyRequestAnswered, list[int]]]]


def address_key(email: str) -> str:
    """Addresses compare case-insensitively, without surrounding blanks."""
    return email.strip().lower()


def mentions(text: str | bytes | None, email: str) -> bool:
    if text is None:
        return False
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return address_key(email) in text.lower()


def is_erasure(request: Request) -> bool:
    return isinstance(request, PrivacyErasureRequested)


async def private_outbox_rows(session: AsyncSession, outbox: Table, email: str) -> list[int]:
    """The outbox rows on private subjects whose payload names the address (public subjects carry no
    personal data). Read in Python: the payload is bytes, and a case-insensitive match must not
    depend on the database's collation."""
    rows = await session.execute(select(outbox.c.seq, outbox.c.payload).where(outbox.c.subject.like(PRIVATE_SUBJECTS)))
    return [row.seq for row in rows if mentions(row.payload, email)]


async def scrub_outbox(session: AsyncSession, outbox: Table, seqs: list[int]) -> int:
    """Delete those rows, published or not: a private event about an erased person must not be sent
    later either (a mail to them, say). The relay skips a missing row. Called after the answer is
    staged, so the newest row is never among them: SQLite would hand out a deleted newest seq again,
    below where its relay reads on (shared/relay/)."""
    if seqs:
        await session.execute(delete(outbox).where(outbox.c.seq.in_(seqs)))
    return len(seqs)


def privacy_subscription(service: str, outbox: Table, answer: Answerer) -> Subscription:
    """The service's durable consumer of the requests: it does the work and stages its answer in the
    same transaction (the inbox makes a redelivered request a no-op). Not replayable from the DLQ
    (that needs a replay consumer on DLQ, which only notifications has); the office sends the request
    again instead, which is harmless: the second erasure finds nothing."""

    async def on_request(session: AsyncSession, delivery: Delivery) -> None:
        answered, scrub = await answer(session, delivery.payload)
        await add_event(session, outbox, answered)
        await scrub_outbox(session, outbox, scrub)

    return Subscription(
        name=f"{service}-privacy",
        stream="PRIVATE",
        subject=REQUESTS_SUBJECT,
        handler=on_request,
        payload_types=(PrivacyErasureRequested, PrivacyAccessRequested),
        description="data protection requests (erasure, access) by mail address; answered on PRIVATE",
        replayable=False,
    )
