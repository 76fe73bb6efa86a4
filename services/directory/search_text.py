"""What a profile is found by: the text documents for search and the folded, lightly stemmed terms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from services.directory.domain import CATEGORIES

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_SUFFIXES = ("ern", "en", "er", "es", "e", "n", "s")


def fold(text: str) -> str:
    """Lower case, umlauts spelt out, other accents dropped: 'Bäckerei Müller' → 'baeckerei mueller'."""
    text = text.casefold().translate(_FOLD)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def search_document(profile: Mapping[str, Any]) -> str:
    category = CATEGORIES[profile["category"]]
    parts = [
        profile.get("name"),
        category.de,
        category.en,
        profile.get("description"),
        *(profile.get("offerings") or []),
        profile.get("street"),
        profile.get("city"),
    ]
    return " ".join(part for part in parts if part)


def search_columns(profile: Mapping[str, Any]) -> dict[str, str]:
    """search_text feeds PostgreSQL's German full text, search_folded the substring fallback."""
    text = search_document(profile)
    return {"search_text": text, "search_folded": fold(text)}


def search_terms(query: str) -> list[str]:
    """Folded words of a query, lightly stemmed, for the substring match: letters and digits only (an
    underscore separates words too), so a term is never a LIKE wildcard."""
    terms = []
    for word in re.findall(r"[^\W_]+", fold(query)):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        terms.append(word)
    return terms


def trigrams(term: str) -> set[str]:
    """The three-character pieces of a folded term, as PostgreSQL's `search_trigrams` cuts a text
    (migration 0015): a text containing the term contains every one of them."""
    return {term[i : i + 3] for i in range(len(term) - 2)}
