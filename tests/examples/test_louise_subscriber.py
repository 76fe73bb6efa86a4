"""examples/louise_subscriber.py against deploy/'s NATS (accounts, TLS) with the streams and CITY's
mirrors declared by `hallobot streams`, and the directory service running as compose runs it: the
subscriber, connected as the read-only `city` user, receives every offer change, catches up after a
restart, and a lost list is rebuilt the same by a replay from the start."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.deploy import compose
from tests.deploy.nats_node import ConfiguredNatsServer, copy_config_dir, install_certificates, set_store_dir
from tests.directory.conftest import FAST_ENV, OPERATOR, profile
from tests.support.services import ROOT, started

SUBSCRIBER = ROOT / "examples" / "louise_subscriber.py"
OFFER = {
    "postal_codes": ["46240", "46236"],
    "windows": [{"days": ["sa", "mo", "tu"], "start": "09:00", "end": "12:00"}],
    "minimum_order_cents": 1500,
    "pickup_point": "Ladenlokal, Hintereingang",
    "lead_time_hours": 24,
}


class World:
    def __init__(self, server: ConfiguredNatsServer, env: dict[str, str], tmp: Path) -> None:
        self.server, self.env, self.tmp = server, env, tmp
        self.directory_url = ""
        self.offers = tmp / "louise" / "offers.json"
        self.started: list[subprocess.Popen] = []

    def url(self, user: str) -> str:
        password = self.env[
            "NATS_OPERATOR_PASSWORD" if user in ("operator", "city-admin") else f"{user.upper()}_NATS_PASSWORD"
        ]
        return f"tls://{user}:{password}@127.0.0.1:{self.server.port}"

    def subscriber(self, *args: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "LOUISE_NATS_URL": f"tls://127.0.0.1:{self.server.port}",
            "LOUISE_NATS_PASSWORD": self.env["CITY_NATS_PASSWORD"],
            "LOUISE_NATS_CA_FILE": str(self.server.ca_file),
            "LOUISE_OFFERS_FILE": str(self.offers),
        }
        log = open(self.tmp / "louise.log", "ab")
        process = subprocess.Popen(
            [sys.executable, str(SUBSCRIBER), *args], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.started.append(process)
        return process

    def listed(self) -> dict[str, dict]:
        return json.loads(self.offers.read_text())["offers"] if self.offers.exists() else {}

    def wait_for(self, expected: dict[str, dict], process: subprocess.Popen, timeout: float = 60) -> dict[str, dict]:
        """Until the list holds exactly these offers (by business id: the offer and name)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert process.poll() is None, (self.tmp / "louise.log").read_text()[-3000:]
            listed = self.listed()
            if {key: (entry["offer"], entry["name"]) for key, entry in listed.items()} == expected:
                return listed
            time.sleep(0.2)
        raise AssertionError(f"the list is {self.listed()}, not {expected}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("louise")
    env = {name: secrets.token_hex(12) for name in compose.nats_password_variables()}
    config_dir = copy_config_dir(tmp / "nats")
    set_store_dir(config_dir / "nats.conf", tmp / "nats-data")
    ca_file = install_certificates(config_dir)
    server = ConfiguredNatsServer(config_dir / "nats.conf", tmp / "nats-data", env, ca_file).start()
    world = World(server, env, tmp)
    directory = None
    try:
        declared = subprocess.run(  # as compose's one-shot: the admin declares the streams and CITY's mirrors
            [sys.executable, "-m", "hallobot.cli", "streams"],
            env={
                **os.environ,
                "NATS_URL": world.url("operator"),
                "HALLOBOT_NATS_CA_FILE": str(ca_file),
                "HALLOBOT_CITY_NATS_URL": world.url("city-admin"),
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert declared.returncode == 0, declared.stdout + declared.stderr
        service_env = {
            "NATS_URL": world.url("directory"),
            "HALLOBOT_NATS_INBOX_PREFIX": "_INBOX_directory",
            "HALLOBOT_NATS_CA_FILE": str(ca_file),
            "HALLOBOT_DATA_DIR": str(tmp / "var"),
            "DIRECTORY_DATABASE_URL": f"sqlite:///{tmp / 'directory.sqlite3'}",
        }
        directory = started("directory", {**FAST_ENV, **service_env}, tmp)
        world.directory_url = directory.url
        yield world
    finally:
        for process in world.started:
            if process.poll() is None:
                process.kill()
        if directory is not None:
            directory.kill()
        server.kill()


def business(http: httpx.Client, name: str, *, publish: bool, **fields) -> str:
    created = http.post("/businesses", json=profile(name=name, **fields), headers=OPERATOR)
    assert created.status_code == 201, created.text
    if publish:
        assert http.post(f"/businesses/{created.json()['id']}/publish", headers=OPERATOR).status_code == 200
    return created.json()["id"]


def edit(http: httpx.Client, business_id: str, **fields) -> None:
    response = http.patch(f"/businesses/{business_id}", json=fields, headers=OPERATOR)
    assert response.status_code == 200, response.text


STORED = {  # OFFER as the directory stores and sends it: codes sorted, days in week order
    **OFFER,
    "postal_codes": ["46236", "46240"],
    "windows": [{"days": ["mo", "tu", "sa"], "start": "09:00", "end": "12:00"}],
}


def test_the_louise_subscriber_receives_every_offer_change_and_catches_up_after_a_restart(world):
    http = httpx.Client(base_url=world.directory_url, timeout=15)
    bakery = business(http, "Bäckerei Louise", publish=True, offer=OFFER)
    butcher = business(http, "Metzgerei Kruse", publish=True, offer={"pickup_point": "Theke", "lead_time_hours": 2})
    draft = business(http, "Noch nicht geprüft", publish=False, offer={"postal_codes": ["46242"]})
    florist = business(http, "Blumen Schmidt", publish=True)  # no offer yet

    subscriber = world.subscriber()
    listed = world.wait_for(
        {
            bakery: (STORED, "Bäckerei Louise"),
            butcher: (
                {
                    "postal_codes": [],
                    "windows": [],
                    "minimum_order_cents": None,
                    "pickup_point": "Theke",
                    "lead_time_hours": 2,
                },
                "Metzgerei Kruse",
            ),
        },
        subscriber,
    )
    assert listed[bakery]["category"] == "einzelhandel" and listed[bakery]["since"]
    stop(subscriber)

    # While it is down: an offer changes, a shop goes offline, the draft is published, an offer is added.
    narrower = {**OFFER, "postal_codes": ["46236"], "minimum_order_cents": 2000}
    edit(http, bakery, offer=narrower)
    assert http.post(f"/businesses/{butcher}/unpublish", headers=OPERATOR).status_code == 200
    assert http.post(f"/businesses/{draft}/publish", headers=OPERATOR).status_code == 200
    edit(http, florist, offer={"postal_codes": ["46244", "46238"], "lead_time_hours": 48})
    expected = {
        bakery: ({**STORED, "postal_codes": ["46236"], "minimum_order_cents": 2000}, "Bäckerei Louise"),
        draft: (
            {
                "postal_codes": ["46242"],
                "windows": [],
                "minimum_order_cents": None,
                "pickup_point": None,
                "lead_time_hours": 0,
            },
            "Noch nicht geprüft",
        ),
        florist: (
            {
                "postal_codes": ["46238", "46244"],
                "windows": [],
                "minimum_order_cents": None,
                "pickup_point": None,
                "lead_time_hours": 48,
            },
            "Blumen Schmidt",
        ),
    }
    subscriber = world.subscriber()
    caught_up = world.wait_for(expected, subscriber)
    stop(subscriber)
    sequence = json.loads(world.offers.read_text())["last_sequence"]

    # The list is lost: the next start replays from the start of the stream and builds the same list.
    world.offers.unlink()
    replay = world.subscriber("--until-idle")
    assert replay.wait(60) == 0, (world.tmp / "louise.log").read_text()[-3000:]
    assert world.listed() == caught_up
    assert json.loads(world.offers.read_text())["last_sequence"] == sequence


def load_subscriber():
    import importlib.util

    spec = importlib.util.spec_from_file_location("louise_subscriber", SUBSCRIBER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_list_applies_each_event_once_in_stream_order_and_survives_a_save(tmp_path):
    louise = load_subscriber()
    offers = louise.OfferList(tmp_path / "offers.json")
    data = {"business_id": "b1", "name": "Bäckerei", "category": "einzelhandel", "offer": STORED}
    prefix = "de.bottrop.hallobot.directory.offer."
    assert offers.apply(3, {"type": prefix + "published", "time": "t1", "data": data})
    assert not offers.apply(3, {"type": prefix + "withdrawn", "time": "t2", "data": data})  # a redelivery
    assert not offers.apply(2, {"type": prefix + "withdrawn", "time": "t0", "data": data})  # an older one
    assert offers.offers["b1"]["offer"] == STORED
    offers.save()
    again = louise.OfferList(tmp_path / "offers.json")
    assert again.last_sequence == 3 and again.offers == offers.offers
    assert again.apply(7, {"type": prefix + "withdrawn", "time": "t3", "data": data | {"reason": "archived"}})
    assert again.offers == {} and again.last_sequence == 7
