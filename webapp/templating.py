"""What every template can use without a view handing it over: globals, filters and the
context each page gets. They are registered here, in one place, so a name a template uses is
found by reading this file. (Staff pages also get who is signed in: the staff blueprint
factory, webapp/staff/blueprints.py, adds that to each staff blueprint.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_babel import format_date, format_datetime, format_timedelta

from webapp import bidi, clock, i18n
from webapp.directory import taxonomy
from webapp.directory.pages import country_name, demo_loaded, indexable, query_args
from webapp.directory.queries import first_lines
from webapp.models.tips import STATUSES
from webapp.posters.services import format_label
from webapp.pwa import areas
from webapp.space import forms as space_forms
from webapp.space import services as space
from webapp.tips.labels import kind_label, status_label


def init_app(app: Flask) -> None:
    """Register the template globals, filters and context processors."""
    env = app.jinja_env
    env.filters["listformat"] = i18n.format_list
    env.filters["isolate"] = bidi.isolate_html
    env.globals.update(
        # the reader's language
        format_date=format_date, format_datetime=format_datetime,
        locale_by_tag=i18n.BY_TAG.get, language_in_reader=i18n.language_in_reader,
        # tips
        status_label=status_label, kind_label=kind_label, status_codes=STATUSES,
        # the directory's public pages
        first_lines=first_lines, switch_url=switch_url, page_url=page_url,
        country_name=country_name,
        # shelter space, on public and staff pages
        space_age=space_age, space_labels=space_labels,
        # the poster builder
        poster_url=poster_url, format_label=format_label,
    )
    app.context_processor(locale_context)
    app.context_processor(directory_context)


def locale_context() -> dict[str, object]:
    """The page's language and every shipped one (the switcher, lang and dir)."""
    return {"locale": i18n.current(), "LOCALES": i18n.LOCALES}


def directory_context() -> dict[str, Any]:
    """Facts every page shows: the demo banner, the quick-exit target, indexing."""
    return {
        "indexable": indexable(),
        "demo_loaded": demo_loaded() if request.blueprint in i18n.LOCALIZED else False,
        "exit_url": current_app.config["HAVEN_EXIT_URL"],
        "app_name": current_app.config["HAVEN_APP_NAME"],
        "category_terms": taxonomy.CATEGORY_TERMS,
        "population_terms": taxonomy.POPULATION_TERMS,
        # phones keep the directory by area: the footer links to the picker
        "offline_by_area": request.blueprint in i18n.LOCALIZED and areas.by_area(),
    }


def switch_url(tag: str) -> str:
    """This same page in another locale (the language switcher's links)."""
    if request.blueprint not in i18n.LOCALIZED or request.endpoint is None:
        return url_for("directory.home", lang=tag)
    args = {**query_args(), **(request.view_args or {}), "lang": tag}
    return url_for(request.endpoint, **args)


def page_url(page: int, radius: int | None = None) -> str:
    """The current results page with another page number (keeps repeated filters), and the
    radius the results were widened to, when they were."""
    args: dict[str, Any] = query_args()
    args["page"] = [str(page)]
    if radius is not None:
        args["radius"] = [str(radius)]
    return url_for("directory.results", **args)


def space_age(view: space.SpaceView) -> str:
    """How long ago a status was set, in the reader's words ("3 hours ago"; at least a
    minute, never "in 0 minutes")."""
    age = max(clock.now() - view.updated, dt.timedelta(minutes=1))
    return str(format_timedelta(-age, add_direction=True, granularity="minute", threshold=1.0))


def space_labels() -> dict[str, object]:
    """Status words and the population namer, for the public pages."""
    return {"status": space_forms.STATUS_LABELS, "populations": space_forms.populations_text}


def poster_url(output: str, query: str) -> str:
    """The shareable URL of this poster in another output."""
    return url_for("posters.poster", output=output) + ("?" + query if query else "")
