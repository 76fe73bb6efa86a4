"""`hallobot docs --screenshots` (hallobot/screenshots.py) against the site behind the front door: a page
that answers is written as a PNG, one that does not (not built yet: 404) is named and left out."""

from __future__ import annotations

from hallobot.screenshots import PAGES, Shot, take


def test_each_page_that_answers_is_written_and_each_that_does_not_is_named(site, tmp_path):
    lines: list[str] = []
    pages = [
        Shot("start", "/", ("de", "en")),
        Shot("missing", "/gibt-es-nicht"),
        Shot("business", "/x/{unknown}"),
        Shot("api", "/api/directory/healthz"),  # answers 200, but JSON: no page
    ]
    outcome = take(site.url, tmp_path, pages, say=lines.append)

    assert [path.name for path in outcome.written] == ["start-de.png", "start-en.png"]
    for path in outcome.written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000
    assert set(outcome.failed) == {"missing-de", "business-de", "api-de"}
    assert "404" in outcome.failed["missing-de"] and "application/json" in outcome.failed["api-de"]
    assert any("missing-de: failed" in line for line in lines)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["start-de.png", "start-en.png"]


def test_the_page_list_covers_every_page_type_of_the_issue_with_unique_names():
    names = [shot.name for shot in PAGES]
    assert len(names) == len(set(names))
    expected = {"start", "live", "directory-search", "business", "sign-up", "events-calendar", "event", "wlan"}
    assert expected | {"fairtrade", "subscribe"} <= set(names)
    assert all(shot.path.startswith("/") and "de" in shot.languages for shot in PAGES)
    assert sum("en" in shot.languages for shot in PAGES) >= 3
