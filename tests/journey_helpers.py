"""A phone for the way-out journeys: the neutral site "Leave quickly" opens and the page the
person had open before Haven are served by the test itself; and walking Back to the start."""

from __future__ import annotations

from typing import Any

EXIT = "https://neutral.example/weather"
BEFORE = "https://before.example/news"


def phone(phones: Any, lang: str, **options: Any) -> Any:
    """A phone whose neutral site and the page it showed before Haven are served here."""
    ctx = phones(lang, **options)
    for url, title in ((EXIT, "Weather"), (BEFORE, "News")):
        ctx.route(url, lambda route, title=title: route.fulfill(
            status=200, body=f"<title>{title}</title><p>{title}</p>", content_type="text/html"))
    return ctx


def walk_back(page: Any) -> list[str]:
    """Every URL this tab can go back to, nearest first (Back tapped until it stops)."""
    seen = []
    for _ in range(10):
        before = page.url
        page.go_back(wait_until="load")
        if page.url == before:
            break
        seen.append(page.url)
    return seen
