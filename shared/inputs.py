"""The one input policy of every service: pydantic types for what a request may carry.

- `Line`: one line of text. No NUL, no control characters (C0, DEL, C1), no line or paragraph
  separators, no bidi embeddings, overrides or isolates, no zero-width or invisible characters;
  stored in Unicode NFC. Lone surrogates never get this far (pydantic refuses them as not UTF-8).
- `Text`: several lines: the same, but `\\n` and tabs are allowed and `\\r\\n`/`\\r` become `\\n`.
- `Email`, `Url`: an address and an http(s) URL under the same character rule.
- `Finite` (floats without NaN or ±Infinity; `1e400` parses as Infinity, so it is refused too),
  `Latitude`, `Longitude`.
- `Instant`, `AwareInstant`, `Day`: dates and times from 1900 to 2200 (wall-clock years), so that
  turning them into UTC, adding a series' months or a title's two years can never overflow.
- `Offset`, `Page`: bounded paging; `Id`: an id in a path or a body.

Each refusal is a `ValueError` with a short sentence that names the problem, never the input (the
error answer must stay printable); pydantic adds the field. Lengths and bounds go on the field,
`name: Line = Field(min_length=1, max_length=200)`, or, for an optional field or an alias, before
the validator: `Annotated[str, Field(max_length=200), LINE] | None` (after it, pydantic would check
them in Python and drop a `pattern` from the schema). Query and path parameters take them too.
See docs/security/inputs.md.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, AnyHttpUrl, AwareDatetime, BeforeValidator, EmailStr, Field

MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_OFFSET = 100_000  # rows skipped by a listing; beyond it a client should narrow its query

# C0 and C1 controls and DEL; U+061C, U+180E and U+200B–U+200F (zero-width, bidi marks);
# U+2028/U+2029 (line and paragraph separators); U+202A–U+202E (bidi embeddings and overrides);
# U+2060–U+206F (word joiner, invisible operators, isolates, deprecated formats); U+FEFF (BOM,
# zero-width no-break space); U+FFF9–U+FFFB (interlinear annotation).
_INVISIBLE = "\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
_NOT_IN_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_NOT_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")  # \t and \n allowed; \r is folded


def _why(character: str) -> str:
    if character == "\x00":
        return "NUL characters are not allowed"
    if unicodedata.category(character) == "Cc":
        return f"control characters are not allowed (U+{ord(character):04X})"
    return f"invisible or text-direction characters are not allowed (U+{ord(character):04X})"


def _nfc(value: str) -> str:
    return value if value.isascii() or unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


def clean_line(value: str) -> str:
    """One line of text, or a ValueError naming what is wrong with it."""
    found = _NOT_IN_LINE.search(value)
    if found:
        raise ValueError(_why(found.group()))
    return _nfc(value)


def clean_text(value: str) -> str:
    """Several lines of text (`\\n`, tabs), or a ValueError naming what is wrong with it."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    found = _NOT_IN_TEXT.search(value)
    if found:
        raise ValueError(_why(found.group()))
    return _nfc(value)


def _clean_raw_line(value: object) -> object:
    """Before a parsing type (an address, a URL) sees the raw string."""
    if isinstance(value, str):
        found = _NOT_IN_LINE.search(value)
        if found:
            raise ValueError(_why(found.group()))
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_text(value: object) -> object:
    """Dates and times come as ISO 8601 text, as the documents say: pydantic would also take a number
    (seconds since 1970) or a numeric string, which the documents do not allow."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("expected a date or time as ISO 8601 text, e.g. 2031-05-04 or 2031-05-04T18:00:00+02:00")


def _number(value: object) -> object:
    """A JSON number, not `true` or `"1.5"` (pydantic would coerce both, the documents allow neither)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    return value


def _in_range(value: datetime) -> datetime:
    # The wall-clock year: from 1900 to 2200 any UTC offset converts without overflow.
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return value


def _day_in_range(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return value


LINE, TEXT = AfterValidator(clean_line), AfterValidator(clean_text)
Line = Annotated[str, LINE]
Text = Annotated[str, TEXT]
Email = Annotated[EmailStr, BeforeValidator(_clean_raw_line), Field(max_length=254)]
Url = Annotated[AnyHttpUrl, BeforeValidator(_clean_raw_line)]

NUMBER = BeforeValidator(_number)  # bounds go before it: Annotated[float, Field(ge=0), NUMBER]
Finite = Annotated[float, Field(allow_inf_nan=False), NUMBER]
Latitude = Annotated[float, Field(allow_inf_nan=False, ge=-90, le=90), NUMBER]
Longitude = Annotated[float, Field(allow_inf_nan=False, ge=-180, le=180), NUMBER]

Instant = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_in_range)]
AwareInstant = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_range)]
Day = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_day_in_range)]

Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
Page = Annotated[int, Field(ge=1, le=10_000)]
Id = Annotated[str, Field(min_length=1, max_length=100), LINE]
