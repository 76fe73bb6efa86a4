"""Forms that hold up (shared/web/README in docs/architecture.md): read once, checked for CSRF and
the honeypot, validated by a pydantic model, every problem named next to its field in the page's
language, the input kept. Routes stay thin:

    form = await read_form(request)                  # 403 page on a bad CSRF token, 400 on the honeypot
    data, errors = validate(SignUp, form, page.gettext)
    if errors:
        return page.render("signup.html", form=form, errors=errors, status_code=422)
    ... use case ...
    return see_other("/verzeichnis/eintragen/danke")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError

from shared.errors import Forbidden, Invalid
from shared.web import csrf
from shared.web.i18n import N_

HONEYPOT = "homepage"  # hidden from people by CSS and aria-hidden; bots fill it in (no real field is called so)
MAX_FIELDS = 100
Model = TypeVar("Model", bound=BaseModel)
Gettext = Callable[[str], str]


class Form(dict[str, str]):
    """What the browser sent, field by field (the last value of a repeated field; `lists` for all)."""

    def __init__(self, values: dict[str, str], lists: dict[str, list[str]]) -> None:
        super().__init__(values)
        self.lists = lists

    def all(self, name: str) -> list[str]:
        return self.lists.get(name, [])


async def read_form(request: Request, *, honeypot: bool = True) -> Form:
    """The submitted form, after the CSRF check (Forbidden) and the honeypot (Invalid)."""
    raw = await request.form(max_fields=MAX_FIELDS)
    lists: dict[str, list[str]] = {}
    for name, value in raw.multi_items():
        if isinstance(value, str):
            lists.setdefault(name, []).append(value.replace("\r\n", "\n").strip())
    values = {name: items[-1] for name, items in lists.items()}
    settings = request.app.state.settings
    if not csrf.is_valid(settings, request, values.pop(csrf.FIELD, None)):
        raise Forbidden(
            N_("Das Formular ist abgelaufen oder kam nicht von dieser Seite. Bitte laden Sie die Seite neu."),
            field=csrf.FIELD,
        )
    if honeypot and values.pop(HONEYPOT, ""):
        raise Invalid(
            N_("Das versteckte Feld „homepage“ wurde ausgefüllt; so füllen nur Programme aus."), field=HONEYPOT
        )
    return Form(values, lists)


# Per pydantic error type, the sentence a person reads next to the field (German msgids).
MESSAGES: dict[str, str] = {
    "missing": N_("Bitte füllen Sie dieses Feld aus."),
    "string_too_short": N_("Bitte füllen Sie dieses Feld aus."),
    "string_too_long": N_("Dieser Text ist zu lang."),
    "value_error": N_("Bitte prüfen Sie diese Angabe."),
    "literal_error": N_("Bitte wählen Sie einen Eintrag aus der Liste."),
    "enum": N_("Bitte wählen Sie einen Eintrag aus der Liste."),
    "int_parsing": N_("Bitte geben Sie eine ganze Zahl ein."),
    "float_parsing": N_("Bitte geben Sie eine Zahl ein."),
    "bool_parsing": N_("Bitte wählen Sie ja oder nein."),
    "datetime_from_date_parsing": N_("Bitte geben Sie Datum und Uhrzeit an."),
    "datetime_parsing": N_("Bitte geben Sie Datum und Uhrzeit an."),
    "date_parsing": N_("Bitte geben Sie ein Datum an."),
    "greater_than_equal": N_("Dieser Wert ist zu klein."),
    "less_than_equal": N_("Dieser Wert ist zu groß."),
    "string_pattern_mismatch": N_("Bitte prüfen Sie das Format dieser Angabe."),
}
EMAIL_MESSAGE = N_("Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de.")


def message_for(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind == "value_error" and "email" in str(error.get("msg", "")).lower():
        return EMAIL_MESSAGE
    return MESSAGES.get(kind, MESSAGES["value_error"])


def validate(model: type[Model], form: dict[str, Any], gettext: Gettext) -> tuple[Model | None, dict[str, str]]:
    """(the model, {}) or (None, {field: the translated sentence}); empty fields count as not given."""
    data = {name: value for name, value in form.items() if value != ""}
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors(include_url=False, include_input=False):
            location = error.get("loc") or ("form",)
            errors.setdefault(str(location[0]), gettext(message_for(dict(error))))
        return None, errors


def see_other(path: str) -> RedirectResponse:
    """POST, then redirect, then GET: a reload does not send the form again."""
    return RedirectResponse(path, status_code=303)
