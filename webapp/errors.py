"""Error pages: a clear message in the reader's language, never a stack trace."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from webapp.state import StateUnavailable


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def handle_http(exc: HTTPException) -> tuple[Response | str, int]:
    """Render any 4xx/5xx as a small page (or JSON under /api/)."""
    code = exc.code or 500
    detail = getattr(exc, "haven_message", None)
    if _wants_json():
        body = {"error": exc.name, "status": code, "detail": detail or exc.description}
        return jsonify(body), code
    titles = {
        400: _("That request could not be understood."),
        404: _("This page does not exist."),
        405: _("That action is not allowed here."),
        413: _("That was too large to send."),
        429: _("Too many tries. Please wait a minute and try again."),
    }
    title = titles.get(code, _("Something went wrong on our side."))
    return render_template("errors/error.html", code=code, title=title, detail=detail), code


def too_many(wait: float) -> Response:
    """429 for a public form (tips, receipts, reports) with Retry-After; cheap: no lookups."""
    resp = make_response(render_template("tips/limited.html"), 429)
    resp.headers["Retry-After"] = str(int(wait) + 1)
    return resp


def handle_unexpected(exc: Exception) -> tuple[Response | str, int]:
    """Anything not foreseen becomes a plain 500 page; details go to the server log only."""
    current_app.logger.exception("unhandled error on %s", request.path)
    return handle_http(InternalServerError())


def handle_state_down(exc: StateUnavailable) -> tuple[Response | str, int]:
    """The shared store (Redis) did not answer: 503, so nothing is accepted unlimited."""
    current_app.logger.error("the shared state store did not answer (%s)", exc)
    return handle_http(ServiceUnavailable())


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(StateUnavailable, handle_state_down)
    app.register_error_handler(Exception, handle_unexpected)
