"""Errors as pages: a person whose browser asked for a page (Accept: text/html) gets the error in the
shared layout and their language, with the same status code an API client gets as JSON
(shared/http.py decides, this module only renders)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from shared.web.i18n import N_
from shared.web.pages import SHARED_TEMPLATES, Pages

HEADINGS = {
    400: N_("Die Anfrage war fehlerhaft"),
    401: N_("Bitte melden Sie sich an"),
    403: N_("Nicht erlaubt"),
    404: N_("Seite nicht gefunden"),
    405: N_("Das geht hier nicht"),
    409: N_("Das geht gerade nicht"),
    413: N_("Die Angaben sind zu groß"),
    422: N_("Bitte prüfen Sie Ihre Angaben"),
    429: N_("Zu viele Anfragen"),
    500: N_("Ein Fehler ist aufgetreten"),
    503: N_("Gerade ist sehr viel los"),
}
# Said instead of a framework's English text ("Not Found", "Method Not Allowed").
PLAIN = {
    404: N_("Diese Seite gibt es nicht oder nicht mehr."),
    405: N_("Diese Seite nimmt keine solche Anfrage an."),
    500: N_("Das lag nicht an Ihnen. Der Fehler wurde aufgezeichnet; bitte versuchen Sie es später noch einmal."),
    503: N_(
        "Gerade kommen sehr viele Anfragen auf einmal. Es wurde nichts gespeichert; "
        "bitte senden Sie es in einem Moment noch einmal."
    ),
}
GENERIC = N_("Eine Angabe in der Adresse oder im Formular ist ungültig.")


def wants_html(request: Request) -> bool:
    """A browser navigating (Accept names text/html before any JSON); API clients get JSON."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split("text/html")[0]


def error_page(
    request: Request, status_code: int, message: str | None, headers: dict[str, str] | None = None
) -> HTMLResponse:
    # every service sets its own renderer in create_app; an app without one gets the shared layout
    pages: Pages = getattr(request.app.state, "pages", None) or Pages(SHARED_TEMPLATES)
    heading = HEADINGS.get(status_code, HEADINGS[400 if status_code < 500 else 500])
    text = message or PLAIN.get(status_code) or (GENERIC if status_code < 500 else PLAIN[500])
    response = pages.render(
        request,
        "error.html",
        status_code=status_code,
        heading=pages.text(request, heading),
        message=pages.text(request, text),
        back=None,
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
