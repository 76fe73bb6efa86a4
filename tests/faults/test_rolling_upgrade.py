"""A rolling upgrade of the notifications service while registrant notices flow, as docs/operations.md
("Upgrade (and migrations)") tells it: migrate first, roll the instances, verify.

The old version is this repository at OLD_COMMIT (git archive of that commit into a temporary
directory): notifications at 0010, behind this checkout's head (0011_delivery_traceparent and every
later migration came after it). On one PostgreSQL database and one nats-server:

1. the old version serves, its database at the old head (0010);
2. registrant notices are published onto PRIVATE, one every few milliseconds;
3. `hallobot migrate notifications` of the current code brings the database to its head while
   the old version runs and consumes; the new version starts beside it on the same durable consumer
   (notifications-registrants); the old one is stopped with SIGTERM mid-flow;
4. every notice published is one delivery row, sent, and mailed: nothing lost, nothing stored twice;
   a mail in flight when the old instance stops may be repeated (same Message-ID), see below.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import nats
import pytest

from shared.catalog.events import RegistrantNotice
from shared.migrations import head_revisions
from tests.support.postgres import _asyncpg_args
from tests.support.services import ROOT, wait_until_ready
from tests.support.smtp import SmtpServer
from tests.support.system import FAST_ENV, wait_until

pytestmark = pytest.mark.faults

OLD_COMMIT = (
    "9b3be2185952211b08eb7f4635aba9929937b926"  # the parent of ebaeede, which added notifications' migration 0011
)
OLD_HEAD = "0010"
[NEW_HEAD] = head_revisions("notifications")  # this checkout's head: every migration since OLD_HEAD
LIMIT = 3000  # notices at most; the flow runs until a moment after the old version stopped
PACE_S = 0.02  # 50 notices a second
CONNECTIONS = 8  # NOTIFICATIONS_SENDER_CONNECTIONS, the default


def _old_tree(target: Path) -> Path:
    """The code of OLD_COMMIT, extracted from this repository's history; fail (never skip) without it."""
    git = shutil.which("git")
    assert git, "git is needed to extract the old version of the service (OLD_COMMIT)"

    def present() -> bool:
        check = [git, "-C", str(ROOT), "cat-file", "-e", f"{OLD_COMMIT}^{{commit}}"]
        return subprocess.run(check, capture_output=True).returncode == 0

    if not present():  # a shallow clone: fetch that one commit from where the clone came from
        fetch = [git, "-C", str(ROOT), "fetch", "--quiet", "--depth", "1", "origin", OLD_COMMIT]
        subprocess.run(fetch, capture_output=True, timeout=120)
    assert present(), (
        f"commit {OLD_COMMIT} is not in {ROOT}: the rolling upgrade test needs the repository's history "
        "(a full clone, not a shallow one or an export)"
    )
    target.mkdir()
    archive = subprocess.run([git, "-C", str(ROOT), "archive", OLD_COMMIT], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


class Instance:
    """One `hallobot serve notifications` process of the code under `tree`."""

    def __init__(self, name: str, tree: Path, env: dict[str, str], log_dir: Path) -> None:
        from hallobot.ports import free_port

        self.name, self.tree, self.port = name, tree, free_port()
        self.env = {**os.environ, **env, "PYTHONPATH": str(tree)}
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Instance:
        command = [sys.executable, "-m", "hallobot.cli", "serve", "notifications", "--port", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=self.tree, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self) -> Instance:
        wait_until_ready(self.name, self.process, f"http://127.0.0.1:{self.port}", self.log_path, 120)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


async def _query(url: str, sql: str, *params) -> list:
    conn = await asyncpg.connect(**_asyncpg_args(url))
    try:
        return await conn.fetch(sql, *params)
    finally:
        await conn.close()


def _notice(tag: str, n: int) -> RegistrantNotice:
    starts = datetime(2031, 3, 10, 18, tzinfo=UTC)
    return RegistrantNotice(
        registration_id=f"{tag}-{n}",
        event_id=f"event-{tag}",
        kind="confirmed",
        email=f"upgrade-{tag}-{n}@example.org",
        name=f"Person {n}",
        event_title=f"Upgrade {tag}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venue="Rathaus",
    )


async def test_a_rolling_upgrade_of_notifications_loses_no_notice_and_mails_none_twice(
    tmp_path, nats_server, postgres_database
):
    started = time.monotonic()
    old_tree = _old_tree(tmp_path / "old")
    smtp = SmtpServer().start()
    env = {
        **FAST_ENV,
        "NATS_URL": nats_server.url,
        "HALLOBOT_DATA_DIR": str(tmp_path / "var"),
        "NOTIFICATIONS_DATABASE_URL": postgres_database,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "NOTIFICATIONS_SENDER_CONNECTIONS": str(CONNECTIONS),
    }
    old = Instance("notifications-old", old_tree, env, tmp_path)
    new = Instance("notifications-new", ROOT, env, tmp_path)
    nc = await nats.connect(nats_server.url)
    try:
        # 1. the old version, its database migrated (at its start) to the old head
        await asyncio.to_thread(lambda: old.start().wait_ready())
        [(revision,)] = await _query(postgres_database, "SELECT version_num FROM alembic_version")
        assert revision.startswith(OLD_HEAD), revision

        # 2. the flow: registrant notices onto PRIVATE, as the events relay publishes them
        tag = uuid.uuid4().hex[:8]
        js = nc.jetstream()
        published: list[str] = []

        until = asyncio.Event()

        async def flow() -> None:
            for n in range(LIMIT):
                if until.is_set():
                    return
                notice = _notice(tag, n)
                event = notice.to_event()
                await js.publish(notice.nats_subject(), event.to_json(), headers={"Nats-Msg-Id": event.id}, timeout=10)
                published.append(notice.email)
                await asyncio.sleep(PACE_S)

        flowing = asyncio.create_task(flow())

        # 3. migrate (current code) while the old one runs, start the new one beside it, stop the old
        await asyncio.sleep(1.0)
        migrate = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hallobot.cli",
            "migrate",
            "notifications",
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await migrate.communicate()
        assert migrate.returncode == 0, output.decode()
        [(revision,)] = await _query(postgres_database, "SELECT version_num FROM alembic_version")
        assert revision.startswith(NEW_HEAD), revision
        assert old.process.poll() is None, "the old version stopped when the database was migrated"
        await asyncio.to_thread(lambda: new.start().wait_ready())
        assert not flowing.done(), "the flow ended before both versions ran side by side: make it longer"
        both = len(published)
        old.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(old.process.wait, 30) in (0, -signal.SIGTERM), old.log_path.read_text()[-3000:]
        stopped = len(published)
        await asyncio.sleep(1.5)  # the new version alone
        until.set()
        await flowing

        # 4. every notice: one delivery row, one mail; both versions did part of the work
        emails = set(published)
        total = len(emails)
        assert total == len(published) and both < stopped < total < LIMIT

        async def delivered() -> Counter:
            rows = await _query(
                postgres_database,
                "SELECT recipient FROM deliveries WHERE recipient LIKE $1 AND status = 'sent'",
                f"upgrade-{tag}-%",
            )
            return Counter(row["recipient"] for row in rows)

        deadline = time.monotonic() + 30
        while sum((await delivered()).values()) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.3)
        rows = await delivered()
        assert set(rows) == emails, f"{len(emails - set(rows))} notices have no sent delivery"
        assert max(rows.values()) == 1, "a notice was delivered twice"
        wait_until(lambda: len(smtp.messages) >= total, 10)
        mailed = Counter(str(message["X-Envelope-To"]) for message in smtp.messages)
        assert set(mailed) == emails, f"{len(emails - set(mailed))} notices were never mailed"
        # SMTP has no transaction with the database: a mail the server took while the stopped
        # instance's sender was cancelled, before its "sent" mark, is sent again by the new one once
        # the lease ends -- at most one mail per SMTP connection, each copy with the same Message-ID
        # (mail_sender.SentMarks). Everything else exactly once.
        repeated = {address: count for address, count in mailed.items() if count > 1}
        assert len(repeated) <= CONNECTIONS and set(repeated.values()) <= {2}, repeated
        for address in repeated:
            assert len({str(m["Message-ID"]) for m in smtp.to(address)}) == 1, f"{address}: copies differ"
        print(
            f"published {total}, {both} before both ran, {stopped} when the old one stopped; "
            f"mails repeated {len(repeated)}; {time.monotonic() - started:.1f} s"
        )
    finally:
        await nc.close()
        old.stop()
        new.stop()
        smtp.stop()
