"""The renewal dossier of the Fairtrade-Town title for a period (fairtrade_queries.dossier): the same
tables for the console's page, the PDF (reportlab) and the figures as CSV (shared/spreadsheet.py).
Every name is German text of the catalog (labels.py), never a slug."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from babel.dates import format_date

from services.directory.labels import (
    CIVIL_SOCIETY_NAMES,
    CRITERION_NAMES,
    DOSSIER_FIGURE_NAMES,
    TITLE_KIND_NAMES,
)
from shared.web import N_
from shared.web.i18n import babel_locale

Gettext = Callable[[str], str]
DAY_FORMATS = {"de": "dd.MM.yyyy", "en": "d MMM yyyy"}
WHOLE_PERIOD = N_("gesamt")


@dataclass(frozen=True)
class Part:
    """One table of the dossier: a heading, its column names, its rows (text), and what to say if empty."""

    heading: str
    columns: list[str]
    rows: list[list[str]]
    empty: str


def day_of(language: str) -> Callable[[date | None], str]:
    locale = babel_locale(language)
    return lambda value: format_date(value, DAY_FORMATS[language], locale=locale) if value else "–"


def parts(dossier: dict[str, Any], _: Gettext, language: str) -> list[Part]:
    day = day_of(language)
    years = sorted({year for _figure, year, _value in dossier["figures"] if year is not None})
    figures: dict[str, dict[int | None, int]] = {}
    for figure, year, value in dossier["figures"]:
        figures.setdefault(figure, {})[year] = value
    none_yet = _("Keine Einträge im Zeitraum.")
    return [
        Part(
            _("Der Titel: Verleihung und Erneuerungen"),
            [_("Datum"), _("Der Titel wurde")],
            [[day(t["granted_on"]), _(TITLE_KIND_NAMES[t["kind"]])] for t in dossier["titles"]],
            _("Noch keine Verleihung eingetragen."),
        ),
        Part(
            _("Die fünf Kriterien (Stand %(day)s)") % {"day": day(dossier["today"])},
            [_("Kriterium"), _("Stand"), _("Ziel"), _("Erfüllt")],
            [
                [
                    _(CRITERION_NAMES[c["criterion"]]),
                    str(c["count"]),
                    str(c["target"]),
                    _("ja") if c["met"] else _("nein"),
                ]
                for c in dossier["criteria"]
            ],
            "",
        ),
        Part(
            _("Ratsbeschluss"),
            [_("Beschlossen am"), _("Wortlaut des Beschlusses")],
            [[day(dossier["council_resolution_on"]), dossier["council_resolution_text"] or "–"]]
            if dossier["council_resolution_on"]
            else [],
            _("Noch kein Ratsbeschluss eingetragen."),
        ),
        Part(
            _("Mitglieder der Steuerungsgruppe"),
            [_("Organisation oder Rolle")],
            [[member] for member in dossier["steering_group"]],
            _("Noch keine Mitglieder eingetragen."),
        ),
        Part(
            _("Sitzungen der Steuerungsgruppe"),
            [_("Datum"), _("Thema"), _("Teilnehmende")],
            [[day(m["held_on"]), m["topic"], str(m["attendees"])] for m in dossier["meetings"]],
            none_yet,
        ),
        Part(
            _("Aktionen der Zivilgesellschaft"),
            [_("Datum"), _("Wer"), _("Organisation"), _("Was")],
            [
                [day(a["held_on"]), _(CIVIL_SOCIETY_NAMES[a["kind"]]), a["organisation"], a["action"]]
                for a in dossier["actions"]
            ],
            none_yet,
        ),
        Part(
            _("Presse"),
            [_("Datum"), _("Überschrift"), _("Zeitung oder Sender"), _("Adresse im Netz")],
            [[day(p["published_on"]), p["title"], p["outlet"], p["url"] or ""] for p in dossier["press"]],
            none_yet,
        ),
        Part(
            _("Kennzahlen"),
            [_("Kennzahl"), *(str(year) for year in years), _(WHOLE_PERIOD)],
            [
                [_(DOSSIER_FIGURE_NAMES[figure]), *(str(per_year[year]) for year in years), str(per_year[None])]
                for figure, per_year in figures.items()
            ],
            "",
        ),
    ]


def figure_rows(dossier: dict[str, Any], _: Gettext) -> tuple[list[str], list[list[object]]]:
    """The CSV: each figure per calendar year of the period and for the whole period, then the five
    criteria as counted in the current year with their targets."""
    header = [_("Kennzahl"), _("Jahr"), _("Anzahl"), _("Ziel")]
    rows: list[list[object]] = [
        [_(DOSSIER_FIGURE_NAMES[figure]), year if year is not None else _(WHOLE_PERIOD), value, ""]
        for figure, year, value in dossier["figures"]
    ]
    rows += [
        [
            _("Kriterium: %(name)s") % {"name": _(CRITERION_NAMES[c["criterion"]])},
            dossier["today"].year,
            c["count"],
            c["target"],
        ]
        for c in dossier["criteria"]
    ]
    return header, rows


def title_of(dossier: dict[str, Any], _: Gettext, language: str) -> str:
    day = day_of(language)
    return _("Fairtrade-Stadt Bottrop: Dossier zur Erneuerung, %(start)s bis %(end)s") % {
        "start": day(dossier["start"]),
        "end": day(dossier["end"]),
    }


def pdf(dossier: dict[str, Any], _: Gettext, language: str, *, compress: bool = True) -> bytes:
    # reportlab only when a PDF is asked for: imported at start, it cost every directory process about
    # 15 MiB and a tenth of its start-up (bench/README.md, "Start-up and memory").
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    out = io.BytesIO()
    styles = getSampleStyleSheet()
    title = title_of(dossier, _, language)
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=title,
        author=_("Amt für Wirtschaftsförderung und Standortmanagement"),
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        pageCompression=1 if compress else 0,
    )
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    expires = dossier["title_expires_on"]
    story: list[Any] = [
        Paragraph(escape(title), styles["Title"]),
        Paragraph(
            escape(
                _("Einwohnerzahl: %(population)s. Erneuerung fällig bis: %(expires)s.")
                % {"population": dossier["population"], "expires": day_of(language)(expires)}
            ),
            styles["Normal"],
        ),
        Spacer(1, 0.4 * cm),
    ]
    for part in parts(dossier, _, language):
        story.append(Paragraph(escape(part.heading), styles["Heading2"]))
        if not part.rows:
            story.append(Paragraph(escape(part.empty), styles["Normal"]))
            continue
        header = [Paragraph(f"<b>{escape(column)}</b>", small) for column in part.columns]
        rows = [[Paragraph(escape(cell), small) for cell in row] for row in part.rows]
        table = Table([header, *rows], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [table, Spacer(1, 0.4 * cm)]
    document.build(story)
    return out.getvalue()
