"""Every POST in the URL map needs a CSRF token, except the public ones create_app names: a
signed-in admin's browser tricked into posting to any staff route without the token gets 400
and nothing changes. The exemptions are exactly the cookie-less public forms and the SMS
webhooks."""

from __future__ import annotations

import re

from flask import Flask

from tests.staff_helpers import keyed, sign_in
from webapp.extensions import csrf, db
from webapp.models import AuditEntry

PUBLIC_POST_BLUEPRINTS = {"tips", "reports", "sms"}


def post_rules(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, URL with placeholder values) for every rule that takes POST."""
    out = []
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or ()):
            url = re.sub(r"<(?:int:)?(\w+)>", "1", rule.rule.replace("<lang>", "en"))
            out.append((rule.endpoint, url))
    return out


def test_only_the_public_blueprints_are_exempt(app: Flask) -> None:
    """The list of exemptions is the one create_app shows: no staff view slipped in."""
    exempt = {bp.name for bp in csrf._exempt_blueprints}  # noqa: SLF001 - kept there
    assert exempt == PUBLIC_POST_BLUEPRINTS
    # One single view: the shelter's private space link (its path's secret is the credential).
    assert set(csrf._exempt_views) == {"webapp.space.routes.space_link"}  # noqa: SLF001
    posts = {endpoint.split(".")[0] for endpoint, _url in post_rules(app)}
    assert PUBLIC_POST_BLUEPRINTS <= posts  # each exemption names a blueprint that posts


def test_every_staff_post_without_a_token_is_refused_and_changes_nothing(app: Flask) -> None:
    """Signed in as an admin (keys unlocked), each protected POST rule answers 400 without a
    token: no redirect, no success, no audit entry written."""
    people = keyed(app)
    client = app.test_client()
    sign_in(client, people["admin"], unlock=True)
    with app.app_context():
        entries = db.session.query(AuditEntry).count()
    checked = []
    for endpoint, url in post_rules(app):
        if endpoint.split(".")[0] in PUBLIC_POST_BLUEPRINTS or endpoint == "space.link":
            continue
        resp = client.post(url, data={"role": "admin", "passphrase": "x", "status": "closed"})
        assert resp.status_code == 400, (endpoint, url, resp.status_code)
        assert "CSRF" not in resp.get_data(as_text=True)  # the page speaks plainly
        checked.append(endpoint)
    assert len(checked) >= 30
    with app.app_context():
        assert db.session.query(AuditEntry).count() == entries
    assert client.get("/staff/").status_code == 200  # still signed in: nothing was ended


def test_a_public_form_still_posts_without_a_cookie(app: Flask) -> None:
    """The exemptions work: a report from a browser with no cookie is kept."""
    from webapp.models import ListingReport, Service

    with app.app_context():
        service_id = db.session.query(Service.id).first()[0]
        before = db.session.query(ListingReport).count()
    client = app.test_client()
    resp = client.post(f"/en/services/{service_id}/report", data={"kind": "closed"})
    assert resp.status_code == 201
    assert "Set-Cookie" not in resp.headers
    with app.app_context():
        assert db.session.query(ListingReport).count() == before + 1
