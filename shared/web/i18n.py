"""One language per page: German first, English through gettext message catalogs.

The language of a request is, in this order: `?lang=de|en`, the `hallobot_lang` cookie (set when a
page was asked for with `?lang=`), the browser's `Accept-Language`, German. Templates and code are
written in German (the msgids are the German text); `locale/en/LC_MESSAGES/messages.po` of shared/web
and of each service translate them. The .po files are compiled in memory when first needed, so no
build step and no binary .mo file in the repository."""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Request

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
LANGUAGE_COOKIE = "hallobot_lang"
SHARED_LOCALE = Path(__file__).resolve().parent / "locale"


def N_(message: str) -> str:
    """Marks a German text for the catalogs where it is defined; it is translated where it is shown."""
    return message


def chosen_language(request: Request) -> str:
    """The page's language: ?lang=, then the cookie, then Accept-Language, then German."""
    asked = request.query_params.get("lang", "").strip().lower()
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(LANGUAGE_COOKIE, "")
    if remembered in LANGUAGES:
        return remembered
    return language_of_header(request.headers.get("accept-language", ""))


def language_of_header(header: str) -> str:
    """The best of LANGUAGES for an Accept-Language header (quality values respected)."""
    preferred: list[tuple[float, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            preferred.append((-quality + position * 1e-6, tag.strip().replace("_", "-")))
    wanted = [tag for _, tag in sorted(preferred)]
    return negotiate_locale(wanted, list(LANGUAGES), sep="-") or DEFAULT_LANGUAGE


def _compiled(po_file: Path) -> Translations:
    with po_file.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


@lru_cache(maxsize=32)
def translations(language: str, locale_dirs: tuple[Path, ...] = ()) -> NullTranslations:
    """The gettext translations for `language` from shared/web's catalog and those in `locale_dirs`
    (a service's own, whose entries win). German, the source language, needs none."""
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return NullTranslations()
    merged: Translations | None = None
    for directory in (SHARED_LOCALE, *locale_dirs):
        po_file = directory / language / "LC_MESSAGES" / "messages.po"
        if not po_file.exists():
            continue
        one = _compiled(po_file)
        if merged is None:
            merged = one
        else:
            merged.merge(one)
    return merged or NullTranslations()


def gettext_for(language: str, locale_dirs: Iterable[Path] = ()) -> NullTranslations:
    return translations(language, tuple(locale_dirs))


def babel_locale(language: str) -> Locale:
    return Locale.parse("de_DE" if language == "de" else "en_GB")
