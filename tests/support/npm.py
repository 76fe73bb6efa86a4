"""npm packages that tests run against (official schemas and SDKs that PyPI does not ship), installed
once into a cache folder outside the repository and found again on later runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def installed(package: str, version: str) -> Path:
    """The `node_modules` folder that holds `package@version` (npm install on first use)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "hallobot-tests" / f"{package.replace('/', '-').lstrip('@')}-{version}"
    if not (folder / "node_modules" / package / "package.json").exists():
        npm = shutil.which("npm")
        assert npm, f"npm is needed once to fetch {package} (Debian: apt-get install npm)"
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(folder), "--no-save", "--no-audit", "--no-fund", f"{package}@{version}"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return folder / "node_modules"
