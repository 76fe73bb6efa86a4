"""What the owner's page says about a profile, in plain words (German msgids; English in locale/)."""

from __future__ import annotations

from shared.web import N_

# What completes a profile (profile_checks.COMPLETENESS_CHECKS), as a person reads it, and the field
# of the owner's page where it is given.
MISSING: dict[str, tuple[str, str]] = {
    "description": (N_("eine Beschreibung Ihres Betriebs (mindestens 30 Zeichen)"), "description"),
    "offerings": (N_("Ihr Angebot: was Sie verkaufen oder anbieten"), "offerings"),
    "phone": (N_("eine Telefonnummer"), "phone"),
    "email": (N_("eine E-Mail-Adresse für Ihre Kundschaft"), "email"),
    "website": (N_("Ihre Webseite"), "website"),
    "address": (N_("Ihre Adresse mit Straße und Postleitzahl"), "street"),
    "coordinates": (N_("die Lage Ihres Betriebs auf der Karte"), "latitude"),
    "opening_hours": (N_("Ihre Öffnungszeiten"), "mo_von"),
}

STATUS: dict[str, str] = {
    "pending": N_(
        "Wird geprüft: Ihr Eintrag ist noch nicht öffentlich. Wir prüfen ihn meist innerhalb von zwei Werktagen."
    ),
    "published": N_("Veröffentlicht: Ihr Eintrag ist im Verzeichnis zu sehen."),
    "unpublished": N_("Zurzeit nicht öffentlich: Das Amt hat Ihren Eintrag aus dem Verzeichnis genommen."),
    "archived": N_("Archiviert."),
}

# The fields whose change waits for the office on a published profile (domain_review), by name.
FIELDS: dict[str, str] = {
    "name": N_("Name des Betriebs"),
    "description": N_("Beschreibung"),
    "offerings": N_("Angebot"),
    "email": N_("E-Mail-Adresse für Ihre Kundschaft"),
    "website": N_("Webseite"),
    "links": N_("Links"),
    "street": N_("Straße und Hausnummer"),
    "city": N_("Ort"),
    "opening_hours": N_("Öffnungszeiten"),
    "offer": N_("Liefer- und Abholangebot"),
}

# A rule of the profile (profile_checks) that the form's own checks cannot see, by its field.
RULES: dict[str, str] = {
    "opening_hours": N_("Diese Öffnungszeiten können wir nicht lesen. Beispiel: Mo-Fr 09:00-18:00; Sa 09:00-14:00"),
    "latitude": N_("Diese Lage ist nicht in Bottrop. Bitte geben Sie Breiten- und Längengrad zusammen an."),
    "longitude": N_("Diese Lage ist nicht in Bottrop. Bitte geben Sie Breiten- und Längengrad zusammen an."),
}
