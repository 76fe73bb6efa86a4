"""The map on /wlan, drawn on the server as SVG from the sites' coordinates: no tiles, no script, nothing
from a third party. The sites are projected into the bounding box of all of them (plus a margin for
the labels), with a scale bar in metres; labels that would overlap are pushed down."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

WIDTH = 640.0
MARGIN = 48.0
MIN_HEIGHT, MAX_HEIGHT = 280.0, 520.0
METRES_PER_DEGREE = 111_320.0  # of latitude, and of longitude at the equator
LABEL_CHAR_WIDTH = 7.5  # an estimate for 13 px system fonts: enough to keep labels apart
LABEL_HEIGHT = 34.0  # two lines: the name and the state
NICE_METRES = (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000)


@dataclass(frozen=True)
class Marker:
    site: dict[str, Any]
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str  # "start": label right of the marker, "end": left of it


@dataclass(frozen=True)
class MapLayout:
    width: float
    height: float
    markers: list[Marker]
    scale_metres: int
    scale_length: float


def layout(sites: Sequence[dict[str, Any]], label_width: dict[str, float] | None = None) -> MapLayout:
    """Where each site (with `latitude`, `longitude`, `id`) goes on a WIDTH-wide map. `label_width`: the
    width of each site's label by id (estimated from the site name when not given)."""
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
    widths = label_width or {}
    markers = _labelled(points, widths, height)
    metres, length = _scale_bar(factor)
    return MapLayout(WIDTH, height, markers, metres, length)


Point = tuple[dict[str, Any], float, float]  # a site and where it is on the map


def _labelled(points: list[Point], widths: dict[str, float], height: float) -> list[Marker]:
    placed: list[tuple[float, float, float, float]] = []  # boxes: left, top, right, bottom
    markers = []
    for site, x, y in sorted(points, key=lambda point: (point[2], point[1])):
        width = widths.get(site["id"], LABEL_CHAR_WIDTH * len(site.get("site_name", "")))
        anchor = "end" if x + 14 + width > WIDTH - 4 and x - 14 - width >= 4 else "start"
        left = x + 14 if anchor == "start" else x - 14 - width
        top = y - 12
        for _ in range(40):
            box = (left, top, left + width, top + LABEL_HEIGHT)
            if not any(_overlap(box, other) for other in placed):
                break
            top += 8
        top = min(top, height - LABEL_HEIGHT)
        placed.append((left, top, left + width, top + LABEL_HEIGHT))
        label_x = x + 14 if anchor == "start" else x - 14
        markers.append(Marker(site, round(x, 1), round(y, 1), round(label_x, 1), round(top + 12, 1), anchor))
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
