"""`hallobot backup` and `hallobot restore` against the whole system as processes (#18): backups taken
while it runs, restored into fresh servers (a new nats-server, new SQLite files, a new PostgreSQL
database), every row and every event found again; an older backup brought back in step by the outbox
and the inbox, with nothing done twice.

One running system serves both tests (its start costs most of the time): directory, wifi and
notifications on SQLite, events on PostgreSQL, so both kinds of dump are taken and restored.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nats
import pytest

from hallobot.backup import _pg_fetch
from shared.config import SERVICES
from shared.streams import STREAMS
from tests.support.postgres import create_database, drop_database
from tests.support.services import ROOT
from tests.support.stream import stream_messages
from tests.support.system import OPERATOR, System, wait_until

pytestmark = pytest.mark.postgres

STREAM_NAMES = [spec.name for spec in STREAMS]


def hallobot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "hallobot.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"hallobot {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done


def database_url(system: System, service: str) -> str:
    return system.env.get(f"{service.upper()}_DATABASE_URL") or f"sqlite:///{system.data_dir / f'{service}.sqlite3'}"


def tables(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: what "every row found again" compares."""
    if url.startswith("sqlite"):
        with sqlite3.connect(f"file:{url.removeprefix('sqlite:///')}?mode=ro", uri=True, timeout=10) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {name: sorted(map(tuple, conn.execute(f'SELECT * FROM "{name}"')), key=repr) for name in names}

    async def read() -> dict[str, list[tuple]]:
        names = [
            r[0]
            for r in await _pg_fetch(
                url, "SELECT table_name FROM information_schema.tables WHERE table_schema='public'"
            )
        ]
        return {
            name: sorted((tuple(r) for r in await _pg_fetch(url, f'SELECT * FROM "{name}"')), key=repr)
            for name in names
        }

    return asyncio.run(read())


async def stream_ids(url: str) -> dict[str, list[str]]:
    """Per stream, the Nats-Msg-Id of each message in stream order."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        return {
            name: [(m.headers or {}).get("Nats-Msg-Id", "") for m in await stream_messages(js, name)]
            for name in STREAM_NAMES
        }
    finally:
        await nc.close()


async def registrants_consumer(url: str):
    """The notifications consumer of the registration notices (PRIVATE): who mails the registrants."""
    nc = await nats.connect(url)
    try:
        return await nc.jetstream().consumer_info("PRIVATE", "notifications-registrants")
    finally:
        await nc.close()


@dataclass
class Story:
    system: System
    pg_server: str
    event_id: str = ""
    before: list[dict] = field(default_factory=list)  # registrations in backup A
    after: list[dict] = field(default_factory=list)  # registrations made after A, in backup B
    backup_a: Path = Path()
    backup_b: Path = Path()
    rows: dict[str, dict[str, list[tuple]]] = field(default_factory=dict)  # per service, at the stop
    events: dict[str, list[str]] = field(default_factory=dict)  # per stream, at the stop


def register(system: System, event_id: str, email: str) -> dict:
    with system.client("events") as events:
        answer = events.post(
            f"/events/{event_id}/registrations", json={"name": "Person", "email": email, "consent": True}
        )
    assert answer.status_code == 201, answer.text
    return {**answer.json(), "email": email}


def mails_to(system: System, email: str) -> int:
    return sum(1 for m in system.smtp.messages if m["X-Envelope-To"] == email)


def mailed(system: System, registrations: list[dict]) -> None:
    assert wait_until(lambda: all(mails_to(system, r["email"]) for r in registrations), timeout=90, interval=0.3), (
        system.logs("notifications")
    )
    time.sleep(1)  # the delivery row is marked sent right after the SMTP server's answer


def fresh_system(root: Path, pg_server: str) -> System:
    """A new nats-server, SMTP server, data dir and PostgreSQL database for events: nothing in them."""
    return System(root, env={"EVENTS_DATABASE_URL": create_database(pg_server)})


@pytest.fixture(scope="module")
def story(tmp_path_factory, postgres_url):
    """Data through the APIs, backup A while running, more changes, backup B while running, stop."""
    root = tmp_path_factory.mktemp("backup")
    system = fresh_system(root / "original", postgres_url)
    story = Story(system, postgres_url)
    with system:
        tag = uuid.uuid4().hex[:8]
        with system.client("events") as events:
            created = events.post(
                "/events",
                headers=OPERATOR,
                json={
                    "title": f"Backup {tag}",
                    "description": "backup test",
                    "starts_at": "2031-03-10T18:00:00",
                    "ends_at": "2031-03-10T20:00:00",
                    "venue": "Rathaus",
                    "capacity": 100,
                    "waitlist": True,
                },
            )
            assert created.status_code == 201, created.text
            story.event_id = created.json()["id"]
            assert events.post(f"/events/{story.event_id}/publish", headers=OPERATOR).status_code == 200
        with system.client("directory") as directory:
            business = directory.post(
                "/businesses", headers=OPERATOR, json={"name": f"Laden {tag}", "category": "handwerk"}
            )
            assert business.status_code == 201, business.text
        story.before = [register(system, story.event_id, f"before-{tag}-{n}@example.org") for n in range(2)]
        mailed(system, story.before)
        story.backup_a = root / "backup-a"
        hallobot("backup", str(story.backup_a), env=system.env)

        story.after = [register(system, story.event_id, f"after-{tag}-{n}@example.org") for n in range(2)]
        mailed(system, story.after)
        story.backup_b = root / "backup-b"
        hallobot("backup", str(story.backup_b), env=system.env)
        for service in system.services.values():
            service.kill()
        story.rows = {service: tables(database_url(system, service)) for service in SERVICES}
        story.events = asyncio.run(stream_ids(system.nats.url))
    return story


def restore_into(story: Story, backup: Path, name: str) -> System:
    system = fresh_system(story.system.root.parent / name, story.pg_server)
    system.start_nats()
    hallobot("restore", str(backup), env=system.env)
    return system


def start_services(system: System) -> None:
    system.smtp.start()
    for service in system.services.values():
        service.start()
    for service in system.services.values():
        service.wait_ready()


def test_a_backup_taken_while_running_restores_into_fresh_servers_with_every_row_and_every_event(story):
    manifest = json.loads((story.backup_b / "manifest.json").read_text())
    assert manifest["databases"]["events"]["kind"] == "postgresql"
    assert manifest["databases"]["wifi"]["kind"] == "sqlite"
    assert all(entry["alembic_revision"] for entry in manifest["databases"].values())
    system = restore_into(story, story.backup_b, "restored-b")
    try:
        # every row: the restored databases equal the originals when the system stopped, table by table
        for service in SERVICES:
            restored = tables(database_url(system, service))
            assert restored.keys() == story.rows[service].keys(), service
            for table, rows in story.rows[service].items():
                assert restored[table] == rows, f"{service}.{table} differs after the restore"
        # every event: the same Nats-Msg-Ids in the same order in every stream
        restored_events = asyncio.run(stream_ids(system.nats.url))
        for stream in STREAM_NAMES:
            assert restored_events[stream] == story.events[stream], stream
        assert len(restored_events["EVENTS"]) >= 5  # the event published, four registrations

        # the consumers are back where the backup found them: nothing to read again
        consumer = asyncio.run(registrants_consumer(system.nats.url))
        assert consumer.num_pending == 0 and consumer.config.opt_start_seq > 1

        # a second restore onto what now holds data is refused, naming what and how
        again = subprocess.run(
            [sys.executable, "-m", "hallobot.cli", "restore", str(story.backup_b)],
            cwd=ROOT,
            env={**os.environ, **system.env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 1 and "--replace" in again.stderr, again.stderr

        start_services(system)
        with system.client("events") as events:
            assert events.get(f"/events/{story.event_id}").json()["id"] == story.event_id
            for registration in story.before + story.after:
                answer = events.get(
                    f"/registrations/{registration['id']}", params={"token": registration["cancel_token"]}
                )
                assert answer.status_code == 200, answer.text
        # the restored system works on: a new registrant is mailed once, nobody earlier again
        newcomer = register(system, story.event_id, f"new-{uuid.uuid4().hex[:6]}@example.org")
        mailed(system, [newcomer])
        time.sleep(2)
        assert mails_to(system, newcomer["email"]) == 1
        assert all(mails_to(system, r["email"]) == 0 for r in story.before + story.after)
        after_start = asyncio.run(stream_ids(system.nats.url))
        for stream in ("DIRECTORY", "EVENTS"):
            assert after_start[stream][: len(story.events[stream])] == story.events[stream]
            assert len(set(after_start[stream])) == len(after_start[stream]), f"a duplicate on {stream}"
    finally:
        system.stop()
        drop_database(story.pg_server, system.env["EVENTS_DATABASE_URL"])


def test_an_older_backup_comes_back_in_step_through_outbox_and_inbox_without_duplicates(story):
    """Backup A, older than the system's end (two registrations came later), restored into fresh
    servers. A backup taken under load has its parts from slightly different moments; here that is
    made certain rather than left to timing: every consumer's position is set back to the start (as if
    read before anything was handled) and the events service's newest outbox rows are marked
    unpublished (as if its database was copied between a commit and the relay's mark). The inbox must
    drop every redelivered message and the stream's dedup every republished event."""
    manifest_path = story.backup_a / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for position in manifest["consumers"]:
        position["acked_through"] = 0
    manifest_path.write_text(json.dumps(manifest))
    system = restore_into(story, story.backup_a, "restored-a")
    try:
        events_url = system.env["EVENTS_DATABASE_URL"]

        async def unpublish() -> list[str]:
            import asyncpg

            from hallobot.backup import _asyncpg_args

            conn = await asyncpg.connect(**_asyncpg_args(events_url))
            try:
                rows = await conn.fetch(
                    "UPDATE outbox SET published_at = NULL WHERE seq IN "
                    "(SELECT seq FROM outbox ORDER BY seq DESC LIMIT 3) RETURNING event_id"
                )
                return [r[0] for r in rows]
            finally:
                await conn.close()

        events_at_a = tables(events_url)
        unpublished = asyncio.run(unpublish())
        assert len(unpublished) == 3
        restored_events = asyncio.run(stream_ids(system.nats.url))
        assert set(unpublished) <= {i for ids in restored_events.values() for i in ids}
        staged_before = tables(database_url(system, "notifications"))

        start_services(system)

        async def republished() -> bool:
            rows = await _pg_fetch(events_url, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            return rows[0][0] == 0

        async def settle() -> bool:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if await republished():
                    return True
                await asyncio.sleep(0.3)
            return False

        assert asyncio.run(settle()), system.logs("events")

        # the consumers read everything again from the start: wait until they are through
        async def caught_up() -> bool:
            nc = await nats.connect(system.nats.url)
            try:
                js = nc.jetstream()
                for stream in STREAM_NAMES:
                    for info in await js.consumers_info(stream):
                        if info.config.durable_name and (info.num_pending or info.num_ack_pending):
                            return False
                return True
            finally:
                await nc.close()

        assert wait_until(lambda: asyncio.run(caught_up()), timeout=90, interval=0.5)
        # …and did read everything again: each registration notice of the backup was delivered anew
        consumer = asyncio.run(registrants_consumer(system.nats.url))
        assert consumer.config.opt_start_seq == 1
        assert consumer.delivered.consumer_seq >= len(story.before)
        time.sleep(2)
        # the relay's republished rows were dropped by the dedup window: the streams are as restored
        now = asyncio.run(stream_ids(system.nats.url))
        for stream in ("DIRECTORY", "EVENTS", "PRIVATE"):
            assert now[stream] == restored_events[stream], f"{stream} changed: the relay's copies were kept"
        # the inbox dropped every redelivery: no mail to anyone, no second delivery row, no second claim
        assert all(mails_to(system, r["email"]) == 0 for r in story.before + story.after)
        deliveries = tables(database_url(system, "notifications"))["deliveries"]
        assert len(deliveries) == len(staged_before["deliveries"]), "a redelivered event staged a delivery again"
        # older: what came after backup A is not there, and nobody is mailed about it
        with system.client("events") as events:
            for registration in story.after:
                answer = events.get(
                    f"/registrations/{registration['id']}", params={"token": registration["cancel_token"]}
                )
                assert answer.status_code == 404, answer.text
        # and it works on: one new registrant, one mail
        newcomer = register(system, story.event_id, f"new-{uuid.uuid4().hex[:6]}@example.org")
        mailed(system, [newcomer])
        time.sleep(2)
        assert mails_to(system, newcomer["email"]) == 1

        # one service's database alone, onto the running streams: events back to backup A (the
        # newcomer's registration is gone), its consumers set back, nothing published twice
        system.services["events"].terminate()
        hallobot(
            "restore", str(story.backup_a), "--part", "databases", "--service", "events", "--replace", env=system.env
        )
        assert tables(events_url) == events_at_a
        streams_before = asyncio.run(stream_ids(system.nats.url))
        system.restart("events")
        with system.client("events") as events:
            answer = events.get(f"/registrations/{newcomer['id']}", params={"token": newcomer["cancel_token"]})
            assert answer.status_code == 404, answer.text
            assert events.get(f"/events/{story.event_id}").status_code == 200
        time.sleep(3)
        assert asyncio.run(stream_ids(system.nats.url))["EVENTS"] == streams_before["EVENTS"]
    finally:
        system.stop()
        drop_database(story.pg_server, system.env["EVENTS_DATABASE_URL"])
