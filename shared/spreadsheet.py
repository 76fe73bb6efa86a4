"""One CSV format for every export, made for German spreadsheet programs: `;` between fields, UTF-8 with
a byte order mark (so that Excel reads umlauts), and formula escaping (a cell that starts with = + - @
or a control character is prefixed with `'`, so that user text never runs as a formula)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from fastapi.responses import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    """Negative numbers stay numbers (a spreadsheet reads "-3" as -3, never as a formula)."""
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return "\ufeff" + out.getvalue()


def csv_response(header: Sequence[str], rows: Iterable[Sequence[object]], filename: str) -> Response:
    return Response(
        csv_text(header, rows).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
