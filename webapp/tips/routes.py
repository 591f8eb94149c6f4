"""Public tip pages: form, receipt, check, status thread. Thin: parse, call services, render.

No cookie is set here. A form carries a one-time idempotency key instead of a CSRF token, and
a POST from another origin is refused.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.datastructures import CombinedMultiDict

from webapp import i18n
from webapp.coalition import services as members
from webapp.directory.hotlines import country_lines
from webapp.errors import too_many
from webapp.security import client_tag, limiter, same_origin_posts_only
from webapp.tips import forms, images, services

bp = i18n.locale_blueprint("tips", __name__)

MAX_FORM_PHOTOS = 3


def photo_message(code: str) -> str:
    """Why a photo was refused, in the reader's language."""
    return {
        "too_big": _("A photo is larger than 10 MB. Please send a smaller one."),
        "empty": _("A photo file was empty."),
        "not_image": _("A file is not a JPEG, PNG or WebP photo."),
        "bomb": _("A photo is far too large in pixels to be a normal photo."),
        "too_many": _("Please send at most 3 photos."),
    }.get(code, _("A file is not a JPEG, PNG or WebP photo."))


bp.before_request(same_origin_posts_only)


@bp.after_request
def never_cache(response: Response) -> Response:
    """Receipts and threads are never stored; the blank form may be kept but revalidated."""
    if request.endpoint == "tips.form" and request.method == "GET":
        response.headers["Cache-Control"] = "private, no-cache"
    else:
        response.headers["Cache-Control"] = "no-store"
    return response


def _page(template: str, status: int = 200, **ctx: Any) -> tuple[str, int]:
    country = current_app.config["HAVEN_COUNTRY"]
    return render_template(template, urgent=country_lines(country), country=country,
                           **ctx), status


def _offer_recipients(f: forms.TipForm) -> dict[str, int]:
    """Fill in the receiving organisations the form offers (none unless two or more are
    configured); returns slug -> member id of those offered."""
    offered = members.tip_recipients()
    if len(offered) < 2:
        return {}
    f.recipient.choices = [(m.slug, m.name) for m in offered]
    if not f.recipient.data:
        f.recipient.data = offered[0].slug
    return {m.slug: m.id for m in offered}


@bp.route("/tip", methods=["GET"])
def form() -> tuple[str, int]:
    """The blank form, with a fresh one-time key; when no organisation can receive tips yet,
    it says so first, before anyone types a report."""
    f = forms.TipForm(data={"idempotency_key": secrets.token_urlsafe(24)})
    offered = _offer_recipients(f)
    return _page("tips/form.html", form=f,
                 unavailable=not services.can_receive(list(offered.values())))


def _receipt_response(stored: services.Stored,
                      status: int) -> Response | tuple[str, int] | tuple[Response, int]:
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"receipt": stored.receipt, "replay": stored.replay,
                        "status_url": url_for("tips.status")}), status
    confirm = forms.ConfirmForm(data={"idempotency_key": request.values.get("idempotency_key")
                                      or request.headers.get("Idempotency-Key", "")})
    return _page("tips/receipt.html", status, receipt=services.crypto.group_receipt(
        stored.receipt) if stored.receipt else "", form=confirm)


@bp.route("/tip", methods=["POST"])
def submit() -> Response | tuple[str, int] | tuple[Response, int]:
    """Validate, clean photos, seal and store once; then show the receipt (once).

    Every post counts against the client's hourly allowance before its body is read: a
    refused post (a bad form, a bad photo, a resend) costs the server as much as a good one."""
    limit = current_app.config["HAVEN_TIPS_PER_HOUR"]
    wait = limiter.hit("tip", client_tag(), limit, 3600)
    if wait:
        return too_many(wait)
    data: CombinedMultiDict[str, Any] = CombinedMultiDict([request.files,  # type: ignore[list-item]
                                                           request.form])
    f = forms.TipForm(data)
    header_key = request.headers.get("Idempotency-Key", "")
    if header_key:
        f.idempotency_key.data = header_key
    if f.idempotency_key.data and forms.IDEMPOTENCY.regex.match(f.idempotency_key.data):
        earlier = services.replayed(f.idempotency_key.data)
        if earlier is not None:  # a resend: nothing new is stored
            return _receipt_response(earlier, 200)
    offered = _offer_recipients(f)
    if offered and f.recipient.data not in offered:
        f.recipient.errors = [_("Please choose who should receive the tip.")]
        return _page("tips/form.html", 400, form=f, problem=_(
            "Some answers need a change. Nothing was sent yet."))
    if f.website.data:
        return _page("tips/form.html", 400, form=f, problem=_(
            "Please leave the last field empty; it is there to stop automated spam."))
    if not f.validate():
        return _page("tips/form.html", 400, form=f, problem=_(
            "Some answers need a change. Nothing was sent yet."))
    files = [p for p in request.files.getlist("photos") if p and p.filename]
    photos: list[tuple[bytes, str]] = []
    try:
        if len(files) > MAX_FORM_PHOTOS:
            raise images.PhotoError("too_many")
        for upload in files:
            photos.append(images.clean(upload.read(images.MAX_BYTES + 1)))
    except images.PhotoError as exc:
        return _page("tips/form.html", 400, form=f, problem=photo_message(exc.code))
    content = {name: (getattr(f, name).data or "").strip() for name in
               ("what", "where", "country", "city", "when", "people", "places", "contact")}
    content["language"] = i18n.current().tag
    try:
        stored = services.create_tip(content, list(f.kinds.data or []), photos,
                                     f.idempotency_key.data,
                                     member_id=offered.get(f.recipient.data or ""))
    except services.NoOrgKey:
        return _page("tips/unavailable.html", 503)
    return _receipt_response(stored, 200 if stored.replay else 201)


@bp.route("/tip/confirm", methods=["POST"])
def confirm() -> tuple[str, int]:
    """The tipster types the receipt back, so we know it was written down correctly."""
    f = forms.ConfirmForm(request.form)
    if not f.validate():
        abort(400)
    ok, receipt = services.receipt_matches(f.idempotency_key.data, f.receipt.data)
    if ok:
        return _page("tips/saved.html")
    if not receipt:
        abort(400)
    return _page("tips/receipt.html", 400, receipt=services.crypto.group_receipt(receipt),
                 form=f, mismatch=True)


def _tries_left() -> float:
    tries = current_app.config["HAVEN_RECEIPT_TRIES"]
    return limiter.hit("receipt", client_tag(), tries, 900)


@bp.route("/tip/status", methods=["GET", "POST"])
def status() -> Response | tuple[str, int]:
    """Type the receipt to see the status and the messages, and to reply."""
    f = forms.ReceiptForm(request.form if request.method == "POST" else None)
    if request.method == "GET":
        return _page("tips/status_form.html", form=f)
    if not f.validate():
        return _page("tips/status_form.html", 400, form=f)
    if limiter.blocked("receipt", client_tag(), current_app.config["HAVEN_RECEIPT_TRIES"], 900):
        return too_many(60)
    thread = services.open_with_receipt(f.receipt.data)
    if thread is None:
        wait = _tries_left()  # only wrong receipts count
        if wait:
            return too_many(wait)
        return _page("tips/status_form.html", 400, form=f, problem=_(
            "No tip has this receipt number. Check the 16 digits and try again."))
    return _thread(thread, forms.ReplyForm(data={"receipt": f.receipt.data}))


def _thread(thread: services.Thread, reply: forms.ReplyForm, status_code: int = 200,
            **extra: Any) -> tuple[str, int]:
    return _page("tips/thread.html", status_code, thread=thread, reply=reply, **extra)


@bp.route("/tip/reply", methods=["POST"])
def reply() -> tuple[str, int] | Response:
    """The tipster answers, optionally with a photo."""
    data: CombinedMultiDict[str, Any] = CombinedMultiDict([request.files,  # type: ignore[list-item]
                                                           request.form])
    f = forms.ReplyForm(data)
    if limiter.blocked("receipt", client_tag(), current_app.config["HAVEN_RECEIPT_TRIES"], 900):
        return too_many(60)
    thread = services.open_with_receipt(f.receipt.data or "")
    if thread is None:
        wait = _tries_left()
        return too_many(wait) if wait else _page("tips/status_form.html", 400,
                                                  form=forms.ReceiptForm())
    files = [p for p in request.files.getlist("photos") if p and p.filename]
    if not f.validate() or not (f.message.data or "").strip() and not files:
        return _thread(thread, f, 400, problem=_("Write a reply or add a photo."))
    photos: list[tuple[bytes, str]] = []
    try:
        if len(files) > min(1, services.photo_room(thread.tip)):
            raise images.PhotoError("too_many")
        photos = [images.clean(p.read(images.MAX_BYTES + 1)) for p in files]
    except images.PhotoError as exc:
        return _thread(thread, f, 400, problem=photo_message(exc.code))
    services.add_message(thread, "tipster", (f.message.data or "").strip(), photos)
    thread = services.open_with_receipt(f.receipt.data or "") or thread
    return _thread(thread, forms.ReplyForm(data={"receipt": f.receipt.data}), sent=True)
