"""`hallobot docs --screenshots`: a picture of each page type, as a person sees it, for the README.

It starts `hallobot up --demo` in a temporary data dir on free ports (or uses a running HalloBot given
with `--url`, the front door's address), opens each page of `PAGES` in headless Chromium (Playwright;
Debian's /usr/bin/chromium when present, else Playwright's own, or `HALLOBOT_CHROMIUM`) and writes
`docs/screenshots/<name>-<language>.png`. A page that does not answer 200 (e.g. not built yet: 404) is
reported and left out, and so is one that is no HTML page (an API at that path); the others are still
written; the exit code is then 1.

Playwright is a test dependency (the `test` extra), imported only here and only when the command runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from hallobot.ports import free_port
from shared.config import SERVICES

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
WINDOW = {"width": 1280, "height": 900}
UP_TIMEOUT_S = 360.0  # the demo loads after the services are ready (up to HALLOBOT_UP_TIMEOUT_S, below)
SETTLE_MS = 400  # after `load`: web fonts are none, but the live page fills its list from the feed


@dataclass(frozen=True)
class Shot:
    """One page type: the file name's stem, its path ({business} and {event} filled from the demo data)
    and the languages to take it in."""

    name: str
    path: str
    languages: tuple[str, ...] = ("de",)


# The lead extends this list as pages are added (docs/pages/frontdoor.md).
PAGES: tuple[Shot, ...] = (
    Shot("start", "/", ("de", "en")),
    Shot("live", "/live"),
    Shot("directory-search", "/verzeichnis", ("de", "en")),
    Shot("business", "/verzeichnis/{business}"),
    Shot("sign-up", "/verzeichnis/eintragen", ("de", "en")),
    Shot("events-calendar", "/veranstaltungen"),
    Shot("event", "/veranstaltungen/{event}", ("de", "en")),
    Shot("wlan", "/wlan"),
    Shot("fairtrade", "/fairtrade"),
    Shot("subscribe", "/abonnieren"),
)


@dataclass
class Outcome:
    written: list[Path]
    failed: dict[str, str]  # file stem -> why


def demo_ids(url: str) -> dict[str, str]:
    """Ids for the placeholders, from the APIs behind the front door: a published business, an upcoming event."""
    ids: dict[str, str] = {}
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as client, contextlib.suppress(Exception):
        items = client.get("/api/directory/businesses", params={"per_page": 1}).json()["items"]
        if items:
            ids["business"] = items[0]["id"]
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as client, contextlib.suppress(Exception):
        after = datetime.now(UTC).isoformat()
        events = client.get("/api/events/events", params={"after": after, "limit": 20}).json()
        chosen = next((e for e in events if e.get("capacity")), events[0] if events else None)
        if chosen:
            ids["event"] = chosen["id"]
    return ids


def take(url: str, out_dir: Path, pages: Iterable[Shot] = PAGES, say: Callable[[str], None] = print) -> Outcome:
    """Write a PNG per page and language into `out_dir`; pages that fail are named in the outcome."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit(
            "hallobot docs --screenshots needs Playwright: install the test extra "
            "(`uv sync --extra test` or `pip install playwright`)."
        ) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    ids = demo_ids(url)
    outcome = Outcome([], {})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            for shot in pages:
                for language in shot.languages:
                    stem = f"{shot.name}-{language}"
                    try:
                        path = shot.path.format(**ids)
                    except KeyError as missing:
                        outcome.failed[stem] = f"no demo {missing.args[0]} to show"
                        say(f"  {stem}: failed, no demo {missing.args[0]} to show")
                        continue
                    why = _one(browser, url, path, language, out_dir / f"{stem}.png")
                    if why:
                        outcome.failed[stem] = why
                        say(f"  {stem}: failed, {path} {why}")
                    else:
                        outcome.written.append(out_dir / f"{stem}.png")
                        say(f"  {stem}: {path}")
        finally:
            browser.close()
    return outcome


def _one(browser: Any, url: str, path: str, language: str, target: Path) -> str | None:
    """None when written, else why not."""
    context = browser.new_context(viewport=WINDOW, locale="de-DE" if language == "de" else "en-GB")
    try:
        page = context.new_page()
        separator = "&" if "?" in path else "?"
        answer = page.goto(f"{url}{path}{separator}lang={language}", wait_until="load", timeout=30_000)
        if answer is None or answer.status != 200:
            return f"answered {answer.status if answer else 'nothing'}"
        kind = answer.headers.get("content-type", "")
        if not kind.startswith("text/html"):  # e.g. an API that answers at a page's path: not a page
            return f"answered {kind.split(';')[0] or 'without a type'}, not a page"
        page.wait_for_timeout(SETTLE_MS)
        page.screenshot(path=str(target))
        return None
    except Exception as exc:  # one page's trouble must not cost the others
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        context.close()


def _chromium() -> str | None:
    given = os.environ.get("HALLOBOT_CHROMIUM")
    if given:
        return given
    return CHROMIUM if os.path.exists(CHROMIUM) else None  # None: Playwright's own browser


@contextlib.contextmanager
def demo_site(say: Callable[[str], None] = print) -> Iterator[str]:
    """`hallobot up --demo` in a temporary data dir on free ports; yields the front door's address."""
    data_dir = Path(tempfile.mkdtemp(prefix="hallobot-screenshots-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"NATS_URL", "SMTP_HOST", "SMTP_PORT", "HALLOBOT_SITE_URL"}
        and not key.endswith("_DATABASE_URL")
        and not (key.startswith("HALLOBOT_") and key.endswith("_PORT"))
    }
    ports = {"WEB": free_port(), "NATS": free_port(), "NATS_MONITOR": free_port(), "SMTP": free_port()}
    for service in SERVICES:
        ports[service.upper()] = free_port()
        ports[f"{service.upper()}_INTERNAL"] = free_port()
    env.update({f"HALLOBOT_{name}_PORT": str(port) for name, port in ports.items()})
    env.update(HALLOBOT_DATA_DIR=str(data_dir / "var"), PYTHONUNBUFFERED="1")
    env.setdefault("HALLOBOT_UP_TIMEOUT_S", "240")  # a busy machine: no hurry, the pictures matter
    log = data_dir / "up.log"
    say(f"hallobot: starting `hallobot up --demo` in {data_dir} (output in {log})")
    with open(log, "wb") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "hallobot.cli", "up", "--demo"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + UP_TIMEOUT_S
        while "demo data loaded" not in log.read_text(errors="replace"):
            if up.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:]
                raise SystemExit(f"hallobot: `hallobot up --demo` did not come up:\n{tail}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{ports['WEB']}"
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGINT)
            try:
                up.wait(60)
            except subprocess.TimeoutExpired:
                up.kill()
                up.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


def write_screenshots(url: str | None = None, out_dir: Path = SCREENSHOTS) -> int:
    """The command: 0 when every page was written, 1 when one failed (the others are written)."""
    with contextlib.ExitStack() as stack:
        site = url.rstrip("/") if url else stack.enter_context(demo_site())
        print(f"hallobot: screenshots of {site} into {out_dir}", flush=True)
        outcome = take(site, out_dir, say=lambda line: print(line, flush=True))
    print(f"hallobot: wrote {len(outcome.written)} screenshot(s) to {out_dir}")
    if outcome.failed:
        print(f"hallobot: {len(outcome.failed)} failed: {', '.join(sorted(outcome.failed))}", file=sys.stderr)
        return 1
    return 0
