"""The directory's page renderer, shared by its page modules (pages_public.py, pages_fairtrade.py and
the owner's pages): its templates and English catalog over the shared ones. The routers are listed in
app.py (`pages=[...]`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from babel.dates import format_date

from shared.web import Pages
from shared.web.i18n import babel_locale

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates" / "pages"
LOCALE = HERE / "locale"
DAY_FORMATS = {"de": "EEEE, d. MMMM", "en": "EEEE d MMMM"}  # a day of the coming week: no year


def day_filter(language: str) -> Callable[[date], str]:
    locale = babel_locale(language)
    return lambda value: format_date(value, DAY_FORMATS[language], locale=locale)


pages = Pages(TEMPLATES, LOCALE)
for language, environment in pages.environments.items():
    environment.filters["day"] = day_filter(language)
