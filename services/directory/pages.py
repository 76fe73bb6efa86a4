"""The directory's pages renderer: its templates (templates/pages/) over the shared layout, its
English catalog (locale/) over the shared one. Every page module of the directory uses this one."""

from __future__ import annotations

from pathlib import Path

from shared.web import Pages

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates" / "pages"
LOCALE = HERE / "locale"

pages = Pages(TEMPLATES, LOCALE)
