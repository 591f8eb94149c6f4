"""Helpers for the directory editor tests: accounts with editor roles, and reading a form back
as a browser would submit it (so a test posts exactly what the page offered)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.staff_helpers import Staff
from webapp.editor import services, snapshot
from webapp.extensions import db
from webapp.models import Organization, Service, StaffUser

FRESNO = "Fresno Example Network"
OAKLAND = "Oakland Example Network"


class _Form(HTMLParser):
    def __init__(self, index: int) -> None:
        super().__init__()
        self.index, self.seen, self.inside = index, -1, False
        self.data: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.seen += 1
            self.inside = self.seen == self.index
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((a["name"], a.get("value", "y")))
            elif kind not in ("submit", "button", "file"):
                self.data.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.data.append((self._textarea or "", ""))
        elif tag == "select":
            self._select, self._first_option, self._chosen = a.get("name"), None, False
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.data.append((self._select, a.get("value", "")))
                self._chosen = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            if not self._chosen and self._first_option is not None:
                self.data.append((self._select, self._first_option))
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self.inside:
            name, value = self.data[-1]
            self.data[-1] = (name, value + data)


def form_fields(html: str, index: int = 0) -> dict[str, Any]:
    """The index-th form's fields as a browser would send them (lists for repeated names)."""
    parser = _Form(index)
    parser.feed(html)
    out: dict[str, Any] = {}
    for name, value in parser.data:
        if name in out:
            out[name] = [*(out[name] if isinstance(out[name], list) else [out[name]]), value]
        else:
            out[name] = value
    for name in ("categories", "populations"):
        if name in out and not isinstance(out[name], list):
            out[name] = [out[name]]
    return out


def find_form(html: str, *having: str, lacking: str = "") -> dict[str, Any]:
    """The first form on the page with these fields (and without `lacking`)."""
    for i in range(html.count("<form")):
        fields = form_fields(html, i)
        if all(h in fields for h in having) and (not lacking or lacking not in fields):
            return fields
    raise AssertionError(html[:800])


def listing_form(client: FlaskClient, service_id: str) -> dict[str, Any]:
    """The edit page's listing form (the one with the name and phone fields)."""
    return find_form(client.get(f"/staff/directory/{service_id}").get_data(as_text=True),
                     "name", "phone")


def edit_listing(client: FlaskClient, service_id: str, **changes: Any) -> Any:
    """Open the edit page, change some fields as a person would, save; the response."""
    fields = {**listing_form(client, service_id), **changes}
    return client.post(f"/staff/directory/{service_id}", data=fields)


def org_id(app: Flask, name: str) -> str:
    """An organisation's id by name."""
    with app.app_context():
        oid = db.session.scalar(select(Organization.id).where(Organization.name == name))
        assert oid
        return oid


def service_of(app: Flask, org: str, name_part: str) -> str:
    """The id of an organisation's listing whose name contains name_part."""
    with app.app_context():
        sid = db.session.scalar(select(Service.id).join(Organization).where(
            Organization.name == org, Service.name.contains(name_part)).limit(1))
        assert sid, (org, name_part)
        return sid


def editors(app: Flask) -> dict[str, Staff]:
    """An editor (every listing) and an org-editor of the Fresno network."""
    from webapp.staff import auth

    out = {}
    with app.app_context():
        for name, role, org in (("eddie", "editor", None), ("fern", "org-editor", FRESNO)):
            pw = f"{name}-long-test-password"
            _user, secret = auth.create_user(name, pw, role,
                                             organization_id=org_id(app, org) if org else None)
            out[role] = Staff(name, pw, secret)
    return out


def save(app: Flask, user: StaffUser, svc: Service | None, **changes: Any) -> str:
    """Save a listing through the editor's service as staff do (a new one when svc is None),
    with these fields changed; returns its id."""
    base = snapshot.of(svc) if svc is not None else {}
    out = services.save(svc.id if svc else None, {**base, **changes},
                        svc.revision if svc else None, user, app.config["HSDS_SCHEMA_DIR"])
    assert out.ok, out
    assert out.service_id
    return out.service_id
