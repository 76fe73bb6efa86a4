"""Delivery and pickup offers (the Louise city logistics project), without I/O: the offer's own checks,
its short text forms for the owner's and the office's edit forms, and which `directory.offer.*` event
a step of the life cycle causes.

An offer is a JSON value on the profile (`businesses.offer`, null: none): the delivery area as German
postal codes, time windows (days and times, Europe/Berlin), a minimum order in euro cents, a pickup
point (free text) and a lead time in hours. Offer events are only about published profiles: the whole
offer travels in each, so a logistics system never has to ask back over HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shared.catalog import EventData, Offer, OfferPublished, OfferUpdated, OfferWithdrawn, OfferWithdrawnReason
from shared.errors import Invalid

PUBLISHED = "published"  # domain.PUBLISHED (domain.py imports this module)
# German postal codes run from 01001 to 99998; Bottrop's are 46236–46244.
POSTAL_CODE = re.compile(r"^(0[1-9]|[1-9]\d)\d{3}$")
MAX_POSTAL_CODES = 60
MAX_WINDOWS = 14
MAX_LEAD_TIME_HOURS = 24 * 14
MAX_MINIMUM_ORDER_CENTS = 1_000_000  # 10 000 euro
DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
# A change of one of these on a published profile with an offer is told as `offer.updated`: the
# offer's payload carries them.
CARRIED = ("offer", "name", "category")


def check_offer(offer: Mapping[str, Any] | None) -> None:
    """What a stored offer must satisfy beyond the request model: something to offer, windows in order,
    no postal code twice."""
    if not offer:
        return
    if not offer.get("postal_codes") and not offer.get("pickup_point"):
        raise Invalid(
            "Ein Angebot braucht ein Liefergebiet oder einen Abholort / an offer needs a delivery area or a "
            "pickup point",
            field="offer",
        )
    codes = offer.get("postal_codes") or []
    if len(set(codes)) != len(codes):
        raise Invalid("Postleitzahl doppelt / a postal code is listed twice", field="offer.postal_codes")
    for window in offer.get("windows") or []:
        if window["start"] >= window["end"]:
            raise Invalid(
                f"Zeitfenster {window['start']}–{window['end']}: Ende vor Beginn / the window ends before it starts",
                field="offer.windows",
            )


def normalised(offer: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The stored form: postal codes sorted, days in week order, windows sorted; an empty offer is none."""
    if not offer:
        return None
    windows = [
        {"days": [day for day in DAYS if day in window["days"]], "start": window["start"], "end": window["end"]}
        for window in offer.get("windows") or []
    ]
    return {
        "postal_codes": sorted(offer.get("postal_codes") or []),
        "windows": sorted(windows, key=lambda w: (DAYS.index(w["days"][0]), w["start"], w["end"])),
        "minimum_order_cents": offer.get("minimum_order_cents"),
        "pickup_point": offer.get("pickup_point") or None,
        "lead_time_hours": offer.get("lead_time_hours") or 0,
    }


# --- the forms' text forms ---------------------------------------------------------------------------

DAY_NAMES = {"mo": "Mo", "tu": "Di", "we": "Mi", "th": "Do", "fr": "Fr", "sa": "Sa", "su": "So"}
ENGLISH_DAY_NAMES = {day: day.title() for day in DAYS}  # Mo, Tu, We, Th, Fr, Sa, Su
_DAY_OF = {name.lower(): day for day, name in DAY_NAMES.items()} | {day: day for day in DAYS}
_WINDOW = re.compile(r"^(?P<days>[A-Za-z,\- ]+?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$")


def parse_postal_codes(text: str) -> list[str]:
    """ "46236, 46238 46240" → the codes; each must be a German postal code."""
    codes = list(dict.fromkeys(code for code in re.split(r"[\s,;]+", text.strip()) if code))
    for code in codes:
        if not POSTAL_CODE.match(code):
            raise Invalid(
                f"„{code[:20]}“ ist keine Postleitzahl (5 Ziffern) / not a German postal code (5 digits)",
                field="offer_postal_codes",
            )
    if len(codes) > MAX_POSTAL_CODES:
        raise Invalid(f"höchstens {MAX_POSTAL_CODES} Postleitzahlen / at most", field="offer_postal_codes")
    return codes


def _days(text: str) -> list[str]:
    days: list[str] = []
    for part in (p.strip().lower() for p in text.split(",")):
        first, _, last = part.partition("-")
        if first.strip() not in _DAY_OF or (last and last.strip() not in _DAY_OF):
            raise ValueError(part)
        start = DAYS.index(_DAY_OF[first.strip()])
        end = DAYS.index(_DAY_OF[last.strip()]) if last else start
        if end < start:
            raise ValueError(part)
        days += [day for day in DAYS[start : end + 1] if day not in days]
    return days


def _time(text: str) -> str:
    hours, minutes = (int(part) for part in text.split(":"))
    if not (0 <= hours <= 23 and 0 <= minutes <= 59) and (hours, minutes) != (24, 0):
        raise ValueError(text)
    return f"{hours:02d}:{minutes:02d}"


def parse_windows(text: str) -> list[dict[str, Any]]:
    """ "Mo-Fr 09:00-12:00; Sa 10:00-13:00" (German or English day abbreviations, one window a line or
    separated by ";") → the windows."""
    windows = []
    for line in (part.strip() for part in re.split(r"[;\n]+", text)):
        if not line:
            continue
        match = _WINDOW.match(line)
        try:
            if match is None:
                raise ValueError(line)
            days, start, end = _days(match["days"]), _time(match["start"]), _time(match["end"])
        except ValueError:
            raise Invalid(
                f"Zeitfenster „{line[:40]}“ nicht lesbar, z. B. „Mo-Fr 09:00-12:00“ / unreadable time window, "
                "e.g. “Mo-Fr 09:00-12:00”",
                field="offer_windows",
            ) from None
        if start >= end:
            raise Invalid(
                f"Zeitfenster „{line[:40]}“: Ende vor Beginn / the window ends before it starts", field="offer_windows"
            )
        windows.append({"days": days, "start": start, "end": end})
    if len(windows) > MAX_WINDOWS:
        raise Invalid(f"höchstens {MAX_WINDOWS} Zeitfenster / at most", field="offer_windows")
    return windows


def parse_euro(text: str) -> int | None:
    """ "15", "15,50" or "15.50" euro → cents; empty: none."""
    text = text.strip().removesuffix("€").strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d{1,5})(?:[,.](\d{1,2}))?", text)
    if match is None:
        raise Invalid("Mindestbestellwert in Euro, z. B. 15,00 / minimum order in euro", field="offer_minimum_order")
    cents = int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))
    if cents > MAX_MINIMUM_ORDER_CENTS:
        raise Invalid("Mindestbestellwert zu hoch / minimum order too high", field="offer_minimum_order")
    return cents


def format_windows(windows: list[Mapping[str, Any]], language: str = "de") -> str:
    """The windows as the forms take them; `language` "en": English day abbreviations (read back too)."""
    names = ENGLISH_DAY_NAMES if language == "en" else DAY_NAMES
    return "; ".join(f"{_format_days(w['days'], names)} {w['start']}-{w['end']}" for w in windows)


def _format_days(days: list[str], day_names: Mapping[str, str]) -> str:
    indexes = [DAYS.index(day) for day in days]
    runs: list[list[int]] = []
    for index in indexes:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    names = [day_names[DAYS[run[0]]] + (f"-{day_names[DAYS[run[-1]]]}" if len(run) > 1 else "") for run in runs]
    return ",".join(names)


def format_euro(cents: int | None, language: str = "de") -> str:
    return "" if cents is None else f"{cents // 100}{'.' if language == 'en' else ','}{cents % 100:02d}"


def offer_from_form(form: Mapping[str, str]) -> dict[str, Any] | None:
    """The offer from the edit forms' fields (`offer_…`); all empty: no offer."""
    codes = parse_postal_codes(form.get("offer_postal_codes", ""))
    windows = parse_windows(form.get("offer_windows", ""))
    minimum = parse_euro(form.get("offer_minimum_order", ""))
    point = " ".join(form.get("offer_pickup_point", "").split()) or None
    lead_text = form.get("offer_lead_time_hours", "").strip()
    if not (codes or windows or minimum is not None or point or lead_text):
        return None
    if not lead_text.isdigit() and lead_text:
        raise Invalid("Vorlaufzeit in ganzen Stunden / lead time in whole hours", field="offer_lead_time_hours")
    lead = int(lead_text or 0)
    if lead > MAX_LEAD_TIME_HOURS:
        raise Invalid(f"höchstens {MAX_LEAD_TIME_HOURS} Stunden / at most", field="offer_lead_time_hours")
    if point and len(point) > 200:
        raise Invalid("Abholort: höchstens 200 Zeichen / pickup point: at most 200", field="offer_pickup_point")
    offer = {
        "postal_codes": codes,
        "windows": windows,
        "minimum_order_cents": minimum,
        "pickup_point": point,
        "lead_time_hours": lead,
    }
    check_offer(offer)
    return normalised(offer)


def form_values(offer: Mapping[str, Any] | None, language: str = "de") -> dict[str, str]:
    """The forms' fields of a stored offer (the inverse of `offer_from_form`)."""
    offer = offer or {}
    return {
        "offer_postal_codes": ", ".join(offer.get("postal_codes") or []),
        "offer_windows": format_windows(offer.get("windows") or [], language),
        "offer_minimum_order": format_euro(offer.get("minimum_order_cents"), language),
        "offer_pickup_point": offer.get("pickup_point") or "",
        "offer_lead_time_hours": str(offer["lead_time_hours"]) if offer else "",
    }


# --- events --------------------------------------------------------------------------------------------


def offer_events(
    before: Mapping[str, Any], after: Mapping[str, Any], *, reason: OfferWithdrawnReason = "offer_removed"
) -> list[EventData]:
    """What a step tells the logistics systems: an offer seen by the public before (`before` published
    with an offer) and after. Appears: `published`; goes (offer removed, profile unpublished or archived):
    `withdrawn` with the `reason`; changes (the offer, or the name or category it travels with):
    `updated`. Nothing about a profile the public does not see: unreviewed text never leaves."""
    old = before.get("offer") if before["status"] == PUBLISHED else None
    new = after.get("offer") if after["status"] == PUBLISHED else None
    fields = {"business_id": after["id"], "name": after["name"], "category": after["category"]}
    if new and not old:
        return [OfferPublished(**fields, offer=Offer.model_validate(new))]
    if old and not new:
        told = before if after["status"] != PUBLISHED else after  # the name the public last saw
        return [OfferWithdrawn(business_id=after["id"], name=told["name"], category=told["category"], reason=reason)]
    if new and any(before.get(key) != after.get(key) for key in CARRIED):
        return [OfferUpdated(**fields, offer=Offer.model_validate(new))]
    return []
