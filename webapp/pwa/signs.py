"""The ILO's eleven indicators of forced labour, as Haven explains and asks them.

Source: ILO, *ILO Indicators of Forced Labour* (2012), listed in
reference/indicators.md. The signs page explains them; the private self-check asks
them as questions and answers on the phone (item 1: the list used to be set inside an
included template, where the page including it never saw it, so the check had no questions).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Sign:
    """One indicator: a short title, a plain explanation and the self-check's question."""

    code: str
    title: LazyString
    text: LazyString
    question: LazyString
    urgent: bool = False  # a yes means someone may be in danger now


SIGNS: tuple[Sign, ...] = (
    Sign("hardship", _l("Taking advantage of hardship"),
         _l("the employer uses the person’s poverty, lack of papers, language or isolation "
            "against them."),
         _l("Does someone use poverty, missing papers, language or isolation to control "
            "the person?")),
    Sign("lies", _l("Lies about the job"),
         _l("the work, pay or conditions are not what was promised."),
         _l("Are the work, the pay or the conditions different from what was promised?")),
    Sign("movement", _l("Not free to come and go"),
         _l("the person is locked in, watched, or not allowed to leave the workplace or home."),
         _l("Is the person locked in, watched, or stopped from leaving the workplace or "
            "home?"), urgent=True),
    Sign("isolation", _l("Cut off from others"),
         _l("they cannot contact family, or do not know where they are."),
         _l("Is the person unable to contact their family, or unsure where they are?")),
    Sign("violence", _l("Violence"),
         _l("they are hit, hurt, or sexually abused."),
         _l("Has anyone hit, hurt or sexually abused the person?"), urgent=True),
    Sign("threats", _l("Threats"),
         _l("against them or their family, or threats to call the police or immigration."),
         _l("Has anyone threatened the person or their family, or threatened to call the "
            "police or immigration?"), urgent=True),
    Sign("documents", _l("Documents taken away"),
         _l("someone else keeps their passport or identity card."),
         _l("Does someone else keep the person’s passport or identity card?")),
    Sign("wages", _l("Pay held back"),
         _l("wages are not paid, or are kept “for later”."),
         _l("Is pay not given, or kept back “for later”?")),
    Sign("debt", _l("A debt that never ends"),
         _l("a debt for travel, housing or food that keeps growing and must be worked off."),
         _l("Is there a debt for travel, housing or food that keeps growing and must be "
            "worked off?")),
    Sign("conditions", _l("Very poor work or living conditions"),
         _l("dangerous work, crowded or dirty housing, no rest."),
         _l("Is the work dangerous, or the housing crowded or dirty, with no rest?")),
    Sign("hours", _l("Far too many hours"),
         _l("working far beyond legal limits, with no days off."),
         _l("Does the person work far too many hours, with no days off?")),
)
