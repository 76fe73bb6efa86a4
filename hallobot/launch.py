"""The four services as children of `hallobot up`: each is `python -m hallobot.cli serve <service>` on
127.0.0.1 behind the front door (hallobot/frontdoor.py), with its port, its internal port (/metrics,
detailed /readyz), its log file and its SQLite file in the data dir; `up` waits until every `/readyz`
answers 200 (HALLOBOT_UP_TIMEOUT_S, 60 s by default) and, when one does not, shows the detailed
readiness from the internal port."""

from __future__ import annotations

import sys

from hallobot.plan import HOST, Plan, UpError
from hallobot.preloaded import ForkRequest, fork_services
from hallobot.supervise import Child, Interrupted, Stopper, base_env, check_running, http_get, open_log, spawn
from shared.retry import wait_until
from shared.service_names import SERVICES

TRUSTED_PROXIES = f"{HOST}/32"  # the front door, on this machine


def service_env(plan: Plan) -> dict[str, str]:
    env = base_env()
    env.update(
        HALLOBOT_DATA_DIR=str(plan.data_dir),
        NATS_URL=plan.nats_url,
        HALLOBOT_OPERATOR_TOKEN=plan.operator_token,
        SMTP_HOST=plan.smtp_host,
        SMTP_PORT=str(plan.smtp_port),
        # Links in pages and mails point at the front door; behind it, the client of a request is
        # the one Caddy names in X-Forwarded-For (so rate limits count people, not Caddy). Only
        # loopback can reach the services' ports, so only loopback is trusted.
        HALLOBOT_SITE_URL=plan.site_url,
        HALLOBOT_TRUSTED_PROXIES=TRUSTED_PROXIES,
    )
    if plan.embedded_sink:  # the local sink speaks plain SMTP without login, whatever the shell says
        env["SMTP_TLS"] = "none"
        for name in ("SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_CA_FILE"):
            env.pop(name, None)
    return env


def start_services(plan: Plan, env: dict[str, str]) -> dict[str, Child]:
    """`hallobot serve <service>` for each of the four: forked from the fork server
    (hallobot/preloaded.py) or, with HALLOBOT_UP_START=exec, each as an interpreter of its own."""
    requests = [_request(plan, service, env) for service in SERVICES]
    if not plan.fork_services:
        return {
            r.name: spawn(r.name, [sys.executable, "-m", "hallobot.cli", *r.cli_args], r.env, r.log_path)
            for r in requests
        }
    for r in requests:
        open_log(r.log_path, r.name, "hallobot " + " ".join(r.cli_args) + " (forked from the fork server)").close()
    forked = fork_services(requests)
    return {r.name: Child(r.name, forked[r.name], r.log_path) for r in requests}


def _request(plan: Plan, service: str, env: dict[str, str]) -> ForkRequest:
    cli_args = ["serve", service, "--host", HOST, "--port", str(plan.service_ports[service])]
    own = {**env, "HALLOBOT_INTERNAL_HOST": HOST, "HALLOBOT_INTERNAL_PORT": str(plan.internal_ports[service])}
    own_modules = (f"services.{service}.config", f"services.{service}.app")  # hallobot/services.py
    return ForkRequest(service, cli_args, own, plan.log_dir / f"{service}.log", own_modules)


def wait_for_services(plan: Plan, services: dict[str, Child], stopper: Stopper) -> None:
    """Until every service's /readyz answers 200; UpError naming those that did not, with their logs."""
    pending = dict(services)
    last: dict[str, str] = {name: "no answer yet" for name in services}

    def all_ready() -> bool:
        if stopper.requested:
            raise Interrupted
        for name, child in list(pending.items()):
            check_running(child)
            try:
                status, text = http_get(f"{plan.service_url(name)}/readyz")
            except Exception as exc:
                last[name] = f"no answer ({type(exc).__name__})"
                continue
            if status == 200:
                del pending[name]
            else:
                last[name] = f"{status} {text[:200]}"
        return not pending

    if wait_until(all_ready, every_s=0.1, within_s=plan.ready_timeout_s, sleep=stopper.sleep):
        return
    for name, child in pending.items():
        detail = _detail(plan, name)
        print(
            f"hallobot: {name} is not ready after {plan.ready_timeout_s:.0f} s "
            f"(/readyz: {last[name]}{'; in detail: ' + detail if detail else ''}). Last lines of {child.log_path}:",
            file=sys.stderr,
        )
        print("    " + child.log_tail().rstrip().replace("\n", "\n    "), file=sys.stderr)
    raise UpError(f"hallobot: not ready: {', '.join(pending)}", 1)


def _detail(plan: Plan, service: str) -> str:
    """The detailed readiness (which dependency is missing, and why), from the internal port."""
    try:
        return http_get(f"{plan.internal_url(service)}/readyz")[1][:300]
    except Exception:
        return ""
