"""What people read instead of a slug: the names of categories, Fairtrade criteria and civil society
kinds in plain German (the msgids; English in locale/en/). Pages and mails translate them where they
show them, e.g. `pages.text(request, CATEGORY_NAMES[slug])`. domain.CATEGORIES keeps the names the
JSON API answers with; a test holds both in step."""

from __future__ import annotations

from shared.web import N_

CATEGORY_NAMES: dict[str, str] = {
    "einzelhandel": N_("Einzelhandel"),
    "wochenmarkt": N_("Wochenmarkt"),
    "gastronomie": N_("Gastronomie"),
    "hotel": N_("Hotel & Unterkunft"),
    "dienstleistung": N_("Dienstleistung"),
    "handwerk": N_("Handwerk"),
    "gesundheit": N_("Gesundheit"),
    "freizeit_kultur": N_("Freizeit & Kultur"),
}

# The five Fairtrade-Town criteria (fairtrade.CRITERIA): a short name and what it asks of the town.
CRITERION_NAMES: dict[str, str] = {
    "council_resolution": N_("Ratsbeschluss"),
    "steering_group": N_("Steuerungsgruppe"),
    "retail_gastronomy": N_("Geschäfte und Gastronomie"),
    "civil_society": N_("Kitas, Schulen, Vereine und Kirchen"),
    "press": N_("Berichte in der Presse"),
}
CRITERION_EXPLANATIONS: dict[str, str] = {
    "council_resolution": N_(
        "Der Rat der Stadt beschließt, den fairen Handel zu unterstützen, und bei Sitzungen wird fairer "
        "Kaffee getrunken."
    ),
    "steering_group": N_("Mindestens drei Menschen aus Stadt, Handel und Zivilgesellschaft steuern die Kampagne."),
    "retail_gastronomy": N_(
        "Geschäfte, Cafés und Restaurants bieten jeweils mindestens zwei fair gehandelte Produkte an."
    ),
    "civil_society": N_(
        "Eine Kita oder Schule, ein Verein und eine Kirchengemeinde machen in diesem Jahr eine Aktion."
    ),
    "press": N_("Die örtliche Presse berichtet über die Aktionen."),
}
# The two groups the shops criterion counts (Category.fairtrade_group).
SHOP_GROUP_NAMES: dict[str, str] = {"retail": N_("Geschäfte"), "gastronomy": N_("Cafés, Restaurants und Hotels")}
# Kinds of civil society actions (fairtrade.CIVIL_SOCIETY_KINDS).
CIVIL_SOCIETY_NAMES: dict[str, str] = {
    "kita": N_("Kitas"),
    "school": N_("Schulen"),
    "association": N_("Vereine"),
    "faith_community": N_("Kirchengemeinden"),
}
# The parts of the civil society criterion (fairtrade.CIVIL_SOCIETY_PARTS): Kitas count with schools.
CIVIL_SOCIETY_PART_NAMES: dict[str, str] = {
    "education": N_("Kitas und Schulen"),
    "association": N_("Vereine"),
    "faith_community": N_("Kirchengemeinden"),
}
TITLE_KIND_NAMES: dict[str, str] = {"awarded": N_("verliehen"), "renewed": N_("erneuert")}
# The renewal dossier's figures (fairtrade.DOSSIER_FIGURES).
DOSSIER_FIGURE_NAMES: dict[str, str] = {
    "actions_kita": N_("Aktionen von Kitas"),
    "actions_school": N_("Aktionen von Schulen"),
    "actions_association": N_("Aktionen von Vereinen"),
    "actions_faith_community": N_("Aktionen von Kirchengemeinden"),
    "press": N_("Presseartikel"),
    "meetings": N_("Sitzungen der Steuerungsgruppe"),
    "attendees": N_("Teilnahmen an Sitzungen der Steuerungsgruppe"),
}

# The office's networks (seeded by migration 0011): what each is, on its public page and the console.
NETWORK_EXPLANATIONS: dict[str, str] = {
    "wirtschaftsallianz": N_(
        "Rund 50 Unternehmen und Einrichtungen aus Wirtschaft, Wissenschaft, Verwaltung und Politik, die sich "
        "einmal im Jahr treffen, um gemeinsam den Wirtschaftsstandort Bottrop voranzubringen."
    ),
    "fachkraeftesicherung": N_(
        "Betriebe, die mit der Wirtschaftsförderung und der Handwerkskammer Fachkräfte für Bottrop gewinnen, "
        "ausbilden und halten."
    ),
}

# The parts of a delivery and pickup offer (offers.py), by its form's field: the console and the public
# profile page name them so.
OFFER_PARTS: dict[str, str] = {
    "offer_postal_codes": N_("Liefergebiet"),
    "offer_windows": N_("Zeiten"),
    "offer_minimum_order": N_("Mindestbestellwert in Euro"),
    "offer_pickup_point": N_("Abholort"),
    "offer_lead_time_hours": N_("Vorlaufzeit in Stunden"),
}
