"""The inbound text-message webhooks. Off (404) unless HAVEN_SMS_SECRET is
set; a provider's route is off until its credentials are. A missing or wrong signature gets 403
and nothing is processed; a signed request sent again (same provider message id) is answered
as a success and not processed again. No cookie, no session, nothing about the sender in a
log."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, jsonify, request

from webapp.security import limit_body
from webapp.sms import providers, services

bp = Blueprint("sms", __name__, url_prefix="/sms")
MAX_BODY = 16 * 1024
MAX_FIELDS = 64  # a provider's webhook sends about 20 fields


@bp.before_request
def sms_on() -> None:
    """Everything here is off unless the deployment set HAVEN_SMS_SECRET."""
    if not current_app.config["HAVEN_SMS_SECRET"]:
        abort(404)
    # Read now, whether sized or chunked, and refused (413) past 16 KB or 64 fields: before
    # any signature is computed over it or any form parsed from it.
    limit_body(MAX_BODY, MAX_FIELDS, read=True)


@bp.after_request
def never_cache(response: Response) -> Response:
    """Replies are for one sender: no cache keeps them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


@bp.route("/inbound", methods=["POST"])
def inbound() -> Response | tuple[Response, int]:
    """The provider-neutral webhook: signed JSON in, {"messages": [...]} out."""
    raw = request.get_data(cache=True)
    if not providers.generic_ok(current_app.config["HAVEN_SMS_SECRET"], raw,
                                request.headers.get("X-Haven-Signature", "")):
        abort(403)
    try:
        data = json.loads(raw)
    except ValueError:
        return jsonify({"error": "the body must be JSON: {\"from\", \"to\", \"text\"}"}), 400
    if not isinstance(data, dict) or not _text(data.get("from")):
        return jsonify({"error": "\"from\" (the sender) and \"text\" are needed"}), 400
    # The format has no id of its own: a gateway that adds its "message_id" (signed with the
    # body) gets a replay of the same request answered once.
    with services.first_delivery("generic", _text(data.get("message_id"))) as first:
        if not first:
            return jsonify(services.as_json(services.Reply("", [])))
        reply = services.handle(_text(data.get("from")), _text(data.get("text")))
    return jsonify(services.as_json(reply))


def _public_url() -> str:
    """The URL the provider called, as it signed it (HAVEN_PUBLIC_URL behind a proxy)."""
    base = current_app.config["HAVEN_PUBLIC_URL"].rstrip("/")
    if not base:
        return request.url
    query = ("?" + request.query_string.decode()) if request.query_string else ""
    return base + request.path + query


@bp.route("/twilio", methods=["POST"])
def twilio() -> Response:
    """Twilio SMS and WhatsApp: a signed form in, TwiML out."""
    token = current_app.config["HAVEN_TWILIO_AUTH_TOKEN"]
    if not token:
        abort(404)
    form = providers.capped_form(request.get_data(cache=True), MAX_FIELDS)
    if form is None:
        abort(413)
    signature = request.headers.get("X-Twilio-Signature", "")
    if not providers.twilio_ok(token, _public_url(), form, signature):
        abort(403)
    # Twilio's id of the message, signed with the rest; else the signature, which covers
    # every field: either is the same when the request is sent again.
    message_id = form.get("MessageSid") or form.get("SmsSid") or signature
    with services.first_delivery("twilio", message_id) as first:
        if not first:
            return Response(providers.twiml([]), mimetype="text/xml")
        reply = services.handle(form.get("From", ""), form.get("Body", ""))
    return Response(providers.twiml(reply.messages), mimetype="text/xml")


@bp.route("/vonage", methods=["GET", "POST"])
def vonage() -> tuple[str, int]:
    """Vonage's SMS API (signed webhooks); the reply goes out through its API."""
    cfg = current_app.config
    if not (cfg["HAVEN_VONAGE_SIGNATURE_SECRET"] and cfg["HAVEN_VONAGE_API_KEY"]):
        abort(404)
    params = providers.vonage_params(request.form, request.args, request.get_data(cache=True))
    if not providers.vonage_ok(cfg["HAVEN_VONAGE_SIGNATURE_SECRET"], params):
        abort(403)
    if params.get("msisdn") and params.get("text") is not None:
        message_id = params.get("messageId") or params.get("sig", "").lower()
        with services.first_delivery("vonage", message_id) as first:
            if first:
                reply = services.handle(params["msisdn"], params.get("text", ""))
                providers.vonage_send(params.get("to", ""), params["msisdn"], reply.messages)
    return "", 204


@bp.route("/vonage/messages", methods=["POST"])
def vonage_messages() -> tuple[str, int]:
    """Vonage's Messages API: WhatsApp (or SMS, Viber) in, signed with a JWT; the reply goes
    back on the same channel through the API."""
    cfg = current_app.config
    if not (cfg["HAVEN_VONAGE_SIGNATURE_SECRET"] and cfg["HAVEN_VONAGE_API_KEY"]):
        abort(404)
    raw = request.get_data(cache=True)
    if not providers.vonage_jwt_ok(cfg["HAVEN_VONAGE_SIGNATURE_SECRET"],
                                   request.headers.get("Authorization", ""), raw):
        abort(403)
    try:
        data = json.loads(raw)
    except ValueError:
        return "", 400
    if not isinstance(data, dict):
        return "", 400
    sender, channel = _text(data.get("from")), _text(data.get("channel")) or "whatsapp"
    if sender and data.get("message_type", "text") == "text":
        # The message's uuid is in the signed body; else the token's claims, signed exactly
        # as sent (its signature part decodes alike however its padding is written).
        claims = (request.headers.get("Authorization", "").split(".") + ["", ""])[1]
        message_id = _text(data.get("message_uuid")) or claims
        with services.first_delivery("vonage-messages", message_id) as first:
            if first:
                reply = services.handle(sender, _text(data.get("text")))
                providers.vonage_messages_send(channel, _text(data.get("to")), sender,
                                               reply.messages)
    return "", 200


@bp.route("/africastalking/<token>", methods=["POST"])
def africastalking(token: str) -> tuple[str, int]:
    """Africa's Talking: the URL's secret stands in for a signature; replies go out through
    its messaging API."""
    cfg = current_app.config
    if not (cfg["HAVEN_AT_API_KEY"] and cfg["HAVEN_AT_USERNAME"]):
        abort(404)
    if not providers.same(providers.at_token(cfg["HAVEN_SMS_SECRET"]), token):
        abort(403)
    sender = request.form.get("from", "")
    if sender:
        with services.first_delivery("africastalking", request.form.get("id", "")) as first:
            if first:
                reply = services.handle(sender, request.form.get("text", ""))
                providers.at_send(request.form.get("to", ""), sender, reply.messages)
    return "", 200
