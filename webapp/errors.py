"""Error pages: a clear message in the reader's language, never a stack trace."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import refresh
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from webapp import i18n
from webapp.state import StateUnavailable


def _reader_locale() -> bool:
    """An error page outside any locale blueprint (a URL no route matched, /staff/…, /p/…)
    speaks the language the path names (/ar/no-such-page) or else the browser's; True when
    the browser's header decided (the response then varies on it)."""
    if g.get("locale_info") not in (None, i18n.DEFAULT):
        return False
    first = request.path.strip("/").split("/", 1)[0]
    by_path = i18n.BY_TAG.get(first)
    g.locale_info = by_path or i18n.best_match(request.headers.get("Accept-Language"))
    refresh()
    return by_path is None


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _with_headers(resp: Response, exc: HTTPException) -> Response:
    """Keep werkzeug's own headers of the error: Allow on a 405, Retry-After on a 503."""
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            resp.headers[name] = value
    return resp


def handle_http(exc: HTTPException) -> tuple[Response, int]:
    """Render any 4xx/5xx as a small page (or JSON under /api/)."""
    code = exc.code or 500
    detail = getattr(exc, "haven_message", None)
    if _wants_json():
        body = {"error": exc.name, "status": code, "detail": detail or exc.description}
        return _with_headers(jsonify(body), exc), code
    by_header = _reader_locale()
    titles = {
        400: _("That request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("That action is not allowed here."),
        413: _("That was too large to send."),
        429: _("Too many tries. Please wait a minute and try again."),
    }
    title = titles.get(code, _("Something went wrong on our side."))
    resp = _with_headers(make_response(render_template(
        "errors/error.html", code=code, title=title, detail=detail), code), exc)
    if by_header:
        resp.vary.add("Accept-Language")
    return resp, code


def too_many(wait: float) -> Response:
    """429 for a public form (tips, receipts, reports) with Retry-After; cheap: no lookups."""
    resp = make_response(render_template("tips/limited.html"), 429)
    resp.headers["Retry-After"] = str(int(wait) + 1)
    return resp


def handle_unexpected(exc: Exception) -> tuple[Response, int]:
    """Anything not foreseen becomes a plain 500 page; details go to the server log only."""
    current_app.logger.exception("unhandled error on %s", request.path)
    return handle_http(InternalServerError())


def handle_state_down(exc: StateUnavailable) -> tuple[Response, int]:
    """The shared store (Redis) did not answer: 503, so nothing is accepted unlimited."""
    current_app.logger.error("the shared state store did not answer (%s)", exc)
    return handle_http(ServiceUnavailable())


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(StateUnavailable, handle_state_down)
    app.register_error_handler(Exception, handle_unexpected)
