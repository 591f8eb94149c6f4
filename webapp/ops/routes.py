"""GET /healthz for load balancers and systemd: is this instance able to answer?

Exactly `{"ok": true}` with 200 when the database answers a query (and the shared state
store, when one is set), `{"ok": false}` with 503
when it does not; nothing else, so a probe learns nothing about the deployment. No locale,
no cookie, never cached.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp import state
from webapp.extensions import db

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    """200 {"ok": true} when the database (and the shared state, if set) answer, else 503."""
    problem = ""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError as exc:
        db.session.rollback()
        problem = f"the database did not answer ({exc.__class__.__name__})"
    if not problem and not state.current().ping():
        problem = "the shared state store did not answer"
    if problem:
        log.warning("health check: %s", problem)
        resp = jsonify(ok=False)
        resp.headers["Cache-Control"] = "no-store"
        return resp, 503
    resp = jsonify(ok=True)
    resp.headers["Cache-Control"] = "no-store"
    return resp, 200
