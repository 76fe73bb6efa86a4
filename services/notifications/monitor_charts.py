"""Charts of the impact monitor as SVG, drawn on the server (no script, nothing from elsewhere): grouped
bars, one group per row of a figure's table, one bar per charted column. The table beside each chart
carries the same figures for screen readers and for reading exact values."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from services.notifications.monitor_figures import Figure

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 46
# Colours told apart also by people with the common colour-vision deficiencies (Okabe–Ito).
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def nice_top(value: float) -> float:
    """The axis' top: the next of 1, 2, 2.5, 5 × 10^n at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _number(value: float) -> str:
    return f"{value:g}"


def svg(figure: Figure, chart_id: str) -> Markup:
    series = [figure.columns[index] for index in figure.charted]
    values = [value for row in figure.plot for value in row if value is not None]
    top = nice_top(max(values, default=0.0))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    groups = max(len(figure.rows), 1)
    group_w = inner_w / groups
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1.0)
    parts = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT + 18 * len(series)}" role="img" '
        f'aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg" '
        'font-family="sans-serif" font-size="11">',
        f'<title id="{chart_id}-title">{escape(figure.title)}</title>',
    ]
    for step in range(5):
        value = top * step / 4
        y = TOP + inner_h - inner_h * step / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc"/>')
        label = _number(value) + (f" {figure.unit}" if figure.unit == "%" else "")
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#333">{escape(label)}</text>')
    for index, row in enumerate(figure.rows):
        x0 = LEFT + group_w * index + group_w * 0.1
        for position, bar in enumerate(figure.plot[index]):
            if bar is None:
                continue
            height = inner_h * bar / top
            x, y = x0 + bar_w * position, TOP + inner_h - height
            colour = COLOURS[position % len(COLOURS)]
            told = f"{row[0]}, {series[position]}: {_number(bar)}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}" fill="{colour}">'
                f"<title>{escape(told)}</title></rect>"
            )
        label_x = LEFT + group_w * (index + 0.5)
        label = escape(_short(row[0], group_w))
        parts.append(
            f'<text x="{label_x:.1f}" y="{TOP + inner_h + 14}" text-anchor="middle" fill="#333">{label}</text>'
        )
    for position, name in enumerate(series):
        y = HEIGHT - 12 + 18 * position
        colour = COLOURS[position % len(COLOURS)]
        parts.append(f'<rect x="{LEFT}" y="{y - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{LEFT + 18}" y="{y}" fill="#333">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(label: object, room: float) -> str:
    """A row's name shortened to the room under its group (the table has it in full)."""
    text = str(label)
    fits = max(int(room / 6.5), 3)
    return text if len(text) <= fits else text[: fits - 1] + "…"
