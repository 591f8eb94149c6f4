"""Every public page, found from the URL map, so a new page is born with the phone checks;
one URL for every route; and signing in and waiting on a page in the browser tests."""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Flask
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Service

# Blueprints whose pages anyone can open (no staff sign-in, no receipt).
PUBLIC_BLUEPRINTS = ("directory", "pwa", "tips", "posters", "reports")
# Files, and the last step of Forget this device (a redirect to the neutral site).
SKIP_SUFFIXES = (".json", ".pdf", ".png", ".svg", ".webmanifest", "/forget/done")


def public_paths(app: Flask) -> list[str]:
    """Paths under /<lang>/ for every public GET page, plus searches and three listings."""
    paths: set[str] = set()
    per_listing: set[str] = set()  # pages about one listing, e.g. /services/<service_id>/report
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if blueprint not in PUBLIC_BLUEPRINTS or "GET" not in (rule.methods or ()) \
                or rule.rule.endswith(SKIP_SUFFIXES):
            continue
        if set(rule.arguments) == {"lang"}:
            paths.add(rule.rule.removeprefix("/<lang>"))
        elif set(rule.arguments) == {"lang", "service_id"}:
            per_listing.add(rule.rule.removeprefix("/<lang>"))
    paths |= {"/search?q=shelter", "/search?category=hotline", "/search?q=legal&near=Fresno"}
    with app.app_context():
        demo = db.session.scalar(select(Service.id).where(Service.is_demo.is_(True))
                                 .order_by(Service.id).limit(1))
        real = db.session.scalar(select(Service.id).where(Service.is_demo.is_(False))
                                 .where(Service.country == "US").order_by(Service.id).limit(1))
        shelter = db.session.scalar(select(Service.id).where(Service.name.like("%Haven House%"))
                                    .order_by(Service.id).limit(1))
    paths |= {rule.replace("<service_id>", sid) for rule in per_listing
              for sid in (demo, real, shelter) if sid}
    return sorted(paths)


def concrete_urls(app: Flask) -> list[str]:
    """One URL per registered route (placeholders filled with plausible values)."""
    out = []
    for rule in app.url_map.iter_rules():
        url = rule.rule.replace("<lang>", "en").replace("<path:filename>", "css/haven.css")
        url = re.sub(r"<[^>]+>", "00000000-0000-0000-0000-000000000000", url)
        out.append(url)
    return sorted(set(out))


def sign_in_page(page: Any, base: str, who: Any, passphrase: str | None = None) -> None:
    """Sign in through the form with a code not used before (TOTP codes are single-use);
    then, given a passphrase, unlock through the unlock form."""
    import pyotp

    totp = pyotp.TOTP(who.secret)
    for when in (time.time(), time.time() + 30):
        page.goto(f"{base}/staff/login")
        page.fill("#username", who.username)
        page.fill("#password", who.password)
        page.fill("#code", totp.at(when))
        page.click("form button[type=submit]")
        if "/staff/login" not in page.url:
            break
    else:
        raise AssertionError("sign-in failed")
    if passphrase:
        page.goto(f"{base}/staff/unlock")
        page.fill("#passphrase", passphrase)
        page.click("form:has(#passphrase) button[type=submit]")
        assert "/staff/unlock" not in page.url


def wait_js(page: Any, expression: str, timeout: float = 30.0) -> None:
    """Poll an expression (wait_for_function evaluates strings, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.02)


def ready(page: Any, base: str, lang: str) -> None:
    """Open a locale's home page and wait until the worker controls it and saved the shell."""
    page.goto(f"{base}/{lang}/")
    wait_js(page, "!!navigator.serviceWorker.controller && "
                  "navigator.serviceWorker.controller.state === 'activated'")
    wait_js(page, f"document.documentElement.getAttribute('data-offline-ready') === '{lang}'")
