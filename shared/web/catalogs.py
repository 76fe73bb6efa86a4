"""The message catalogs: which German texts each part shows, and their English translations.

A part is shared/web or one service; its texts are the `_()`, `gettext()` and `N_()` calls in its
Python modules and the `{% trans %}` / `_()` in its templates; its English catalog is
`<part>/locale/en/LC_MESSAGES/messages.po`. `hallobot catalogs` (see `update`) adds new texts to each
catalog with an empty translation and marks texts no longer used as obsolete; a test fails while any
text has no English translation."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
PARTS = (
    "shared/web",
    "shared/console",
    "services/directory",
    "services/events",
    "services/wifi",
    "services/notifications",
)
METHODS = [
    ("**/migrations/**", "ignore"),
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.txt", "jinja2"),
    ("**.py", "python"),
]
OPTIONS = {
    "**/templates/**.html": {"extensions": "jinja2.ext.i18n"},
    "**/templates/**.txt": {"extensions": "jinja2.ext.i18n"},
}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "text": (2,)}


def catalog_path(part: str, language: str = "en") -> Path:
    return ROOT / part / "locale" / language / "LC_MESSAGES" / "messages.po"


def extracted(part: str) -> Catalog:
    """Every text the part shows, with where it is used."""
    catalog = Catalog(locale="de", project="HalloBot", domain="messages")
    directory = ROOT / part
    for filename, lineno, message, comments, context in extract_from_dir(
        directory, METHODS, options_map=OPTIONS, keywords=KEYWORDS, strip_comment_tags=True
    ):
        if "/locale/" in f"/{filename}" or not message:
            continue
        catalog.add(message, None, [(f"{part}/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def existing(part: str, language: str = "en") -> Catalog:
    path = catalog_path(part, language)
    if not path.exists():
        return Catalog(locale=language, project="HalloBot", domain="messages")
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


@dataclass(frozen=True)
class CatalogState:
    """What `update` found: texts without translation, texts no longer used, and whether the file
    differs from what the part's texts make of it (a new or dropped text, a source line that moved)."""

    missing: int
    obsolete: int
    out_of_date: bool


def update(part: str, language: str = "en", *, write: bool = True) -> CatalogState:
    """Bring the part's catalog up to date with its texts. `write=False` only compares: a check
    changes no file, and a catalog out of date (its source line references too) is said so."""
    template = extracted(part)
    catalog = existing(part, language)
    created = catalog.creation_date
    catalog.update(template, no_fuzzy_matching=True)
    # Babel stamps the extraction time into the header on every update: kept as it was, so that a run
    # that finds no new text leaves the file as it is (no diff in catalogs nobody changed).
    catalog.creation_date = created
    path = catalog_path(part, language)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=120, sort_output=True, ignore_obsolete=True, omit_header=False)
    out_of_date = not path.exists() or path.read_bytes() != buffer.getvalue()
    if write and out_of_date:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue())
    missing = sum(1 for message in catalog if message.id and not message.string)
    return CatalogState(missing, len(catalog.obsolete), out_of_date and not write)


def untranslated(part: str, language: str = "en") -> list[str]:
    """The texts of the part that its catalog (or shared/web's) does not translate."""
    translated = {message.id for message in existing(part, language) if message.id and message.string}
    if part != "shared/web":
        translated |= {message.id for message in existing("shared/web", language) if message.id and message.string}
    return sorted(str(message.id) for message in extracted(part) if message.id and message.id not in translated)
