"""`hallobot operator create`: the first account of the console, written to notifications' database
through its use case, so the account event waits in the outbox with the actor `bootstrap`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from pwdlib import PasswordHash


def create(tmp_path, email: str, password: str, *options: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HALLOBOT_DATA_DIR": str(tmp_path), "HALLOBOT_OPERATOR_PASSWORD": password}
    env.pop("NOTIFICATIONS_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "hallobot.cli", "operator", "create", *options, email],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_the_first_admin_is_made_on_the_command_line_and_its_event_waits_in_the_outbox(tmp_path):
    made = create(tmp_path, "Chefin@Bottrop.example", "ein-langes-Passwort", "--role", "admin", "--name", "Frau Chefin")
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(tmp_path / "notifications.sqlite3") as db:
        [(account_id, name, email, role, password_hash)] = db.execute(
            "SELECT id, name, email, role, password_hash FROM operator_accounts"
        ).fetchall()
        [(subject, payload)] = db.execute("SELECT subject, payload FROM outbox").fetchall()
    assert (name, email, role) == ("Frau Chefin", "chefin@bottrop.example", "admin")
    assert password_hash.startswith("$argon2id$") and PasswordHash.recommended().verify(
        "ein-langes-Passwort", password_hash
    )
    event = json.loads(payload)
    assert subject == f"hallobot.notifications.account.created.{account_id}"
    assert event["actor"] == "bootstrap" and event["data"] == {"account_id": account_id, "role": "admin"}
    assert "chefin" not in payload.decode().lower()
    assert account_id in made.stdout


def test_a_second_account_for_the_same_address_or_a_short_password_is_refused_with_a_sentence(tmp_path):
    assert (
        create(tmp_path, "buero@bottrop.example", "ein-langes-Passwort", "--role", "office", "--name", "A").returncode
        == 0
    )
    again = create(tmp_path, "BUERO@bottrop.example", "ein-anderes-Passwort", "--role", "wifi", "--name", "B")
    assert again.returncode == 1 and "schon ein Konto" in again.stderr
    short = create(tmp_path, "kurz@bottrop.example", "zu-kurz", "--role", "wifi", "--name", "C")
    assert short.returncode == 1 and "12 Zeichen" in short.stderr
    assert "Traceback" not in again.stderr + short.stderr
