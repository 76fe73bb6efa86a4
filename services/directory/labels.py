"""The words people read for the directory's fixed values (German msgids; English in locale/)."""

from __future__ import annotations

from shared.web import N_

# The kinds of business, as the sign-up form and the directory name them (domain.CATEGORIES' slugs).
CATEGORY_LABELS: dict[str, str] = {
    "einzelhandel": N_("Einzelhandel"),
    "wochenmarkt": N_("Wochenmarkt"),
    "gastronomie": N_("Gastronomie"),
    "hotel": N_("Hotel & Unterkunft"),
    "dienstleistung": N_("Dienstleistung"),
    "handwerk": N_("Handwerk"),
    "gesundheit": N_("Gesundheit"),
    "freizeit_kultur": N_("Freizeit & Kultur"),
}
