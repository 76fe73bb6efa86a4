"""`hallobot` command line: up, serve, migrate, streams, backup, restore, monitor, docs, catalogs, operator,
host-agent."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

# Only what every command needs: `up` reads no service setting, so pydantic is loaded where one is read.
from shared.service_names import DEFAULT_PORTS, SERVICES

if TYPE_CHECKING:
    from shared.config import Settings


def _serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from hallobot.ports import ensure_free

    os.umask(0o077)  # a SQLite database holds personal data: its files for this user only
    port = args.port or DEFAULT_PORTS[args.service]
    if not ensure_free(args.host, port, f"the {args.service} service"):
        return 2
    uvicorn.run(
        f"services.{args.service}.app:create_app",
        factory=True,
        host=args.host,
        port=port,
        log_config=None,
        timeout_graceful_shutdown=15,
        # Never let uvicorn believe X-Forwarded-For (by default it does from loopback): the client
        # address is decided in one place, shared/client_address.py, under HALLOBOT_TRUSTED_PROXIES.
        proxy_headers=False,
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    import os

    from hallobot.services import settings_for
    from shared.migrations import upgrade

    os.umask(0o077)  # as `serve`: a SQLite file it creates is this user's alone
    for service in args.services or SERVICES:
        upgrade(service, settings_for(service).resolved_database_url())
        print(f"{service}: database at the newest revision")
    return 0


def city_nats_url(environ: Mapping[str, str]) -> str | None:
    """HALLOBOT_CITY_NATS_URL, or the content of the file HALLOBOT_CITY_NATS_URL_FILE names."""
    from shared.config import variables_from_files

    return {**variables_from_files(environ, ["HALLOBOT_CITY_NATS_URL"]), **environ}.get("HALLOBOT_CITY_NATS_URL")


def _streams(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from shared.config import Settings

    # The CITY account's mirrors need its admin user (a URL with credentials, so from the environment,
    # or from the file HALLOBOT_CITY_NATS_URL_FILE names, as every setting);
    # its password is held to the same rules as NATS_URL's (no placeholder in production) and, when
    # the URL names the user only, comes from NATS_PASSWORD (or NATS_PASSWORD_FILE) as NATS_URL's does.
    city_url = city_nats_url(os.environ)
    if city_url:
        city_url = ",".join(Settings(nats_url=city_url).nats_servers())
    return asyncio.run(_declare_streams(Settings(), city_url))


async def _declare_streams(settings: Settings, city_url: str | None) -> int:
    import nats

    from shared.city_streams import ensure_city_mirrors
    from shared.config import SERVICES
    from shared.console import credentials
    from shared.nats_connection import connect_options
    from shared.ratelimit import bucket_name, declare_bucket
    from shared.streams import STREAMS, StreamsNotDeclared, ensure_streams

    options = {"allow_reconnect": False, "connect_timeout": 10, **connect_options(settings)}
    try:
        nc = await nats.connect(settings.nats_servers(), **options)
        try:
            await ensure_streams(nc.jetstream(), settings.stream_replicas)
            # The services' rate-limit buckets: a service may use its bucket, never create it.
            for service in SERVICES:
                await declare_bucket(nc.jetstream(), bucket_name(service), settings.stream_replicas)
            # The console's credential index: notifications writes it, the others read it.
            await credentials.declare_bucket(nc.jetstream(), settings.stream_replicas)
        finally:
            await nc.close()
        print(f"HALLOBOT: {len(STREAMS)} streams as declared ({', '.join(spec.name for spec in STREAMS)})")
        print(f"HALLOBOT: rate-limit buckets in place ({', '.join(bucket_name(s) for s in SERVICES)})")
        print(f"HALLOBOT: credential index in place ({credentials.BUCKET})")
        if city_url:
            city = await nats.connect([url.strip() for url in city_url.split(",")], **options)
            try:
                created = await ensure_city_mirrors(city.jetstream(), settings.stream_replicas)
            finally:
                await city.close()
            print(f"CITY: mirrors of the public streams in place (new: {', '.join(created) or 'none'})")
    except (StreamsNotDeclared, OSError, nats.errors.Error) as exc:
        print(f"hallobot streams: {exc!r}", file=sys.stderr)
        return 1
    return 0


def _backup(args: argparse.Namespace) -> int:
    from hallobot.backup import run_backup

    return run_backup(args.directory, args.nats_url, args.services, args.pg_bin)


def _restore(args: argparse.Namespace) -> int:
    from hallobot.backup import run_restore

    return run_restore(args.directory, args.nats_url, args.services, args.part, args.replace, args.pg_bin)


def _monitor(args: argparse.Namespace) -> int:
    import asyncio

    from services.notifications.monitor_rebuild import rebuild_from_cli

    return asyncio.run(rebuild_from_cli())


def _docs(args: argparse.Namespace) -> int:
    if args.screenshots:
        from pathlib import Path

        from hallobot.screenshots import SCREENSHOTS, write_screenshots

        return write_screenshots(args.url, Path(args.out) if args.out else SCREENSHOTS)
    from hallobot.docs import write_or_check

    return write_or_check(check=args.check)


def _up(args: argparse.Namespace) -> int:
    from hallobot.up import run_up

    return run_up(demo=args.demo)


def _host_agent(args: argparse.Namespace) -> int:
    import logging
    from pathlib import Path

    from services.wifi.agent import DEFAULT_TARGETS, HostAgent

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    buffer = Path(args.buffer or f"hallobot-agent-{args.hotspot}.jsonl")
    agent = HostAgent(
        args.url,
        args.hotspot,
        args.token,
        buffer,
        targets=tuple(args.check or DEFAULT_TARGETS),
        clients_command=args.clients_command,
    )
    if args.once:
        return 0 if agent.run_once() == 0 else 1
    try:
        agent.run(args.interval)
    except KeyboardInterrupt:
        pass
    return 0


def _catalogs(args: argparse.Namespace) -> int:
    from shared.web.catalogs import PARTS, update

    failing = False
    for part in args.parts or PARTS:
        state = update(part, write=not args.check)
        stale = "; out of date (a text or a source line changed): run `hallobot catalogs`" if state.out_of_date else ""
        print(f"{part}: {state.missing} text(s) without English translation, {state.obsolete} no longer used{stale}")
        failing = failing or bool(state.missing) or state.out_of_date
    return 1 if failing and args.check else 0


def _operator(args: argparse.Namespace) -> int:
    from hallobot.operators import run

    return run(args.email, args.role, args.name, None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hallobot", description="HalloBot, the event backbone of hallo-bot.de")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run everything on this machine (embedded NATS, SQLite, mail sink)")
    up.add_argument("--demo", action="store_true", help="also create demo data")
    up.set_defaults(run=_up)

    serve = commands.add_parser("serve", help="run one service")
    serve.add_argument("service", choices=SERVICES)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None)
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="bring the databases to the newest schema")
    migrate.add_argument("services", nargs="*", metavar="SERVICE", help=", ".join(SERVICES))
    migrate.set_defaults(run=_migrate)

    streams = commands.add_parser(
        "streams", help="declare the JetStream streams (admin credential in NATS_URL; services only check them)"
    )
    streams.set_defaults(run=_streams)

    backup = commands.add_parser(
        "backup", help="copy every service's database and the JetStream streams into DIR, while the system runs"
    )
    restore = commands.add_parser(
        "restore", help="restore databases and streams from a backup DIR (services stopped; fresh servers)"
    )
    for command in (backup, restore):
        command.add_argument("directory", metavar="DIR")
        command.add_argument("--nats-url", help="the admin's NATS URL (default NATS_URL)")
        command.add_argument("--service", dest="services", action="append", choices=SERVICES, help="default all")
        command.add_argument("--pg-bin", help="directory of pg_dump/pg_restore (default HALLOBOT_PG_BIN, else found)")
    restore.add_argument(
        "--part", action="append", choices=("databases", "streams"), help="only this part (repeatable; default both)"
    )
    restore.add_argument("--replace", action="store_true", help="overwrite databases and streams that hold data")
    backup.set_defaults(run=_backup)
    restore.set_defaults(run=_restore)

    monitor = commands.add_parser("monitor", help="the impact monitor of the notifications service")
    monitor.add_argument(
        "action", choices=["rebuild"], help="rebuild: drop its figures and audit trail, read the streams again"
    )
    monitor.set_defaults(run=_monitor)

    docs = commands.add_parser("docs", help="write the OpenAPI and AsyncAPI documents to docs/")
    docs.add_argument("--check", action="store_true", help="fail when docs/ differs from the code")
    docs.add_argument(
        "--screenshots",
        action="store_true",
        help="instead: a screenshot of each page type into docs/screenshots/ (starts `hallobot up --demo`; Playwright)",
    )
    docs.add_argument("--url", help="with --screenshots: a running HalloBot's front door instead of a new one")
    docs.add_argument("--out", help="with --screenshots: another directory than docs/screenshots/")
    docs.set_defaults(run=_docs)

    catalogs = commands.add_parser(
        "catalogs", help="add new page and mail texts to the English message catalogs (locale/en/…/messages.po)"
    )
    catalogs.add_argument("parts", nargs="*", metavar="PART", help="shared/web or services/<name>; default all")
    catalogs.add_argument(
        "--check",
        action="store_true",
        help="change no file; exit 1 while a text has no translation or a catalog is out of date (source lines too)",
    )
    catalogs.set_defaults(run=_catalogs)

    operator = commands.add_parser("operator", help="the console's operator accounts")
    operator_commands = operator.add_subparsers(dest="operator_command", required=True)
    create = operator_commands.add_parser(
        "create", help="make an account (e.g. the first admin); asks for name and password unless given"
    )
    create.add_argument("email", metavar="EMAIL")
    create.add_argument("--role", required=True, choices=("admin", "office", "events", "wifi"))
    create.add_argument("--name", help="the person's name (else asked)")
    create.set_defaults(run=_operator)
    # the password: HALLOBOT_OPERATOR_PASSWORD for scripts (never an option: it would show in `ps`), else asked

    agent = commands.add_parser("host-agent", help="report a Wifi4EU hotspot's status every interval (run by the host)")
    agent.add_argument("--hotspot", required=True, help="the hotspot id")
    agent.add_argument("--token", required=True, help="the host credential shown when the hotspot was created")
    agent.add_argument("--url", default="http://127.0.0.1:8003", help="the wifi service")
    agent.add_argument("--interval", type=float, default=60.0, help="seconds between reports (default 60)")
    agent.add_argument("--check", action="append", metavar="HOST:PORT", help="uplink check target (repeatable)")
    agent.add_argument("--clients-command", help="shell command printing the number of connected clients")
    agent.add_argument("--buffer", help="file for reports not yet delivered")
    agent.add_argument("--once", action="store_true", help="send one report (and the buffer), then exit")
    agent.set_defaults(run=_host_agent)

    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
