"""Every public event as one sentence a person reads, in German or English: the live page, its feed
and the subscribers' mails all tell events through `sentence`, never by a type string, an id or a slug.

The texts are German msgids of the service's catalog (locale/en/…/messages.po has the English).
Hotspots and events are named from what the service keeps (`Names`: its hotspot board and the
calendar it heard of); an unknown hotspot is "(Name folgt)", an unknown event "eine Veranstaltung", never an id.
Times are Europe/Berlin, without seconds. A payload that does not fit its type gets a general
sentence rather than an error: the feed passes on whatever the streams carry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from shared.web.i18n import N_, babel_locale, gettext_for
from shared.web.pages import BERLIN, DATETIME_FORMATS, berlin

LOCALE = Path(__file__).resolve().parent / "locale"
Gettext = Callable[[str], str]

STATUS = {
    "up": N_("in Betrieb"),
    "degraded": N_("eingeschränkt"),
    "down": N_("ausgefallen"),
    "maintenance": N_("in Wartung"),
}
UNKNOWN_STATUS = N_("unbekannt")
NAME_TO_FOLLOW = N_("(Name folgt)")
CRITERIA = {
    "council_resolution": N_("Ratsbeschluss"),
    "steering_group": N_("Steuerungsgruppe"),
    "retail_gastronomy": N_("faire Produkte in Geschäften und Gastronomie"),
    "civil_society": N_("Kitas, Schulen, Vereine und Kirchen"),
    "press": N_("Berichte in der Presse"),
}
MILESTONES = {
    "all_criteria_met": N_("Alle fünf Kriterien der Fairtrade-Stadt sind erfüllt"),
    "title_awarded": N_("Bottrop ist Fairtrade-Stadt"),
    "title_renewed": N_("Der Titel Fairtrade-Stadt ist erneuert"),
}
DATE_FORMATS = {"de": "d. MMMM y", "en": "d MMMM y"}


@dataclass
class Names:
    """What the service knows to name things by: hotspot id → site, event id → title, series → the
    title of its latest event."""

    hotspots: dict[str, str] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)
    series: dict[str, str] = field(default_factory=dict)

    def learn(self, event_type: str, data: Mapping[str, Any]) -> None:
        """Take the names an event brings (a hotspot's site, also a new one; an event of the calendar)."""
        if event_type.startswith("wifi.hotspot."):
            self.hotspots.update(carried_sites(data))
        elif event_type.startswith("events.event.") and data.get("event_id") and data.get("title"):
            self.events[str(data["event_id"])] = str(data["title"])

    def lacks(self, event_type: str, data: Mapping[str, Any]) -> bool:
        """Does telling this event need a name not known here?"""
        if event_type.startswith("wifi.hotspot."):
            ids = [data.get("hotspot_id"), *(data.get("hotspot_ids") or [])]
            carried = carried_sites(data)
            return any(i and str(i) not in self.hotspots and str(i) not in carried for i in ids)
        if event_type.startswith("events.registration."):
            return str(data.get("event_id")) not in self.events
        return False


def carried_sites(data: Mapping[str, Any]) -> dict[str, str]:
    """The site names a wifi event carries itself (hotspot id → name; events written before they did carry
    none): newer than any name kept, so they win."""
    found = {str(key): str(value) for key, value in (data.get("site_names") or {}).items() if value}
    if data.get("hotspot_id") and data.get("site_name"):
        found[str(data["hotspot_id"])] = str(data["site_name"])
    return found


def gettext(language: str) -> Gettext:
    translations = gettext_for(language, (LOCALE,))
    return translations.gettext


def sentence(event_type: str, data: Mapping[str, Any], language: str, names: Names | None = None) -> str:
    """The event told as one sentence in `language` ("de" or "en")."""
    _ = gettext(language)
    try:
        told = _tell(event_type, data, language, names or Names(), _)
    except (KeyError, TypeError, ValueError, AttributeError):
        told = None
    return told or _("Neuigkeit bei HalloBot.")


def details(event_type: str, data: Mapping[str, Any], language: str) -> list[str]:
    """Lines a mail carries below the event's sentence: the monthly report's figures, one line per site
    (availability, downtime, outages, maintenance; version 1 reports had the availability only)."""
    if event_type != "wifi.hotspot.monthly_report":
        return []
    _ = gettext(language)
    try:
        return [_site_figures(item, language, _) for item in data["hotspots"]]
    except (KeyError, TypeError, ValueError, AttributeError):
        return []


def _site_figures(item: Mapping[str, Any], lang: str, _: Gettext) -> str:
    def number(value: Any) -> str:
        return format_decimal(float(value), "#,##0.###", locale=babel_locale(lang))

    values = {"site": str(item["site_name"])}
    if item.get("uptime_percent") is None:
        return _("%(site)s: nicht überwacht") % values
    values["availability"] = number(item["uptime_percent"])
    if item.get("incidents") is None:
        return _("%(site)s: %(availability)s %% verfügbar") % values
    return _(
        "%(site)s: %(availability)s %% verfügbar, %(downtime)s Min. Ausfallzeit (Ausfälle: %(incidents)d), "
        "%(maintenance)s Min. Wartung"
    ) % {
        **values,
        "downtime": number(item["downtime_min"]),
        "incidents": int(item["incidents"]),
        "maintenance": number(item["maintenance_min"]),
    }


def _tell(t: str, d: Mapping[str, Any], lang: str, names: Names, _: Gettext) -> str | None:
    if t.startswith("wifi.hotspot."):
        return _wifi(t, d, lang, names, _)
    if t.startswith(("directory.business.", "directory.offer.")):
        return _directory(t, d, _)
    if t.startswith("directory.network."):
        return _network(t, d, _)
    if t.startswith("events."):
        return _events(t, d, lang, names, _)
    if t.startswith("fairtrade."):
        return _fairtrade(t, d, lang, _)
    return None


def site(names: Names, hotspot_id: Any, _: Gettext) -> str:
    """A hotspot's site; one heard of only by its status so far is "(Name folgt)", never its id."""
    return names.hotspots.get(str(hotspot_id)) or _(NAME_TO_FOLLOW)


def status(value: Any, _: Gettext) -> str:
    return _(STATUS.get(str(value), UNKNOWN_STATUS))


def _wifi(t: str, d: Mapping[str, Any], lang: str, names: Names, _: Gettext) -> str | None:
    names = Names({**names.hotspots, **carried_sites(d)})
    if t == "wifi.hotspot.registered":
        return _("Neuer WLAN-Hotspot: %(site)s.") % {"site": d.get("site_name") or _(NAME_TO_FOLLOW)}
    if t == "wifi.hotspot.renamed":
        return _("Der WLAN-Hotspot %(previous)s heißt jetzt %(site)s.") % {
            "previous": d["previous_site_name"],
            "site": d["site_name"],
        }
    if t == "wifi.hotspot.status_changed":
        values = {"site": site(names, d["hotspot_id"], _), "status": status(d["status"], _)}
        if d.get("previous"):
            return _("WLAN-Hotspot %(site)s ist jetzt %(status)s (vorher %(previous)s).") % {
                **values,
                "previous": status(d["previous"], _),
            }
        return _("WLAN-Hotspot %(site)s ist jetzt %(status)s.") % values
    if t == "wifi.hotspot.outage_announced":
        return _("WLAN-Hotspot %(site)s ist ausgefallen: keine Meldung seit %(since)s.") % {
            "site": site(names, d["hotspot_id"], _),
            "since": when(d["since"], lang),
        }
    if t == "wifi.hotspot.recovery_announced":
        return _("WLAN-Hotspot %(site)s ist wieder erreichbar (ausgefallen seit %(since)s).") % {
            "site": site(names, d["hotspot_id"], _),
            "since": when(d["since"], lang),
        }
    if t == "wifi.hotspot.incident_opened":
        sites = sorted(site(names, hotspot, _) for hotspot in d["hotspot_ids"])
        return _("Störung: %(count)d WLAN-Hotspots melden sich gleichzeitig nicht (%(sites)s).") % {
            "count": len(sites),
            "sites": ", ".join(sites),
        }
    if t == "wifi.hotspot.incident_resolved":
        since = when(d["opened_at"], lang)
        if d.get("hotspot_ids"):
            return _("Die Störung der WLAN-Hotspots seit %(since)s ist behoben; wieder erreichbar: %(sites)s.") % {
                "since": since,
                "sites": ", ".join(sorted(site(names, hotspot, _) for hotspot in d["hotspot_ids"])),
            }
        return _("Die Störung der WLAN-Hotspots seit %(since)s ist behoben.") % {"since": since}
    if t == "wifi.hotspot.monthly_report":
        year, month = (int(part) for part in str(d["month"]).split("-"))
        month_name = format_date(date(year, month, 1), "MMMM y", locale=babel_locale(lang))
        return _("Der Monatsbericht der WLAN-Hotspots für %(month)s liegt vor.") % {"month": month_name}
    return None


def _directory(t: str, d: Mapping[str, Any], _: Gettext) -> str | None:
    name = d.get("name")
    if t == "directory.business.registered":
        return _("Ein neuer Eintrag im Verzeichnis wartet auf die Prüfung.")
    if not name:
        return {
            "directory.business.updated": _("Ein Eintrag im Verzeichnis wurde geändert."),
            "directory.business.archived": _("Ein Eintrag im Verzeichnis wurde archiviert."),
        }.get(t)
    message = {
        "directory.offer.published": N_("Neues Liefer- oder Abholangebot: %(name)s."),
        "directory.offer.updated": N_("Liefer- oder Abholangebot geändert: %(name)s."),
        "directory.offer.withdrawn": N_("Liefer- oder Abholangebot zurückgezogen: %(name)s."),
        "directory.business.published": N_("Neu im Verzeichnis: %(name)s."),
        "directory.business.updated": N_("Eintrag geändert: %(name)s."),
        "directory.business.unpublished": N_("Nicht mehr im Verzeichnis: %(name)s."),
        "directory.business.archived": N_("Eintrag archiviert: %(name)s."),
    }.get(t)
    return _(message) % {"name": name} if message else None


def _network(t: str, d: Mapping[str, Any], _: Gettext) -> str | None:
    values = {"network": d["network_name"], "name": d.get("name")}
    if t == "directory.network.member_joined":
        if values["name"]:
            return _("Neues Mitglied im Netzwerk %(network)s: %(name)s.") % values
        return _("Ein Betrieb ist dem Netzwerk %(network)s beigetreten.") % values
    if t == "directory.network.member_left":
        if values["name"]:
            return _("%(name)s ist nicht mehr Mitglied im Netzwerk %(network)s.") % values
        return _("Ein Betrieb hat das Netzwerk %(network)s verlassen.") % values
    return None


def _events(t: str, d: Mapping[str, Any], lang: str, names: Names, _: Gettext) -> str | None:
    if t.startswith("events.event."):
        values = {"title": d["title"], "when": when(d["starts_at"], lang)}
        if t == "events.event.reminder_due":
            return _("Morgen: %(title)s am %(when)s, mit %(count)d Anmeldungen.") % {
                **values,
                "count": int(d["confirmed"]),
            }
        if t == "events.event.attendance_closed":
            if not d.get("attendance_taken"):
                return _("%(title)s am %(when)s: Die Anwesenheit wurde nicht erfasst.") % values
            counts = {"attended": int(d["attended"]), "confirmed": int(d["confirmed"])}
            return _("%(title)s am %(when)s: %(attended)d von %(confirmed)d Angemeldeten kamen.") % (values | counts)
        message = {
            "events.event.published": N_("Neue Veranstaltung: %(title)s am %(when)s."),
            "events.event.updated": N_("Veranstaltung geändert: %(title)s am %(when)s."),
            "events.event.cancelled": N_("Veranstaltung abgesagt: %(title)s am %(when)s."),
        }.get(t)
        return _(message) % values if message else None
    title = names.events.get(str(d.get("event_id")))
    event = {"title": f"„{title}“" if lang == "de" else f"“{title}”"} if title else None
    if t == "events.registration.confirmed":
        return _("Neue Anmeldung zu %(title)s.") % event if event else _("Neue Anmeldung zu einer Veranstaltung.")
    if t == "events.registration.waitlisted":
        return (
            _("Neue Anmeldung auf der Warteliste für %(title)s.") % event
            if event
            else _("Neue Anmeldung auf der Warteliste einer Veranstaltung.")
        )
    if t == "events.registration.promoted":
        return (
            _("Von der Warteliste nachgerückt: ein Platz bei %(title)s.") % event
            if event
            else _("Von der Warteliste nachgerückt: ein Platz bei einer Veranstaltung.")
        )
    if t == "events.registration.cancelled":
        return (
            _("Eine Anmeldung zu %(title)s wurde storniert.") % event
            if event
            else _("Eine Anmeldung zu einer Veranstaltung wurde storniert.")
        )
    turning_up = TURNING_UP.get(t)
    if turning_up:
        return _(turning_up[0]) % event if event else _(turning_up[1])
    return None


# Check-in and reconfirmation: (with the event's title, without it).
TURNING_UP = {
    "events.registration.attended": (
        N_("Angekommen: eine Teilnehmerin oder ein Teilnehmer bei %(title)s."),
        N_("Angekommen: eine Teilnehmerin oder ein Teilnehmer bei einer Veranstaltung."),
    ),
    "events.registration.attendance_undone": (
        N_("Ein Einchecken bei %(title)s wurde zurückgenommen."),
        N_("Ein Einchecken bei einer Veranstaltung wurde zurückgenommen."),
    ),
    "events.registration.reconfirmation_requested": (
        N_("Bitte um Bestätigung der Teilnahme an %(title)s verschickt."),
        N_("Bitte um Bestätigung der Teilnahme an einer Veranstaltung verschickt."),
    ),
    "events.registration.reconfirmed": (
        N_("Teilnahme an %(title)s bestätigt."),
        N_("Teilnahme an einer Veranstaltung bestätigt."),
    ),
    "events.registration.released": (
        N_("Nicht bestätigt: ein Platz bei %(title)s geht an die Warteliste."),
        N_("Nicht bestätigt: ein Platz bei einer Veranstaltung geht an die Warteliste."),
    ),
}


def _fairtrade(t: str, d: Mapping[str, Any], lang: str, _: Gettext) -> str | None:
    if t in ("fairtrade.criterion.met", "fairtrade.criterion.lost"):
        values = {
            "criterion": _(CRITERIA[d["criterion"]]),
            "count": int(d["count"]),
            "target": int(d["target"]),
        }
        if t == "fairtrade.criterion.met":
            return _("Fairtrade-Stadt: Das Kriterium „%(criterion)s“ ist erfüllt (%(count)d von %(target)d).") % values
        return (
            _("Fairtrade-Stadt: Das Kriterium „%(criterion)s“ ist nicht mehr erfüllt (%(count)d von %(target)d).")
            % values
        )
    if t == "fairtrade.milestone.reached":
        return _("%(milestone)s – seit %(on)s.") % {
            "milestone": _(MILESTONES[d["milestone"]]),
            "on": day(d["on"], lang),
        }
    if t == "fairtrade.recertification.due":
        return _("Der Titel Fairtrade-Stadt läuft am %(on)s ab: noch %(days)d Tage bis zur Erneuerung.") % {
            "on": day(d["expires_on"], lang),
            "days": int(d["days_left"]),
        }
    return None


def when(value: Any, lang: str) -> str:
    """A moment as people read it: weekday, date and time in Bottrop, no seconds."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return format_datetime(berlin(moment), DATETIME_FORMATS[lang], tzinfo=BERLIN, locale=babel_locale(lang))


def day(value: Any, lang: str) -> str:
    moment = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return format_date(moment, DATE_FORMATS[lang], locale=babel_locale(lang))
