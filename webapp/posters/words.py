"""The words a poster prints, chosen by the page its code opens.

A code that opens the tip form speaks to a witness; every other code opens help and speaks to the
person who needs it. The two never mix: a survivor told "scan for help" who lands on a form
asking what they saw has been let down by the poster.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

WITNESS_TARGETS = frozenset({"tip"})


@dataclass(frozen=True)
class Words:
    """One language's printed sentences (the numbers' labels are separate)."""

    headline: str
    body: str
    scan: str  # under the poster's QR code
    call: str  # above the numbers on cards and stickers


def audience(target: str) -> str:
    """"witness" for a code that opens the tip form, else "help"."""
    return "witness" if target in WITNESS_TARGETS else "help"


def words(target: str) -> Words:
    """The sentences for a code opening `target`, in the current locale."""
    if audience(target) == "witness":
        return Words(
            # Translators: poster headline for neighbours and passers-by; the code opens the
            # anonymous tip form. "Someone", not a label for the person.
            headline=_("Have you seen someone who may be forced to work or to sell sex?"),
            body=_("Tell us what you saw, in your language. You do not have to give your "
                   "name."),
            # Translators: printed under the QR code that opens the tip form.
            scan=_("Scan to report what you saw"),
            # Translators: on business cards and stickers, above the QR code and the numbers.
            call=_("To report what you saw, call or scan:"),
        )
    return Words(
        headline=_("Are you being forced to work or to sell sex? You are not alone."),
        body=_("Free, confidential help in your language. You do not have to give "
               "your name."),
        scan=_("Scan for help in your language"),
        call=_("Need help? Call or scan:"),
    )
