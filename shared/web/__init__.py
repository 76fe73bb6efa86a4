"""The website's shared parts: one layout, one style sheet, languages, forms with CSRF and honeypot,
errors as pages (docs/architecture.md, "Pages")."""

from shared.web.forms import Form, read_form, see_other, validate
from shared.web.i18n import LANGUAGES, N_, chosen_language
from shared.web.pages import Pages

__all__ = ["LANGUAGES", "N_", "Form", "Pages", "chosen_language", "read_form", "see_other", "validate"]
