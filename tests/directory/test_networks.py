"""The networks (issue 17): the Wirtschaftsallianz and the Fachkräftesicherung as memberships of directory
businesses. Real: one nats-server, the directory, events and notifications services as processes over
HTTP, aiosmtpd, shared by the module (each test uses its own businesses and addresses). A membership
gives the badge and `directory.network.member_joined`; the office's message to the members and the
invitation to a published meeting of the network's series reach the members' mailboxes."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.directory.conftest import OPERATOR, events_of, published, register, start_directory
from tests.directory.test_pages_console import console, csrf
from tests.events.conftest import OPERATOR as EVENTS_OPERATOR
from tests.events.conftest import event_body, start_events
from tests.notifications.conftest import body_text, service_env, start_service, until
from tests.support.nats import running_nats
from tests.support.smtp import SmtpServer

NETWORKS = "/verwaltung/verzeichnis/netzwerke"
ALLIANCE = NETWORKS + "/wirtschaftsallianz"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """nats-server, aiosmtpd, and the three services on SQLite."""
    nats_gen = running_nats(tmp_path_factory)
    nats_server = next(nats_gen)
    smtp = SmtpServer().start()
    tmp = tmp_path_factory.mktemp("networks")
    for part in ("directory", "events", "notifications"):
        (tmp / part).mkdir()
    started = []
    try:
        directory = start_directory(nats_server.url, f"sqlite:///{tmp / 'directory.sqlite3'}", tmp / "directory")
        started.append(directory.process)
        events = start_events(nats_server.url, f"sqlite:///{tmp / 'events.sqlite3'}", tmp / "events")
        started.append(events)
        notifications = start_service(service_env(nats_server.url, smtp.port, tmp / "notifications" / "var"), tmp)
        started.append(notifications)
        yield {"directory": directory, "events": events, "smtp": smtp, "nats": nats_server}
    finally:
        for process in started:
            process.kill()
        smtp.stop()
        next(nats_gen, None)


@pytest.fixture(scope="module")
def directory(stack):
    return stack["directory"]


def address() -> str:
    return f"inhaber-{uuid.uuid4().hex[:8]}@example.org"


def network_mails(smtp: SmtpServer, to: str) -> list:
    """The mails to `to` other than the owner's "published" mail (every test publishes its businesses)."""
    return [mail for mail in smtp.to(to) if not mail["Subject"].startswith(("Ihr Eintrag", "Your listing"))]


def add_member(office: httpx.Client, network: str, business: str) -> httpx.Response:
    page = office.get(f"{NETWORKS}/{network}")
    assert page.status_code == 200, page.text
    return office.post(f"{NETWORKS}/{network}/mitglieder", data={"csrf_token": csrf(page.text), "business": business})


async def test_a_member_gets_the_badge_and_the_public_list_and_its_joining_is_an_event(directory):
    with directory.client() as api, console(directory) as office:
        shop = published(api, name=f"Stahlbau Kruse {uuid.uuid4().hex[:4]}", owner_email=address())
        draft = register(api, name="Entwurf <ungeprüft>", owner_email=address())
        # the office may paste the address of the business's page: the id in it is taken
        added = add_member(office, "wirtschaftsallianz", f"https://hallo-bot.de/verzeichnis/{shop['id']}")
        assert added.status_code == 303 and added.headers["location"] == ALLIANCE + "?erledigt=mitglied"
        assert add_member(office, "wirtschaftsallianz", draft["id"]).status_code == 303
        page = office.get(added.headers["location"]).text
        assert "Der Betrieb ist jetzt Mitglied." in page and shop["name"] in page
        assert "Entwurf &lt;ungeprüft&gt;" in page  # the office sees every member, escaped

        business_page = api.get(f"/verzeichnis/{shop['id']}", headers={"accept": "text/html"}).text
        assert "Mitglied: Wirtschaftsallianz Bottrop" in business_page
        assert 'href="/verzeichnis/netzwerke/wirtschaftsallianz"' in business_page
        english = api.get(f"/verzeichnis/{shop['id']}", params={"lang": "en"}).text
        assert "Member: Wirtschaftsallianz Bottrop" in english
        public = api.get("/verzeichnis/netzwerke/wirtschaftsallianz").text
        assert shop["name"] in public and "Entwurf" not in public  # published members only
        assert api.get("/verzeichnis/netzwerke/gibt-es-nicht").status_code == 404
        index = api.get("/verzeichnis/netzwerke", params={"lang": "en"}).text
        assert 'href="/verzeichnis/netzwerke/fachkraeftesicherung"' in index and "Chamber of Crafts" in index
        other = api.get("/verzeichnis/netzwerke/fachkraeftesicherung").text
        assert shop["name"] not in other

    joined = await events_of(directory.nats_url, "DIRECTORY", "hallobot.directory.network.member_joined.>", 2)
    mine = {body["data"]["business_id"]: body["data"] for body in joined}
    assert mine[shop["id"]] == {
        "network": "wirtschaftsallianz",
        "network_name": "Wirtschaftsallianz Bottrop",
        "business_id": shop["id"],
        "name": shop["name"],
    }
    assert mine[draft["id"]]["name"] is None  # an unreviewed name stays off the public subject
    assert all("@" not in str(body["data"]) for body in joined)


async def test_adding_twice_changes_nothing_and_removing_ends_the_badge_with_an_event(directory):
    with directory.client() as api, console(directory) as office:
        shop = published(api, name=f"Dachdeckerei Weiß {uuid.uuid4().hex[:4]}")
        assert add_member(office, "fachkraeftesicherung", shop["id"]).status_code == 303
        assert add_member(office, "fachkraeftesicherung", shop["id"]).status_code == 303  # already a member
        page = office.get(NETWORKS + "/fachkraeftesicherung").text
        removed = office.post(
            f"{NETWORKS}/fachkraeftesicherung/mitglieder/{shop['id']}/entfernen", data={"csrf_token": csrf(page)}
        )
        assert removed.status_code == 303 and removed.headers["location"].endswith("?erledigt=entfernt")
        assert "Mitglied:" not in api.get(f"/verzeichnis/{shop['id']}").text
    subject = "hallobot.directory.network.member_{}.fachkraeftesicherung"
    joined = await events_of(directory.nats_url, "DIRECTORY", subject.format("joined"), 1)
    left = await events_of(directory.nats_url, "DIRECTORY", subject.format("left"), 1)
    assert [b["data"]["business_id"] for b in joined].count(shop["id"]) == 1
    assert [b["data"]["business_id"] for b in left] == [shop["id"]]
    assert left[0]["actor"] == joined[0]["actor"]  # the office's account, on both


async def test_an_announcement_reaches_each_members_mailbox(stack, directory):
    smtp = stack["smtp"]
    first, second, outsider = address(), address(), address()
    with directory.client() as api, console(directory) as office:
        for owner_email, language in ((first, "de"), (second, "en")):
            name = f"Werkstatt {uuid.uuid4().hex[:4]}"
            shop = published(api, name=name, owner_email=owner_email, owner_language=language)
            assert add_member(office, "fachkraeftesicherung", shop["id"]).status_code == 303
        published(api, owner_email=outsider)  # not a member
        page = office.get(NETWORKS + "/fachkraeftesicherung").text
        sent = office.post(
            NETWORKS + "/fachkraeftesicherung/rundschreiben",
            data={
                "csrf_token": csrf(page),
                "headline": "Ausbildungsbörse im Mai",
                "message": "Liebe Mitglieder,\n\ndie Ausbildungsbörse findet am 12. Mai statt.",
            },
        )
        assert sent.status_code == 303 and sent.headers["location"].endswith("?erledigt=rundschreiben")
        assert "Ausbildungsbörse im Mai" in office.get(sent.headers["location"]).text  # listed as sent
    assert await until(lambda: network_mails(smtp, first) and network_mails(smtp, second))
    (german,) = network_mails(smtp, first)
    assert german["Subject"] == "Netzwerk Fachkräftesicherung: Ausbildungsbörse im Mai"
    assert "die Ausbildungsbörse findet am 12. Mai statt." in body_text(german)
    (english,) = network_mails(smtp, second)
    assert english["Subject"] == "Netzwerk Fachkräftesicherung: Ausbildungsbörse im Mai"
    assert "a message to the members of the network" in body_text(english)
    assert await until(lambda: smtp.to(outsider))  # its "published" mail, and nothing from the network
    assert not network_mails(smtp, outsider)


async def test_publishing_a_meeting_of_the_network_series_invites_the_members_by_mail(stack, directory):
    smtp = stack["smtp"]
    member, other_network, not_member = address(), address(), address()
    with directory.client() as api, console(directory) as office:
        shop = published(api, name=f"Ingenieurbüro Nord {uuid.uuid4().hex[:4]}", owner_email=member)
        assert add_member(office, "wirtschaftsallianz", shop["id"]).status_code == 303
        crafts = published(api, owner_email=other_network)
        assert add_member(office, "fachkraeftesicherung", crafts["id"]).status_code == 303
        published(api, owner_email=not_member)
    with httpx.Client(base_url=stack["events"].url, timeout=15) as events:
        body = event_body(title="Jahrestreffen der Wirtschaftsallianz", series="Wirtschaftsallianz ")
        created = events.post("/events", json=body, headers=EVENTS_OPERATOR)
        assert created.status_code == 201, created.text
        event_id = created.json()["id"]
        assert events.post(f"/events/{event_id}/publish", headers=EVENTS_OPERATOR).status_code == 200
        elsewhere = events.post("/events", json=event_body(series="Workshopreihe"), headers=EVENTS_OPERATOR).json()
        assert events.post(f"/events/{elsewhere['id']}/publish", headers=EVENTS_OPERATOR).status_code == 200
    assert await until(lambda: network_mails(smtp, member))
    (invitation,) = network_mails(smtp, member)
    assert invitation["Subject"] == "Einladung: Jahrestreffen der Wirtschaftsallianz (Wirtschaftsallianz Bottrop)"
    text = body_text(invitation)
    assert f"/veranstaltungen/{event_id}" in text and "10.03.2031 18:00 Uhr" in text
    assert not network_mails(smtp, other_network) and not network_mails(smtp, not_member)
    private = await events_of(directory.nats_url, "PRIVATE", "hallobot.private.directory.business.owner_notice.>", 1)
    invitations = [b["data"] for b in private if b["data"]["kind"] == "network_invitation"]
    assert [notice["email"] for notice in invitations].count(member) == 1
    assert {notice["event_title"] for notice in invitations} == {"Jahrestreffen der Wirtschaftsallianz"}


async def test_the_network_forms_refuse_bad_input_a_missing_token_and_another_role(directory):
    with directory.client() as api, console(directory) as office:
        archived = published(api)
        assert api.post(f"/businesses/{archived['id']}/archive", headers=OPERATOR).status_code == 200
        nonsense = add_member(office, "wirtschaftsallianz", "irgendwas")
        assert nonsense.status_code == 422 and 'id="e-business"' in nonsense.text
        assert 'value="irgendwas"' in nonsense.text
        unknown = add_member(office, "wirtschaftsallianz", str(uuid.uuid4()))
        assert unknown.status_code == 422 and "Einen Eintrag mit dieser Kennung gibt es nicht." in unknown.text
        gone = add_member(office, "wirtschaftsallianz", archived["id"])
        assert gone.status_code == 422 and "archivierter Eintrag" in gone.text
        page = office.get(ALLIANCE).text
        empty = office.post(ALLIANCE + "/rundschreiben", data={"csrf_token": csrf(page), "headline": "Nur Betreff"})
        assert empty.status_code == 422 and 'id="e-message"' in empty.text and 'value="Nur Betreff"' in empty.text
        assert office.get(NETWORKS + "/gibt-es-nicht").status_code == 404
        forged = office.post(ALLIANCE + "/rundschreiben", data={"headline": "Betreff", "message": "Text"})
        assert forged.status_code == 403
        overview = office.get(NETWORKS).text
        assert "Wirtschaftsallianz Bottrop" in overview and "Netzwerk Fachkräftesicherung" in overview
    with console(directory, role="events") as events_staff:
        form = events_staff.get("/verzeichnis/eintragen")
        refused = events_staff.post(
            ALLIANCE + "/rundschreiben", data={"csrf_token": csrf(form.text), "headline": "B", "message": "T"}
        )
        assert refused.status_code == 403
        assert events_staff.get(NETWORKS).status_code == 403
    with httpx.Client(base_url=directory.url, timeout=15, headers={"accept": "text/html"}) as stranger:
        refused = stranger.get(NETWORKS)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/verwaltung/anmelden")


async def test_the_json_api_adds_and_removes_members_for_the_office_only_and_lists_published_ones(directory):
    with directory.client() as api:
        shop = published(api, name=f"Elektro Sander {uuid.uuid4().hex[:4]}")
        path = f"/networks/fachkraeftesicherung/members/{shop['id']}"
        assert api.put(path).status_code == 401
        added = api.put(path, headers=OPERATOR)
        assert added.status_code == 200 and added.json() == {
            "network": "fachkraeftesicherung", "business_id": shop["id"], "member": True, "changed": True,
        }  # fmt: skip
        assert api.put(path, headers=OPERATOR).json()["changed"] is False
        listed = {n["slug"]: n for n in api.get("/networks").json()}
        assert listed["fachkraeftesicherung"]["meeting_series"] == "Fachkräftesicherung"
        assert {"business_id": shop["id"], "name": shop["name"]} in listed["fachkraeftesicherung"]["members"]
        assert api.put(f"/networks/gibt-es-nicht/members/{shop['id']}", headers=OPERATOR).status_code == 404
        assert api.put(f"/networks/wirtschaftsallianz/members/{uuid.uuid4()}", headers=OPERATOR).status_code == 404
        empty = api.post("/networks/fachkraeftesicherung/announcements", json={"headline": "X"}, headers=OPERATOR)
        assert empty.status_code == 422
        removed = api.delete(path, headers=OPERATOR)
        assert removed.status_code == 200 and removed.json()["member"] is False and removed.json()["changed"] is True
        assert api.delete(path, headers=OPERATOR).json()["changed"] is False
