"""/<lang>/directory/booklet.pdf?region=…&languages=…&categories=…&format=a5|half-letter"""

from __future__ import annotations

from flask import Response, current_app, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, ServiceUnavailable

from webapp import fonts, i18n
from webapp.booklet import services
from webapp.errors import handle_http
from webapp.render_budget import RenderCache, busy_drawing, render_cache, render_slot, render_wait
from webapp.security import client_tag, limiter

bp = i18n.locale_blueprint("booklet", __name__)
BOOKLET_MAX_AGE = 300  # seconds a drawn booklet is kept (the directory changes)


class BadBooklet(BadRequest):
    """A parameter we cannot use; the message names it (shown on the 400 page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.haven_message = message


class NoAddress(ServiceUnavailable):
    """No HAVEN_PUBLIC_URL: a printed code could only open a guessed address."""

    def __init__(self) -> None:
        message = " ".join([
            _("The booklet cannot be made yet: this site’s public address is not set, so its "
              "printed codes would not open Haven on a reader’s phone."),
            # Translators: %(setting)s is the name of a server setting; %(example)s a web address.
            _("Your organisation sets it once: an administrator puts the address people use to "
              "reach Haven (for example %(example)s) in the %(setting)s setting, then restarts "
              "Haven.", example="https://help.example.org", setting="HAVEN_PUBLIC_URL"),
        ])
        super().__init__(message)
        self.haven_message = message


def problem(exc: services.BookletError) -> str:
    """The reader's words for what is wrong."""
    if exc.field == "languages":
        return _("languages: choose 1 or 2 of the shipped languages, e.g. en,ar.")
    if exc.field == "categories":
        return _("categories: use the kinds of help the directory lists, e.g. shelter,legal-aid.")
    if exc.field == "format":
        return _("format: a5 or half-letter.")
    return _("Too many listings for one booklet: please choose a smaller region or fewer "
             "kinds of help.")


def _too_many(wait: float) -> Response:
    resp = make_response(render_template(
        "errors/error.html", code=429,
        title=_("Too many tries. Please wait a minute and try again."), detail=None), 429)
    resp.headers["Retry-After"] = str(int(wait) + 1)
    return resp


@bp.route("/directory/booklet.pdf")
def booklet() -> Response:
    """The booklet from the live directory (the page's language first). Drawing one costs
    seconds of CPU, so each client may have a few an hour (checked parameters first: a bad
    one costs nothing and counts nothing)."""
    args = request.args
    base = services.site_address(str(current_app.config.get("HAVEN_PUBLIC_URL") or ""))
    if base is None:
        # Refused rather than drawn with a guessed address (as posters are): a booklet whose
        # codes open nothing looks fine until someone in need scans one. no-store, so the
        # booklet appears as soon as the address is set.
        resp = make_response(handle_http(NoAddress()))
        resp.headers["Cache-Control"] = "no-store"
        return resp
    try:
        req = services.parse(args.get("languages") or i18n.current().tag,
                             args.get("region", ""), args.get("categories", ""),
                             args.get("format", "a5"), base)
        wait = limiter.hit("booklet", client_tag(),
                           current_app.config["HAVEN_BOOKLETS_PER_HOUR"], 3600)
        if wait:
            return _too_many(wait)
        # The same booklet asked again within its HTTP lifetime is served from memory; a new
        # one also counts against the render budget booklets share with posters.
        key = RenderCache.key("booklet", ",".join(req.languages), req.region,
                              ",".join(req.categories), req.paper, req.base_url)
        body = render_cache().get(key)
        if body is None:
            with render_slot() as free:
                if not free:
                    return busy_drawing()
                wait = render_wait()
                if wait:
                    return _too_many(wait)
                contents = services.collect(req)
                from webapp.booklet import render  # fpdf2 loads on the first booklet drawn

                body = render.render_pdf(contents)
            render_cache().put(key, body, BOOKLET_MAX_AGE)
    except services.BookletError as exc:
        raise BadBooklet(problem(exc)) from exc
    except fonts.MissingFont as exc:
        raise BadBooklet(_("languages: no font for %(scripts)s is installed on this server.",
                           scripts=str(exc))) from exc
    resp = Response(body, mimetype="application/pdf")
    resp.headers["Cache-Control"] = f"public, max-age={BOOKLET_MAX_AGE}"
    resp.headers["Content-Disposition"] = 'inline; filename="haven-directory.pdf"'
    return resp
