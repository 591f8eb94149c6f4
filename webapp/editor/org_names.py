"""How staff menus name directory organisations: several may share a name (the example data
has nine "Fresno Example Network"), so each is told apart by what it runs."""

from __future__ import annotations

from collections import Counter

from babel import Locale
from flask_babel import gettext as _
from flask_babel import ngettext

from webapp import i18n
from webapp.editor import queries
from webapp.models import Organization


def _isolated(text: str) -> str:
    # A name in another script keeps its own direction inside the sentence around it.
    return f"\u2068{text}\u2069"


def label(choice: queries.OrgChoice) -> str:
    """An organisation's name as a list shows it; after a name others share, its listings
    ("Fresno Example Network — Fresno Safe Haven House") so staff pick the right one."""
    if not choice.namesakes:
        return choice.name
    name = _isolated(choice.name)
    if not choice.listings:
        # Translators: an organisation in a staff menu; %(id)s is the start of its database id.
        return _("%(name)s — no listings (%(id)s)", name=name, id=choice.id[:8])
    first, more = _isolated(choice.listings[0]), len(choice.listings) - 1
    if not more:
        # Translators: an organisation in a staff menu, then the name of the listing it runs.
        return _("%(name)s — %(listing)s", name=name, listing=first)
    # Translators: an organisation in a staff menu, then its first listing and how many more.
    return ngettext("%(name)s — %(listing)s and %(num)d other listing",
                    "%(name)s — %(listing)s and %(num)d other listings", more,
                    name=name, listing=first)


def options(orgs: list[Organization]) -> list[tuple[str, str]]:
    """(id, label) of these organisations, each once and told apart from its namesakes: by
    its listings, then (the same listing names) their country, then the id's start."""
    choices = queries.org_choices(orgs)
    labels = [label(c) for c in choices]
    seen = Counter(labels)
    territories = Locale.parse(i18n.current().babel).territories
    for i, c in enumerate(choices):
        if seen[labels[i]] > 1 and c.country:
            # Translators: a menu entry followed by a country's name, to tell namesakes apart.
            labels[i] = _("%(label)s (%(country)s)", label=labels[i],
                          country=territories.get(c.country, c.country))
    seen = Counter(labels)
    for i, c in enumerate(choices):
        if seen[labels[i]] > 1:
            # Translators: a menu entry followed by the start of a database id.
            labels[i] = _("%(label)s (%(id)s)", label=labels[i], id=c.id[:8])
    return [(c.id, text) for c, text in zip(choices, labels, strict=True)]
