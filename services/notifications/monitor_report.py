"""The yearly impact report for the city council as PDF (reportlab): every figure of the impact
monitor for one calendar year with its definition, a bar chart (reportlab graphics) and its table."""

from __future__ import annotations

import io
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.notifications.monitor_charts import COLOURS, nice_top
from services.notifications.monitor_figures import Figure
from services.notifications.sentences import Gettext

WIDTH = A4[0] - 4 * cm


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def chart(figure: Figure) -> Drawing | None:
    if not figure.rows or not figure.charted:
        return None
    drawing = Drawing(WIDTH, 6 * cm + 12 * len(figure.charted))
    bars = VerticalBarChart()
    bars.x, bars.y = 30, 12 * len(figure.charted) + 20
    bars.width, bars.height = WIDTH - 40, 5 * cm - 20
    bars.data = [
        [row[position] if row[position] is not None else 0 for row in figure.plot]
        for position in range(len(figure.charted))
    ]
    bars.valueAxis.valueMin = 0
    bars.valueAxis.valueMax = nice_top(max((v for row in figure.plot for v in row if v is not None), default=0.0))
    bars.categoryAxis.categoryNames = [str(row[0])[:12] for row in figure.rows]
    bars.categoryAxis.labels.fontSize = 6
    bars.valueAxis.labels.fontSize = 7
    for position in range(len(figure.charted)):
        bars.bars[position].fillColor = colors.HexColor(COLOURS[position % len(COLOURS)])
    drawing.add(bars)
    legend = Legend()
    legend.x, legend.y = 30, 12 * len(figure.charted)
    legend.fontSize, legend.alignment = 7, "right"
    legend.colorNamePairs = [
        (colors.HexColor(COLOURS[p % len(COLOURS)]), figure.columns[column][:60])
        for p, column in enumerate(figure.charted)
    ]
    drawing.add(legend)
    return drawing


def yearly_report(figures: list[Figure], year: int, made_at: datetime, _: Gettext) -> bytes:
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=_("Wirkungsbericht %(year)d") % {"year": year},
        author=_("Amt für Wirtschaftsförderung und Standortmanagement"),
        leftMargin=2 * cm,
        rightMargin=2 * cm,
    )
    story: list = [  # type: ignore[type-arg]
        Paragraph(escape(_("HalloBot Bottrop: Wirkungsbericht %(year)d") % {"year": year}), styles["Title"]),
        Paragraph(
            escape(
                _("Für den Rat der Stadt Bottrop. Erstellt am %(day)s aus den Ereignissen der Plattform.")
                % {"day": made_at.strftime("%d.%m.%Y")}
            ),
            styles["Normal"],
        ),
        Spacer(1, 0.5 * cm),
    ]
    small = styles["BodyText"].clone("small", fontSize=7, leading=8)
    for figure in figures:
        drawing = chart(figure)
        header = [Paragraph(escape(str(column)), small) for column in figure.columns]
        rows = [[Paragraph(escape(_cell(cell)), small) for cell in row] for row in figure.rows]
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
        block = [
            Paragraph(escape(figure.title), styles["Heading2"]),
            Paragraph(escape(figure.definition), styles["Italic"]),
        ]
        if figure.note:
            block.append(Paragraph(escape(figure.note), styles["Normal"]))
        if drawing is not None:
            block.append(drawing)
        story += [KeepTogether(block), table, Spacer(1, 0.6 * cm)]
    document.build(story)
    return out.getvalue()
