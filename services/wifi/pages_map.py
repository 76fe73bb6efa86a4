"""The map on /wlan, drawn on the server as SVG from the sites' coordinates: no tiles, no script, nothing
from a third party. The sites are projected into the bounding box of all of them (plus a margin for
the labels), with a scale bar in metres; labels that would overlap are moved, with a line to their site."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Narrow on purpose: on a 360 px phone the labels stay readable (the style sheet caps the width on
# large screens, so they do not grow huge there).
WIDTH = 440.0
MARGIN = 36.0
MIN_HEIGHT, MAX_HEIGHT = 240.0, 480.0
METRES_PER_DEGREE = 111_320.0  # of latitude, and of longitude at the equator
LABEL_CHAR_WIDTH = 9.0  # an estimate for 14 px bold system fonts: enough to keep labels apart
LINE_HEIGHT = 17.0
LONGEST_LINE = 18  # characters of a site's name on one line of its label
NICE_METRES = (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000)


@dataclass(frozen=True)
class Marker:
    site: dict[str, Any]
    x: float
    y: float
    lines: list[str]  # the label: the site's name (wrapped), then its state
    label_x: float  # the label's left edge
    label_y: float  # the baseline of its first line
    label_width: float

    @property
    def label_height(self) -> float:
        return LINE_HEIGHT * len(self.lines) + 2

    @property
    def leader(self) -> tuple[float, float] | None:
        """Where a line from the marker meets its label, when the label had to move away from it."""
        top, left, right = self.label_y - 13, self.label_x, self.label_x + self.label_width
        beside = left - 20 <= self.x <= left or right <= self.x <= right + 20
        if beside and top - 6 <= self.y <= top + self.label_height + 6:
            return None
        edge = left if self.x <= left + self.label_width / 2 else right
        return edge, round(top + 8 if self.y < top + self.label_height / 2 else top + self.label_height - 4, 1)


@dataclass(frozen=True)
class MapLayout:
    width: float
    height: float
    markers: list[Marker]
    scale_metres: int
    scale_length: float


def layout(sites: Sequence[dict[str, Any]], states: dict[str, str]) -> MapLayout:
    """Where each site (with `id`, `site_name`, `latitude`, `longitude`) goes on a WIDTH-wide map, and
    its label: the name and `states[id]`, the state in words."""
    if not sites:
        return MapLayout(WIDTH, MIN_HEIGHT, [], 100, 0.0)
    middle = math.radians(sum(site["latitude"] for site in sites) / len(sites))
    # Equirectangular around the middle latitude: true to scale over a few kilometres.
    xs = [site["longitude"] * math.cos(middle) for site in sites]
    ys = [-site["latitude"] for site in sites]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    inner = WIDTH - 2 * MARGIN
    if span_x == span_y == 0:
        height, factor = MIN_HEIGHT, 0.0
    else:
        wanted = inner * span_y / span_x if span_x else MAX_HEIGHT
        height = min(max(wanted + 2 * MARGIN, MIN_HEIGHT), MAX_HEIGHT)
        factor = min(inner / span_x if span_x else math.inf, (height - 2 * MARGIN) / span_y if span_y else math.inf)
    # Centred in the frame whichever side limits the scale.
    offset_x = (WIDTH - span_x * factor) / 2
    offset_y = (height - span_y * factor) / 2
    points = [
        (site, offset_x + (x - min(xs)) * factor, offset_y + (y - min(ys)) * factor)
        for site, x, y in zip(sites, xs, ys, strict=True)
    ]
    metres, length = _scale_bar(factor)
    # The north arrow and the scale bar (drawn by _map.html in these corners) are kept free of labels.
    furniture = [(WIDTH - 40, 6, WIDTH - 8, 56), (8, height - 48, 28 + max(length, 40), height - 8)]
    markers = _labelled(points, states, height, furniture)
    return MapLayout(WIDTH, height, markers, metres, length)


def wrapped(name: str, longest: int = LONGEST_LINE) -> list[str]:
    """A site's name in lines of at most `longest` characters where it has spaces to break at."""
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= longest:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [name]


Point = tuple[dict[str, Any], float, float]  # a site and where it is on the map


def _labelled(
    points: list[Point], states: dict[str, str], height: float, furniture: list[tuple[float, float, float, float]]
) -> list[Marker]:
    """Each label right of its marker (left of it, or shifted, where the right side has no room), then
    moved up or down in small steps until it covers no marker and no label placed before it."""
    # boxes: left, top, right, bottom
    placed = [*furniture, *((x - 10, y - 10, x + 10, y + 10) for _, x, y in points)]
    markers = []
    for site, x, y in sorted(points, key=lambda point: (point[2], point[1])):
        lines = [*wrapped(site["site_name"]), states.get(site["id"], "")]
        width = min(LABEL_CHAR_WIDTH * max(len(line) for line in lines), WIDTH - 8)
        label_height = LINE_HEIGHT * len(lines) + 2
        lowest = height - label_height - 2
        right, left_side = min(x + 14, WIDTH - 4 - width), x - 14 - width
        sides = [right] if right == x + 14 or left_side < 4 else [left_side, right]
        sides += [left_side] if left_side >= 4 and left_side not in sides else []
        wanted = min(max(y - 13, 2.0), lowest)
        tops = [wanted + step * 4 * sign for step in range(80) for sign in (1, -1)]
        candidates = [(left, top) for top in tops if 2 <= top <= lowest for left in sides]
        free = (
            (left, top)
            for left, top in candidates
            if not any(_overlap((left, top, left + width, top + label_height), box) for box in placed)
        )
        left, top = next(free, (sides[0], wanted))
        placed.append((left, top, left + width, top + label_height))
        markers.append(Marker(site, round(x, 1), round(y, 1), lines, round(left, 1), round(top + 13, 1), width))
    return markers


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _scale_bar(factor: float) -> tuple[int, float]:
    """A round distance and its length on the map, about a sixth of its width."""
    if factor == 0:
        return 100, 0.0
    per_metre = factor / METRES_PER_DEGREE
    target = WIDTH / 6
    metres = min(NICE_METRES, key=lambda candidate: abs(candidate * per_metre - target))
    return metres, round(metres * per_metre, 1)


def osm_link(latitude: float, longitude: float) -> str:
    """The place on openstreetmap.org (a plain link: nothing is loaded from there unless it is followed)."""
    return (
        f"https://www.openstreetmap.org/?mlat={latitude:.5f}&mlon={longitude:.5f}#map=18/{latitude:.5f}/{longitude:.5f}"
    )
