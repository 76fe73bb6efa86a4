"""Pages as a person sees them: Debian's headless Chromium driven by Playwright (no browser download),
and axe-core (axe-playwright-python, bundled, nothing fetched) for accessibility."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}  # the narrowest common phone


def chromium_path() -> str:
    """Debian's chromium; installed here when missing and we may (root with apt-get), else a clear failure."""
    if not os.path.exists(CHROMIUM) and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update"], check=True, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
            check=True,
            capture_output=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"the page tests need Debian's chromium at {CHROMIUM}: apt-get install -y chromium")
    return CHROMIUM


async def launch(playwright):
    return await playwright.chromium.launch(executable_path=chromium_path(), args=ARGS)


async def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (empty when it passes)."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation.get("impact") in ("serious", "critical")
    ]
