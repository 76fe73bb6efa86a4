"""The impact monitor's figures in words: each one's title, its written definition (shown beside it,
in the CSV's neighbourhood and in the yearly report) and its columns. German msgids; English in the
service's catalog. The figure's key is its CSV's address (`/verwaltung/wirkung/<key>.csv`)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.web.i18n import N_


@dataclass(frozen=True)
class Text:
    title: str
    definition: str
    columns: tuple[str, ...]  # the first names the rows
    personal: bool  # counts of 1 … 4 could point at a person: shown as "< 5"
    unit: str = ""  # of the charted values: "", "%" or "Tage"


FIGURES: dict[str, Text] = {
    "eintraege": Text(
        N_("Neue Einträge im Verzeichnis"),
        N_(
            "Einträge, die im Monat angelegt wurden: von Betrieben selbst über das Formular eingetragen "
            "oder vom Amt erfasst. Gezählt wird die Anlage, auch wenn der Eintrag später archiviert wurde."
        ),
        (N_("Monat"), N_("selbst eingetragen"), N_("vom Amt eingetragen")),
        personal=False,
    ),
    "veroeffentlichung": Text(
        N_("Zeit bis zur Veröffentlichung"),
        N_(
            "Für die im Monat angelegten Einträge: wie viele das Amt bis heute veröffentlicht hat, und der "
            "Median der Tage von der Anlage bis zur ersten Veröffentlichung (die Hälfte ging schneller)."
        ),
        (N_("Monat der Anlage"), N_("angelegt"), N_("veröffentlicht"), N_("Median in Tagen")),
        personal=False,
        unit=N_("Tage"),
    ),
    "vollstaendigkeit": Text(
        N_("Vollständigkeit der Einträge"),
        N_(
            "Für die im Zeitraum angelegten, nicht archivierten Einträge: wie viele der acht Angaben eines "
            "vollständigen Eintrags (Beschreibung, Angebote, Telefon, E-Mail, Website, Adresse, Lage auf der "
            "Karte, Öffnungszeiten) seit der Anlage ergänzt oder geändert wurden. Die Ereignisse nennen nur, "
            "welche Angaben sich änderten, nicht deren Inhalt: was schon bei der Anlage da war, zählt erst "
            "nach einer Änderung, und eine später gelöschte Angabe zählt weiter mit."
        ),
        (N_("ergänzte Angaben"), N_("Einträge")),
        personal=False,
    ),
    "anmeldungen": Text(
        N_("Anmeldungen, Teilnahme und Nichterscheinen je Reihe"),
        N_(
            "Anmeldungen, die im Zeitraum eingingen, nach der Reihe ihrer Veranstaltung; davon zuerst auf der "
            "Warteliste und später abgesagt (auch wegen einer abgesagten Veranstaltung). Nachgerückt: Plätze "
            "von der Warteliste im Zeitraum. Plätze, erschienen und nicht erschienen: aus der geschlossenen "
            "Anwesenheitsliste der Veranstaltungen, die im Zeitraum begannen und bei denen die Anwesenheit "
            "erfasst wurde; Quote = nicht erschienen ÷ Plätze bei Beginn. Zahlen von 1 bis 4 stehen als „< 5“ "
            "und Quoten erst ab 5 Plätzen, weil sie auf einzelne Menschen deuten könnten."
        ),
        (
            N_("Reihe"),
            N_("Anmeldungen"),
            N_("davon Warteliste"),
            N_("davon abgesagt"),
            N_("nachgerückt"),
            N_("Plätze bei Beginn"),
            N_("erschienen"),
            N_("nicht erschienen"),
            N_("Quote nicht erschienen in %"),
        ),
        personal=True,
    ),
    "nachruecken": Text(
        N_("Nachgerückt von der Warteliste"),
        N_("Anmeldungen, die im Monat von der Warteliste einen Platz bekamen. Zahlen von 1 bis 4 stehen als „< 5“."),
        (N_("Monat"), N_("nachgerückt")),
        personal=True,
    ),
    "wlan": Text(
        N_("Verfügbarkeit der WLAN-Hotspots"),
        N_(
            "Je Standort und Monat, in Prozent: die Zeit in Betrieb oder eingeschränkt geteilt durch die "
            "beobachtete Zeit (in Betrieb, eingeschränkt, ausgefallen), aus den Statuswechseln der Hotspots. "
            "Wartung und Zeit ohne Beobachtung (vor der ersten Meldung, noch in der Zukunft) zählen nicht "
            "mit, wie im Monatsbericht für Wifi4EU. Leer: in dem Monat nicht beobachtet."
        ),
        (N_("Monat"),),
        personal=False,
        unit="%",
    ),
    "fairtrade": Text(
        N_("Kriterien der Fairtrade-Stadt"),
        N_(
            "Stand am Ende jedes Monats nach der letzten Zählung bis dahin: wie weit jedes der fünf Kriterien "
            "sein Ziel erreicht, als Zählung ÷ Ziel in Prozent; ab 100 % ist es erfüllt. Leer: noch keine Zählung."
        ),
        (N_("Monat"),),
        personal=False,
        unit="%",
    ),
    "mails": Text(
        N_("Versendete und gescheiterte Mails"),
        N_(
            "Mails, die der Mailserver im Monat angenommen hat, und Mails, die endgültig nicht zugestellt "
            "werden konnten (alle Versuche verbraucht oder die Adresse abgelehnt). Eine später erneut "
            "gesendete Mail zählt in beiden Spalten."
        ),
        (N_("Monat"), N_("versendet"), N_("gescheitert")),
        personal=False,
    ),
    "abonnements": Text(
        N_("Abonnements je Thema"),
        N_(
            "Bestätigte und nicht beendete Abonnements je Thema, wie sie heute sind (nicht für den gewählten "
            "Zeitraum): per Mail und als Webhook anderer Systeme der Stadt. Zahlen von 1 bis 4 stehen als „< 5“."
        ),
        (N_("Thema"), N_("per Mail"), N_("als Webhook")),
        personal=True,
    ),
}
NO_ATTENDANCE = N_(
    "Noch keine Anwesenheit erfasst: Teilnahme und Nichterscheinen erscheinen hier, sobald die "
    "Anwesenheitsliste einer Veranstaltung geschlossen ist."
)
NO_SERIES = N_("ohne Reihe")
