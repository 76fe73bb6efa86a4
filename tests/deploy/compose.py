"""Read docker-compose.yml the way `docker compose` does, for machines without a Docker engine.

Only what our compose file uses: YAML anchors and merge keys (PyYAML), and compose's variable
interpolation (`${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$$`).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DEPLOY = ROOT / "deploy"

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(ValueError):
    """A `${VAR:?message}` whose variable is unset or empty: compose refuses to start."""


def interpolate(value: str, env: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        present = name in env
        set_and_not_empty = bool(env.get(name))
        if op in (":-", "-"):
            use_default = not set_and_not_empty if op == ":-" else not present
            return arg if use_default else env[name]
        if op in (":?", "?"):
            missing = not set_and_not_empty if op == ":?" else not present
            if missing:
                raise MissingVariable(f"required variable {name} is missing a value: {arg}")
            return env[name]
        if op in (":+", "+"):
            use_alt = set_and_not_empty if op == ":+" else present
            return arg if use_alt else ""
        return env.get(name, "")

    return _VARIABLE.sub(replace, value)


def _interpolate_tree(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _interpolate_tree(value, env) for key, value in node.items()}
    return node


def raw() -> dict[str, Any]:
    """The compose file as YAML (anchors and merge keys resolved), before interpolation."""
    return yaml.safe_load(COMPOSE_FILE.read_text())


def load(env: dict[str, str]) -> dict[str, Any]:
    """The compose file as `docker compose config` would see it with `env` as the .env file."""
    return _interpolate_tree(raw(), env)


def variables(node: Any = None) -> dict[str, set[str]]:
    """Every variable the compose file interpolates, with the operators used on it ('' for `${VAR}`)."""
    found: dict[str, set[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, str):
            for match in _VARIABLE.finditer(node):
                name = match["braced"] or match["bare"]
                if name:
                    found.setdefault(name, set()).add(match["op"] or "")
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)

    walk(raw() if node is None else node)
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def secret_files(
    compose_file: dict[str, Any], service: dict[str, Any], env: dict[str, str], into: Path
) -> dict[str, str]:
    """Compose's `secrets:` of `service` written as files into `into`, each filled from the variable the
    top-level `secrets:` names (`environment: VAR`, read from the .env `env`): {'/run/secrets/<name>':
    the file's path here}, to map the service's *_FILE variables."""
    into.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in service.get("secrets") or []:
        source = compose_file["secrets"][name]
        path = into / name
        path.write_text(env[source["environment"]])
        path.chmod(0o400)
        paths[f"/run/secrets/{name}"] = str(path)
    return paths


def nats_password_variables() -> list[str]:
    """The variables deploy/nats/accounts.conf reads: the nats service's secrets, each filled from the
    .env variable of that name (deploy/nats/with-secrets.sh turns the files back into variables)."""
    top = raw()
    return [top["secrets"][name]["environment"] for name in top["services"]["nats"]["secrets"]]


def command(service: dict[str, Any]) -> list[str]:
    cmd = service["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def published_ports(service: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(host address, host port, container port) of each `ports:` entry."""
    out = []
    for entry in service.get("ports") or []:
        parts = str(entry).split(":")
        address = parts[0] if len(parts) == 3 else "0.0.0.0"
        out.append((address, int(parts[-2]), int(parts[-1].split("/")[0])))
    return out


def healthcheck_url(service: dict[str, Any]) -> str | None:
    """The URL a healthcheck command requests, if it requests one."""
    test = service.get("healthcheck", {}).get("test") or []
    text = " ".join(test) if isinstance(test, list) else test
    match = re.search(r"https?://[^'\"\s)]+", text)
    return match[0] if match else None


def env_example() -> dict[str, str]:
    """Every variable that .env.example names (commented-out optional ones included, as '')."""
    names = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if match:
            names[match[1]] = "" if line.lstrip().startswith("#") else match[2]
    return names


def url_host_port(url: str) -> tuple[str | None, int | None]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


def dockerfile_final_stage() -> list[str]:
    """The instructions of the Dockerfile's last stage (continuation lines joined, comments dropped)."""
    lines, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            lines.append(current.strip())
            current = ""
    last_from = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    return lines[last_from:]
