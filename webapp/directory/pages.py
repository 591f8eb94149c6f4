"""What public pages and their templates share: the query a link may keep, whether the demo
listings are loaded, whether search engines may list a page, a country's name."""

from __future__ import annotations

from babel import Locale
from flask import current_app, request

from webapp import i18n
from webapp.search.changelog import get_meta

# Blueprints whose pages a search engine may list; tips, staff and offline shells never.
INDEXABLE_BLUEPRINTS = {"directory", "posters"}


def demo_loaded() -> bool:
    """Whether fictional demo listings are in the directory (a banner says so)."""
    return get_meta("demo_loaded") == "1"


def indexing_on() -> bool:
    """Whether search engines may list public pages: a deployment choice (HAVEN_INDEXING),
    'auto' meaning not while the fictional demo listings are loaded."""
    setting = current_app.config["HAVEN_INDEXING"]
    return setting == "on" or (setting == "auto" and not demo_loaded())


def indexable() -> bool:
    """Whether this page may be indexed: an indexable area, with indexing on."""
    return request.blueprint in INDEXABLE_BLUEPRINTS and indexing_on()


def query_args() -> dict[str, list[str]]:
    """This request's query, safe to hand back to url_for: names url_for itself reads
    (endpoint, _anchor, _method, _scheme, _external) or the URL's own (lang) are dropped, so
    "?_external=1&_scheme=javascript" or "?lang=//evil" can neither build another URL nor fail
    the page."""
    return {k: v for k, v in request.args.to_dict(flat=False).items()
            if not k.startswith("_") and k not in ("endpoint", "lang")}


def country_name(code: str) -> str:
    """A country's (or the EU's) name in the reader's language."""
    return Locale.parse(i18n.current().babel).territories.get(code, code)
