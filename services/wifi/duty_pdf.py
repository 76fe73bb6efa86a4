"""The Wifi4EU duty as PDF for the funding body (reportlab): per site its obligation period, a bar chart of
the availability per month and the table of every month with the total (queries_duty.py's figures).
Uncompressed pages (`pageCompression=0`): a few kilobytes more, and the text stays searchable as it is."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from babel.dates import format_date
from babel.numbers import format_decimal
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shared.web.i18n import babel_locale

Gettext = Callable[[str], str]
WIDTH = A4[0] - 4 * cm
BAR = colors.HexColor("#1f6f43")


class Words:
    """Numbers and dates in the reader's language (German: 99,865; English: 99.865)."""

    def __init__(self, language: str, gettext: Gettext) -> None:
        self.language, self.locale, self.gettext = language, babel_locale(language), gettext

    def number(self, value: float | None) -> str:
        return "–" if value is None else format_decimal(value, "#,##0.###", locale=self.locale)

    def day(self, value: date) -> str:
        return format_date(value, "dd.MM.yyyy" if self.language == "de" else "d MMM y", locale=self.locale)

    def month(self, month: str) -> str:
        year, number = (int(part) for part in month.split("-"))
        return format_date(date(year, number, 1), "MMM y", locale=self.locale)


def chart(duty: dict[str, Any], words: Words) -> Drawing:
    """Availability per month as bars; months without figures stay empty. The axis starts at 90 % (or
    lower, when a month was worse), so that the differences that matter can be seen."""
    values = [month["availability_percent"] for month in duty["months"]]
    known = [value for value in values if value is not None]
    bottom = min(90, int(min(known, default=100) // 10 * 10))
    drawing = Drawing(WIDTH, 6 * cm)
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 36, 30, WIDTH - 46, 6 * cm - 40
    bars.data = [[value if value is not None else bottom for value in values]]
    bars.valueAxis.valueMin, bars.valueAxis.valueMax = bottom, 100
    bars.valueAxis.valueStep = 2 if bottom >= 90 else 10
    bars.valueAxis.labelTextFormat = lambda value: f"{value:g} %"
    bars.valueAxis.labels.fontSize = 7
    bars.categoryAxis.categoryNames = [words.month(month["month"]) for month in duty["months"]]
    bars.categoryAxis.labels.fontSize = 5
    bars.categoryAxis.labels.angle = 90
    bars.categoryAxis.labels.boxAnchor = "e"
    bars.bars[0].fillColor = BAR
    drawing.add(bars)
    return drawing


def _table(duty: dict[str, Any], words: Words) -> Table:
    _ = words.gettext
    header = [
        _("Monat"),
        _("Verfügbarkeit (%)"),
        _("Ausfallzeit (Min.)"),
        _("Ausfälle"),
        _("Wartung (Min.)"),
        _("nicht überwacht (Std.)"),
    ]

    def row(label: str, figures: dict[str, Any]) -> list[str]:
        return [
            label,
            words.number(figures["availability_percent"]),
            words.number(figures["downtime_min"]),
            str(figures["incidents"]),
            words.number(figures["maintenance_min"]),
            words.number(round(figures["not_monitored_s"] / 3600, 2)),
        ]

    rows = [row(words.month(m["month"]) + (" *" if m["partial"] else ""), m) for m in duty["months"]]
    table = Table([header, *rows, row(_("Gesamt"), duty["total"])], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("LEADING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("LINEBELOW", (0, 1), (-1, -2), 0.25, colors.lightgrey),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
            ]
        )
    )
    return table


def duty_report(duties: list[dict[str, Any]], made_at: datetime, language: str, _: Gettext) -> bytes:
    """One section per site (a page each): title, period, definitions, chart, table."""
    words = Words(language, _)
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=_("Wifi4EU: Nachweis der Verfügbarkeit"),
        author=_("Amt für Wirtschaftsförderung und Standortmanagement"),
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
        pageCompression=0,
    )
    definition = _(
        "Verfügbarkeit = (in Betrieb + eingeschränkt) ÷ (in Betrieb + eingeschränkt + ausgefallen). Wartungszeiten "
        "zählen nicht als Ausfall und stehen gesondert; Ausfälle sind die Zeiträume ohne Verbindung. Monate nach "
        "Ortszeit (Europe/Berlin); * nur ein Teil des Monats liegt im Verpflichtungszeitraum."
    )
    story: list[Any] = []
    for number, duty in enumerate(duties):
        if number:
            story.append(PageBreak())
        period = _("Verpflichtungszeitraum vom %(start)s bis %(end)s") % {
            "start": words.day(duty["start"]),
            "end": words.day(duty["end"] - timedelta(days=1)),
        }
        made = _("Erstellt am %(day)s.") % {"day": words.day(made_at.date())}
        story += [
            Paragraph(escape(_("Wifi4EU: Nachweis der Verfügbarkeit")), styles["Title"]),
            Paragraph(escape(duty["site_name"]), styles["Heading2"]),
            Paragraph(escape(f"{period}. {made}"), styles["Normal"]),
            Paragraph(escape(definition), styles["Italic"]),
            Spacer(1, 0.3 * cm),
            chart(duty, words),
            Spacer(1, 0.3 * cm),
            _table(duty, words),
        ]
    if not duties:
        story.append(Paragraph(escape(_("Noch ist kein Standort angelegt.")), styles["Normal"]))
    document.build(story)
    return out.getvalue()
