"""`hallobot backup DIR` and `hallobot restore DIR`: every service's database and the JetStream
streams, taken while the system runs (docs/operations.md, "Backup and restore").

A backup directory holds
- `manifest.json`: when, which versions, per service its database kind, file and Alembic revision,
  per stream its configuration and message count, and every durable consumer with its position;
- `databases/<service>.sqlite3` (SQLite's online backup API: a consistent copy of a database in use)
  or `databases/<service>.dump` (`pg_dump --format=custom`);
- `streams/<STREAM>.jsonl`: each message of the stream as one JSON line, in stream order, with its
  original sequence, time, subject, headers (`Nats-Msg-Id` among them) and data (base64). nats-py
  has no client for JetStream's snapshot API (`nats stream backup` of the nats CLI), so the streams
  are read with an ephemeral consumer instead; what that costs: sequences and times change on restore.

The order of a backup is chosen so that each part is at least as new as what it depends on:
consumer positions first, then the databases, then the streams. So a restored consumer never starts
after a message its database has not seen (it may start before: its inbox drops what it handled),
and the streams hold every event the restored outboxes published (a row published after its
database was copied is published again by the relay; JetStream's dedup window drops the copy).
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client as NATS
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy.engine import make_url

from shared.config import SERVICES, Settings
from shared.nats_connection import connect_options
from shared.streams import STREAMS, STREAMS_BY_NAME

FORMAT = 1
MANIFEST = "manifest.json"
PARTS = ("databases", "streams")
FETCH_BATCH = 500


class BackupError(Exception):
    """Something an operator must fix first; the message says what."""


# -- PostgreSQL client binaries ----------------------------------------------------------------------


def _version_of(binary: str) -> tuple[int, ...]:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return ()
    found = re.search(r"(\d+)(?:\.(\d+))?", out)
    return tuple(int(part) for part in found.groups() if part) if found else ()


def pg_binary(name: str, pg_bin: str | None = None) -> str:
    """`pg_dump` or `pg_restore`: from `pg_bin` (--pg-bin, HALLOBOT_PG_BIN) if given, else the newest of
    the one on PATH and the one the `pgserver` package ships (pg_dump must be at least as new as the
    server it reads, so the newest one found is the one that works with most servers)."""
    directory = pg_bin or os.environ.get("HALLOBOT_PG_BIN")
    if directory:
        binary = Path(directory) / name
        if not binary.is_file():
            raise BackupError(f"no {name} in {directory} (--pg-bin / HALLOBOT_PG_BIN)")
        return str(binary)
    candidates = []
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.submodule_search_locations:
        bundled = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name
        if bundled.is_file():
            candidates.append(str(bundled))
    if not candidates:
        raise BackupError(f"no {name} found (PATH, the pgserver package); give its directory with --pg-bin")
    return max(candidates, key=_version_of)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for pg_dump/pg_restore, and the environment carrying its password
    (never on the command line, where `ps` shows it)."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _asyncpg_args(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    args: dict[str, Any] = {
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
        "host": parsed.query.get("host") or parsed.host,
        "port": parsed.port,
    }
    return {key: value for key, value in args.items() if value}


async def _pg_fetch(url: str, sql: str) -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(**_asyncpg_args(url))
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


def _kind(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"unsupported database {name!r}")
    return name


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{url!r} is no SQLite file")
    return Path(database)


# -- backup ------------------------------------------------------------------------------------------


def _database_urls(services: list[str]) -> dict[str, str]:
    from hallobot.services import settings_for

    return {service: settings_for(service).resolved_database_url() for service in services}


async def backup(target: Path, settings: Settings, services: list[str], pg_bin: str | None = None) -> dict[str, Any]:
    """Write a backup of `services`' databases and every HalloBot stream into `target` (new or empty)."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a new directory")
    (target / "databases").mkdir(parents=True, exist_ok=True)
    (target / "streams").mkdir(exist_ok=True)
    manifest: dict[str, Any] = {"format": FORMAT, "started_at": _now(), "hallobot": _hallobot_version()}
    nc = await _connect(settings)
    try:
        js = nc.jetstream()
        manifest["nats_server"] = nc.connected_server_version and str(nc.connected_server_version)
        # 1. where each durable consumer stands (before the databases: never ahead of them)
        manifest["consumers"] = await _consumer_positions(js)
        # 2. the databases
        manifest["databases"] = {}
        for service, url in _database_urls(services).items():
            manifest["databases"][service] = await _backup_database(service, url, target / "databases", pg_bin)
        # 3. the streams (after the databases: they hold every event the copied outboxes published)
        manifest["streams"] = {}
        for spec in STREAMS:
            manifest["streams"][spec.name] = await _dump_stream(js, spec.name, target / "streams")
    finally:
        await nc.close()
    manifest["finished_at"] = _now()
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _hallobot_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hallobot")
    except PackageNotFoundError:
        return "unknown"


async def _connect(settings: Settings) -> NATS:
    options = {"allow_reconnect": False, "connect_timeout": 10, **connect_options(settings)}
    return await nats.connect(settings.nats_servers(), **options)


async def _consumer_positions(js: JetStreamContext) -> list[dict[str, Any]]:
    positions = []
    for spec in STREAMS:
        try:
            infos = await js.consumers_info(spec.name)
        except NotFoundError:
            continue
        for info in infos:
            if not info.config.durable_name:
                continue  # ephemeral: its owner makes a new one
            positions.append(
                {
                    "stream": spec.name,
                    "name": info.config.durable_name,
                    "config": info.config.as_dict(),
                    "acked_through": info.ack_floor.stream_seq if info.ack_floor else 0,
                }
            )
    return positions


async def _backup_database(service: str, url: str, folder: Path, pg_bin: str | None) -> dict[str, Any]:
    kind = _kind(url)
    if kind == "sqlite":
        source_path = _sqlite_path(url)
        if not source_path.exists():
            raise BackupError(f"{service}: no database at {source_path}")
        file = folder / f"{service}.sqlite3"
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
        copy = sqlite3.connect(file)
        try:
            source.backup(copy)  # page by page, consistent while the service writes
            revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            copy.close()
            source.close()
    else:
        file = folder / f"{service}.dump"
        rows = await _pg_fetch(url, "SELECT version_num FROM alembic_version")
        revision = (rows[0][0],) if rows else None
        uri, env = _libpq(url)
        done = subprocess.run(
            [pg_binary("pg_dump", pg_bin), "--format=custom", "--no-owner", f"--file={file}", f"--dbname={uri}"],
            capture_output=True,
            text=True,
            env=env,
        )
        if done.returncode != 0:
            raise BackupError(f"{service}: pg_dump failed: {done.stderr.strip()}")
    return {"kind": kind, "file": f"databases/{file.name}", "alembic_revision": revision[0] if revision else None}


async def _dump_stream(js: JetStreamContext, name: str, folder: Path) -> dict[str, Any]:
    """Every message of `name` up to its last sequence when the dump began, as JSON lines."""
    file = folder / f"{name}.jsonl"
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        file.write_text("", encoding="utf-8")
        return {"file": f"streams/{file.name}", "messages": 0, "config": None}
    last = info.state.last_seq
    written = 0
    with file.open("w", encoding="utf-8") as out:
        if info.state.messages:
            sub = await js.pull_subscribe(
                "",
                stream=name,
                config=ConsumerConfig(
                    deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE, inactive_threshold=60
                ),
            )
            try:
                seq = 0
                while seq < last:
                    try:
                        msgs = await sub.fetch(FETCH_BATCH, timeout=5)
                    except NatsTimeoutError:
                        break  # the rest expired (max age) while we read
                    for msg in msgs:
                        seq = msg.metadata.sequence.stream
                        if seq > last:
                            break  # newer than the dump's start: the next backup's
                        out.write(json.dumps(_message_record(msg), ensure_ascii=False) + "\n")
                        written += 1
            finally:
                await sub.unsubscribe()
    return {
        "file": f"streams/{file.name}",
        "messages": written,
        "last_seq": last,
        "config": info.config.as_dict(),
    }


def _message_record(msg: Any) -> dict[str, Any]:
    return {
        "seq": msg.metadata.sequence.stream,
        "time": msg.metadata.timestamp.isoformat(),
        "subject": msg.subject,
        "headers": dict(msg.headers or {}),
        "data": base64.b64encode(msg.data).decode("ascii"),
    }


# -- restore -----------------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    databases: dict[str, str] = field(default_factory=dict)  # service → what was done
    streams: dict[str, int] = field(default_factory=dict)  # stream → messages republished
    duplicates_dropped: dict[str, int] = field(default_factory=dict)
    consumers: dict[str, int] = field(default_factory=dict)  # "STREAM/name" → start sequence


async def restore(
    source: Path,
    settings: Settings,
    services: list[str],
    parts: tuple[str, ...] = PARTS,
    *,
    replace: bool = False,
    pg_bin: str | None = None,
) -> RestoreReport:
    """Restore `services`' databases and/or the streams from the backup in `source`.

    The targets are where the settings point (`<SERVICE>_DATABASE_URL`, NATS_URL); the services must
    be stopped. A database or stream that already holds data is refused unless `replace`. The durable
    consumers are made again where the backup found them: with the streams restored, at the new
    sequence of the first message they had not acknowledged; with only databases restored, on the
    streams as they are, so the restored services read again what came after their backup."""
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: unknown backup format {manifest.get('format')!r}")
    report = RestoreReport()
    if "databases" in parts:
        for service, url in _database_urls(services).items():
            entry = manifest["databases"].get(service)
            if entry is None:
                raise BackupError(f"{service}: not in this backup")
            report.databases[service] = await _restore_database(service, url, source, entry, replace, pg_bin)
    nc = await _connect(settings)
    try:
        js = nc.jetstream()
        mapping: dict[str, list[tuple[int, int]]] | None = None
        if "streams" in parts:
            mapping = {}
            for name, entry in manifest["streams"].items():
                mapping[name] = await _restore_stream(js, name, source, entry, settings, replace, report)
        restored_streams = set(mapping) if mapping is not None else set()
        for position in manifest["consumers"]:
            owner = position["name"].split("-", 1)[0]
            if position["stream"] in restored_streams or ("databases" in parts and owner in services):
                start = _start_sequence(position, mapping)
                await _recreate_consumer(js, position, start)
                report.consumers[f"{position['stream']}/{position['name']}"] = start
    finally:
        await nc.close()
    return report


async def _restore_database(
    service: str, url: str, source: Path, entry: dict[str, Any], replace: bool, pg_bin: str | None
) -> str:
    kind = _kind(url)
    if kind != entry["kind"]:
        raise BackupError(f"{service}: the backup is of {entry['kind']}, the target is {kind}")
    file = source / entry["file"]
    if kind == "sqlite":
        target = _sqlite_path(url)
        if target.exists() and target.stat().st_size and not replace:
            raise BackupError(f"{service}: {target} exists; stop the service and give --replace to overwrite it")
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            stale.unlink(missing_ok=True)
        backup_copy = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        restored = sqlite3.connect(target)
        try:
            backup_copy.backup(restored)
        finally:
            restored.close()
            backup_copy.close()
        return f"SQLite file {target} at revision {entry['alembic_revision']}"
    tables = await _pg_fetch(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
    if tables[0][0] and not replace:
        raise BackupError(f"{service}: the database is not empty; stop the service and give --replace")
    uri, env = _libpq(url)
    command = [pg_binary("pg_restore", pg_bin), "--no-owner", "--no-privileges", "--exit-on-error"]
    if tables[0][0]:
        command += ["--clean", "--if-exists"]
    done = subprocess.run([*command, f"--dbname={uri}", str(file)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise BackupError(f"{service}: pg_restore failed: {done.stderr.strip()}")
    return f"PostgreSQL database restored at revision {entry['alembic_revision']}"


async def _restore_stream(
    js: JetStreamContext,
    name: str,
    source: Path,
    entry: dict[str, Any],
    settings: Settings,
    replace: bool,
    report: RestoreReport,
) -> list[tuple[int, int]]:
    """Make the stream as declared and publish its messages again in order; (old seq, new seq) pairs."""
    spec = STREAMS_BY_NAME.get(name)
    if spec is None:
        raise BackupError(f"stream {name} is not one of HalloBot's")
    try:
        info = await js.stream_info(name)
        if info.state.messages and not replace:
            raise BackupError(f"stream {name} holds {info.state.messages} messages; give --replace to delete it")
        await js.delete_stream(name)
    except NotFoundError:
        pass
    config = spec.config(settings.stream_replicas)
    await js.add_stream(config)
    window = config.duplicate_window or 0
    pairs: list[tuple[int, int]] = []
    dropped = 0
    with (source / entry["file"]).open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            headers = {k: v for k, v in record["headers"].items() if not k.startswith("Nats-Expected")}
            data = base64.b64decode(record["data"])
            ack = await js.publish(record["subject"], data, stream=name, headers=headers or None)
            if ack.duplicate and window < 1:
                # WIFI_REPORTS: hosts choose their ids, two reports may share one; the window is 0.1 s.
                await asyncio.sleep(window + 0.05)
                ack = await js.publish(record["subject"], data, stream=name, headers=headers or None)
            if ack.duplicate:
                dropped += 1  # the same Nats-Msg-Id twice in the stream: an earlier copy stands for it
                continue
            pairs.append((record["seq"], ack.seq))
    report.streams[name] = len(pairs)
    if dropped:
        report.duplicates_dropped[name] = dropped
    return pairs


def _start_sequence(position: dict[str, Any], mapping: dict[str, list[tuple[int, int]]] | None) -> int:
    """Where a consumer starts again: the first message after what it had acknowledged."""
    acked = position["acked_through"]
    if mapping is None or position["stream"] not in mapping:
        return int(acked) + 1  # the stream was not restored: its sequences are the backup's
    pairs = mapping[position["stream"]]
    for old, new in pairs:
        if old > acked:
            return new
    return (pairs[-1][1] if pairs else 0) + 1


async def _recreate_consumer(js: JetStreamContext, position: dict[str, Any], start: int) -> None:
    try:
        await js.delete_consumer(position["stream"], position["name"])
    except NotFoundError:
        pass
    config = ConsumerConfig.from_response(dict(position["config"]))
    config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
    config.opt_start_seq = start
    config.opt_start_time = None
    await js.add_consumer(position["stream"], config)


# -- the commands ------------------------------------------------------------------------------------


def run_backup(directory: str, nats_url: str | None, services: list[str] | None, pg_bin: str | None) -> int:
    os.umask(0o077)  # the copies hold personal data
    settings = Settings(nats_url=nats_url) if nats_url else Settings()
    try:
        manifest = asyncio.run(backup(Path(directory), settings, services or list(SERVICES), pg_bin))
    except (BackupError, OSError, nats.errors.Error, sqlite3.Error) as exc:
        print(f"hallobot backup: {exc}", file=sys.stderr)
        return 1
    for service, entry in manifest["databases"].items():
        print(f"{service}: {entry['kind']} → {entry['file']} (revision {entry['alembic_revision']})")
    counts = ", ".join(f"{name} {entry['messages']}" for name, entry in manifest["streams"].items())
    print(f"streams: {counts} messages; {len(manifest['consumers'])} durable consumers' positions")
    return 0


def run_restore(
    directory: str,
    nats_url: str | None,
    services: list[str] | None,
    parts: list[str] | None,
    replace: bool,
    pg_bin: str | None,
) -> int:
    os.umask(0o077)
    settings = Settings(nats_url=nats_url) if nats_url else Settings()
    try:
        report = asyncio.run(
            restore(
                Path(directory),
                settings,
                services or list(SERVICES),
                tuple(parts or PARTS),
                replace=replace,
                pg_bin=pg_bin,
            )
        )
    except (BackupError, OSError, nats.errors.Error, sqlite3.Error) as exc:
        print(f"hallobot restore: {exc}", file=sys.stderr)
        return 1
    for service, what in report.databases.items():
        print(f"{service}: {what}")
    if report.streams:
        print("streams: " + ", ".join(f"{name} {count}" for name, count in report.streams.items()) + " messages")
    for name, count in report.duplicates_dropped.items():
        print(f"{name}: {count} message(s) with a Nats-Msg-Id already restored, left out")
    print(f"{len(report.consumers)} durable consumers made again at their backed-up positions")
    return 0
