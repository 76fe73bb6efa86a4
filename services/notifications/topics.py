"""What a person can subscribe to, in plain words, and how each choice maps to the API's topics and
filters (domain.py): one choice per subscription, so one confirmation mail confirms exactly one thing.

The choices are built from what the service knows: the sites of its hotspot board and the event
series it heard of. A choice is named by a key that says nothing secret and fits a form field
(`wlan:<hotspot id>`, `reihe:<series>`, `fairtrade`, …); people only ever see its label."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.notifications.sentences import NAME_TO_FOLLOW, Gettext
from shared.web.i18n import N_

WIFI_STATUS = ["wifi.hotspot.status_changed"]
ALL_WIFI = ["wifi.hotspot.status_changed", "wifi.hotspot.incident_opened", "wifi.hotspot.incident_resolved"]
SERIES = ["events.event.published", "events.event.updated", "events.event.cancelled"]
# Choices that do not depend on what the service knows: key → (label, topics)
FIXED = {
    "veranstaltungen": (N_("Alle neuen Veranstaltungen"), ["events.event.published"]),
    "fairtrade": (N_("Fairtrade-Neuigkeiten"), ["fairtrade.*"]),
    "verzeichnis": (N_("Neu im Verzeichnis"), ["directory.business.published"]),
    "wlan": (N_("Störungen an allen WLAN-Hotspots"), ALL_WIFI),
}


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    topics: list[str]
    filters: dict[str, str]


def choices(hotspots: Mapping[str, str], series: Mapping[str, str], _: Gettext) -> list[Choice]:
    """Every choice, in the order of the form: sites, then series, then the rest."""
    found = [
        Choice(
            f"wlan:{hotspot}",
            _("Störungen am WLAN-Hotspot %(site)s") % {"site": name},
            WIFI_STATUS,
            {"hotspot_id": hotspot},
        )
        for hotspot, name in sorted(hotspots.items(), key=lambda item: item[1])
    ]
    found.append(Choice("wlan", _(FIXED["wlan"][0]), ALL_WIFI, {}))
    found += [
        Choice(f"reihe:{slug}", _("Neue Termine der Reihe „%(series)s“") % {"series": title}, SERIES, {"series": slug})
        for slug, title in sorted(series.items(), key=lambda item: item[1])
    ]
    found += [Choice(key, _(label), topics, {}) for key, (label, topics) in FIXED.items() if key != "wlan"]
    return found


def label(
    topics: list[str], filters: Mapping[str, str], hotspots: Mapping[str, str], series: Mapping[str, str], _: Gettext
) -> str:
    """The words for what a subscription hears of (also one made through the API with any topics)."""
    for choice in choices(hotspots, series, _):
        if choice.topics == topics and choice.filters == dict(filters):
            return choice.label
    if filters.get("hotspot_id"):
        return _("Störungen am WLAN-Hotspot %(site)s") % {
            "site": hotspots.get(filters["hotspot_id"]) or _(NAME_TO_FOLLOW)
        }
    areas = {
        "wifi.": N_("Nachrichten zum WLAN"),
        "events.": N_("Nachrichten zu Veranstaltungen"),
        "directory.": N_("Nachrichten aus dem Verzeichnis"),
        "fairtrade.": N_("Fairtrade-Neuigkeiten"),
    }
    named = [_(text) for prefix, text in areas.items() if any(topic.startswith(prefix) for topic in topics)]
    return ", ".join(named) or _("Nachrichten von HalloBot")
