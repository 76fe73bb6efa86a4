"""The host agent: runs on a small machine next to the access point and reports every interval.

`hallobot host-agent --hotspot ID --token TOKEN --url http://wifi:8003` checks the uplink (TCP
connects to well-known resolvers), posts a report, and when the service cannot be reached keeps the
report in a small JSON-lines buffer on disk and resends it, oldest first, once the service answers.
Reports the service refuses for good (4xx other than 401/403/408/429) are dropped with a log line.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger("hallobot.host-agent")
DEFAULT_TARGETS = ("1.1.1.1:53", "9.9.9.9:53", "8.8.8.8:53")
RETRY_LATER = {401, 403, 408, 429}


def uplink_ok(targets: tuple[str, ...], timeout: float = 2.0) -> bool:
    """The uplink works when at least one target accepts a TCP connection."""
    for target in targets:
        host, port = target.rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return True
        except OSError:
            continue
    return False


class HostAgent:
    def __init__(
        self,
        url: str,
        hotspot_id: str,
        token: str,
        buffer_path: Path,
        *,
        targets: tuple[str, ...] = DEFAULT_TARGETS,
        clients_command: str | None = None,
        max_buffer: int = 10_000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.url, self.hotspot_id, self.token = url.rstrip("/"), hotspot_id, token
        self.buffer_path, self.targets, self.clients_command = buffer_path, targets, clients_command
        self.max_buffer, self.clock = max_buffer, clock

    def measure(self) -> dict[str, Any]:
        return {
            "timestamp": self.clock().isoformat(),
            "uplink_ok": uplink_ok(self.targets),
            "clients": self._clients(),
            "backhaul_mbps": None,
            "notes": None,
        }

    def _clients(self) -> int:
        if not self.clients_command:
            return 0
        try:
            out = subprocess.run(self.clients_command, shell=True, capture_output=True, text=True, timeout=10)
            return max(0, int(out.stdout.strip() or 0))
        except (subprocess.SubprocessError, ValueError):
            return 0

    def buffered(self) -> list[dict[str, Any]]:
        if not self.buffer_path.exists():
            return []
        return [json.loads(line) for line in self.buffer_path.read_text().splitlines() if line.strip()]

    def _keep(self, pending: list[dict[str, Any]]) -> None:
        self.buffer_path.parent.mkdir(parents=True, exist_ok=True)
        pending = pending[-self.max_buffer :]  # a long outage keeps the newest reports
        tmp = self.buffer_path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(item) + "\n" for item in pending))
        tmp.replace(self.buffer_path)

    def _send(self, client: httpx.Client, report: dict[str, Any]) -> bool:
        """True when the report is done with (accepted, or refused for good)."""
        try:
            answer = client.post(
                f"{self.url}/hotspots/{self.hotspot_id}/reports",
                json=report,
                headers={"Authorization": f"Bearer {self.token}"},
            )
        except httpx.HTTPError as exc:
            log.warning("service unreachable, report buffered: %r", exc)
            return False
        if answer.status_code < 400:
            return True
        if answer.status_code in RETRY_LATER or answer.status_code >= 500:
            log.warning("report not accepted now (%s), buffered", answer.status_code)
            return False
        log.error("report refused for good (%s): %s", answer.status_code, answer.text[:300])
        return True

    def run_once(self) -> int:
        """Measure, then send the buffer and the new report in order; returns how many remain buffered."""
        pending = [*self.buffered(), self.measure()]
        with httpx.Client(timeout=10) as client:
            while pending and self._send(client, pending[0]):
                pending.pop(0)
        self._keep(pending)
        return len(pending)

    def run(self, interval_s: float) -> None:
        while True:
            started = time.monotonic()
            self.run_once()
            time.sleep(max(0.0, interval_s - (time.monotonic() - started)))
