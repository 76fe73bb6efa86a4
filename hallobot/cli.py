"""`hallobot` command line: up, serve, migrate, docs."""

from __future__ import annotations

import argparse
import sys

from shared.config import DEFAULT_PORTS, SERVICES


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hallobot.ports import ensure_free

    port = args.port or DEFAULT_PORTS[args.service]
    if not ensure_free(args.host, port, f"the {args.service} service"):
        return 2
    uvicorn.run(
        f"services.{args.service}.app:create_app", factory=True, host=args.host, port=port,
        log_config=None, timeout_graceful_shutdown=15,
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from shared.config import service_settings
    from shared.migrations import upgrade

    for service in args.services or SERVICES:
        upgrade(service, service_settings(service).resolved_database_url())
        print(f"{service}: database at the newest revision")
    return 0


def _docs(args: argparse.Namespace) -> int:
    from hallobot.docs import write_or_check

    return write_or_check(check=args.check)


def _up(args: argparse.Namespace) -> int:
    from hallobot.up import run_up

    return run_up(demo=args.demo)


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

    docs = commands.add_parser("docs", help="write the OpenAPI and AsyncAPI documents to docs/")
    docs.add_argument("--check", action="store_true", help="fail when docs/ differs from the code")
    docs.set_defaults(run=_docs)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
