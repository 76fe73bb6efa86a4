"""`Pages`: how a service renders its pages in the one shared layout (shared/web/templates/layout.html).

Each service makes one `Pages` in its pages module, naming its own templates and catalog; routes
call `pages.render(request, "x.html", status_code=…, **context)`. Every page gets: `lang` and a
gettext bound to it (`{% trans %}`, `_()`), `csrf_field` (the hidden input every form carries),
`honeypot_field`, the date filters (`date`, `datetime`, `time`: Europe/Berlin, never seconds), and
the `path` and `query` for the language switch. Jinja2 autoescapes every value."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from shared.web import csrf
from shared.web.forms import HONEYPOT
from shared.web.i18n import LANGUAGE_COOKIE, LANGUAGES, babel_locale, chosen_language, gettext_for

SHARED_TEMPLATES = Path(__file__).resolve().parent / "templates"
BERLIN = ZoneInfo("Europe/Berlin")
LANGUAGE_COOKIE_MAX_AGE_S = 60 * 60 * 24 * 365
DATE_FORMATS = {"de": "EEEE, d. MMMM y", "en": "EEEE d MMMM y"}
DATETIME_FORMATS = {"de": "EEEE, d. MMMM y, HH:mm 'Uhr'", "en": "EEEE d MMMM y, HH:mm"}
TIME_FORMATS = {"de": "HH:mm 'Uhr'", "en": "HH:mm"}


def berlin(value: datetime) -> datetime:
    return value.astimezone(BERLIN) if value.tzinfo else value.replace(tzinfo=BERLIN)


class Pages:
    """The page renderer of one service: its templates over the shared ones, its catalog over the shared."""

    def __init__(self, templates: Path, locale: Path | None = None, extra_templates: Iterable[Path] = ()) -> None:
        self.locale_dirs = (locale,) if locale else ()
        loader = ChoiceLoader([FileSystemLoader([templates, *extra_templates]), FileSystemLoader(SHARED_TEMPLATES)])
        self.environments = {language: self._environment(loader, language) for language in LANGUAGES}

    def _environment(self, loader: ChoiceLoader, language: str) -> Environment:
        environment = Environment(
            loader=loader,
            autoescape=select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        translations = gettext_for(language, self.locale_dirs)
        environment.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        locale = babel_locale(language)
        environment.filters["date"] = lambda value: format_date(
            value if isinstance(value, date) and not isinstance(value, datetime) else berlin(value),
            DATE_FORMATS[language],
            locale=locale,
        )
        environment.filters["datetime"] = lambda value: format_datetime(
            berlin(value), DATETIME_FORMATS[language], tzinfo=BERLIN, locale=locale
        )
        environment.filters["time"] = lambda value: format_time(
            berlin(value), TIME_FORMATS[language], tzinfo=BERLIN, locale=locale
        )
        environment.globals["lang"] = language
        return environment

    def gettext(self, language: str) -> Any:
        return gettext_for(language, self.locale_dirs).gettext

    def text(self, request: Request, message: str) -> str:
        """`message` (a German msgid) in the language of this request."""
        return str(self.gettext(chosen_language(request))(message))

    def render(self, request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        language = chosen_language(request)
        cookie, new_cookie = csrf.cookie_value(request)
        token = csrf.form_token(request.app.state.settings, cookie)
        page = (
            self.environments[language]
            .get_template(template)
            .render(
                request=request,
                path=request.url.path,
                query={key: value for key, value in request.query_params.items() if key != "lang"},
                csrf_field=Markup('<input type="hidden" name="{}" value="{}">').format(csrf.FIELD, token),
                honeypot_field=honeypot_field(self.gettext(language)),
                errors=context.pop("errors", {}),
                form=context.pop("form", {}),
                **context,
            )
        )
        response = HTMLResponse(page, status_code=status_code)
        production = request.app.state.settings.environment == "production"
        if new_cookie:
            response.set_cookie(
                csrf.COOKIE, cookie, max_age=csrf.COOKIE_MAX_AGE_S, httponly=True, samesite="lax", secure=production
            )
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_MAX_AGE_S, samesite="lax", secure=production
            )
        response.headers["content-language"] = language
        response.headers["vary"] = "Accept-Language, Cookie"
        return response


def honeypot_field(gettext: Any) -> Markup:
    """A field people never see or reach (hidden by site.css, not focusable); bots fill it in."""
    label = gettext("Bitte lassen Sie dieses Feld leer.")
    return Markup(
        '<div class="hp" aria-hidden="true"><label for="hp-{name}">{label}</label>'
        '<input id="hp-{name}" name="{name}" type="text" tabindex="-1" autocomplete="off" value=""></div>'
    ).format(name=HONEYPOT, label=label)
