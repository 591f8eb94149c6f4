"""Each SMS provider's request format, signature check and way of replying.

- generic: JSON {"from", "to", "text"}, `X-Haven-Signature` = hex HMAC-SHA256 of the raw body
  with HAVEN_SMS_SECRET; the reply is JSON {"messages": [...]} in the response. A gateway may
  add "message_id" (its id of the message): the same id again within a day is answered
  {"messages": []} and not processed (a replay, or a retry of an answered request).
- Twilio (SMS and WhatsApp): form fields From, To, Body; `X-Twilio-Signature` = base64
  HMAC-SHA1 with the auth token of the webhook URL followed by every POST field's name and value
  sorted by name; the reply is TwiML in the response.
- Vonage (SMS API, signed webhooks): fields msisdn, to, text, timestamp, sig (query, form or
  JSON); sig = hex HMAC-SHA256 with the signature secret of "&name=value" for every other field
  sorted by name ("&" and "=" in values become "_"); timestamp within 5 minutes. Replies are
  sent to the SMS API.
- Vonage Messages API (WhatsApp, and SMS or Viber through the same API): JSON {channel,
  message_type, text, from, to}, `Authorization: Bearer <JWT>` signed HS256 with the signature
  secret, its payload_hash the SHA-256 of the body, issued within 5 minutes. Replies are sent to
  the Messages API on the same channel.
- Africa's Talking: form fields from, to, text; it signs nothing, so the callback URL carries a
  secret derived from HAVEN_SMS_SECRET (`flask --app app sms urls` prints it). Replies are sent
  to its messaging API.
A sender's number goes to the provider to reply and nowhere else: never a log line, never the
database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from xml.sax.saxutils import escape

from flask import current_app

from webapp.sms import segments

log = logging.getLogger("haven.sms")
VONAGE_SKEW = 300  # seconds a signed Vonage request may be old


def generic_signature(secret: str, body: bytes) -> str:
    """The X-Haven-Signature a body must carry."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def same(expected: str, given: str) -> bool:
    """Constant-time comparison of a signature with what a request carried. Bytes, because
    compare_digest refuses a str holding anything but ASCII (a 500 for a forged header)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def generic_ok(secret: str, body: bytes, given: str) -> bool:
    """Constant-time check of the generic webhook's signature."""
    return bool(secret) and bool(given) and same(
        generic_signature(secret, body), given.strip().lower())


def twilio_signature(token: str, url: str, form: Mapping[str, str]) -> str:
    """X-Twilio-Signature for a POST to url with these fields."""
    data = url + "".join(f"{k}{form[k]}" for k in sorted(form))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1)
                            .digest()).decode()


def twilio_ok(token: str, url: str, form: Mapping[str, str], given: str) -> bool:
    """Constant-time check of Twilio's signature."""
    return bool(token) and bool(given) and same(twilio_signature(token, url, form), given)


def capped_form(body: bytes, max_fields: int) -> dict[str, str] | None:
    """A form-encoded webhook body as a dict, or None when it holds more than max_fields
    fields (counted before anything is decoded)."""
    if body.count(b"&") >= max_fields:
        return None
    form: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                              keep_blank_values=True):
        form.setdefault(name, value)  # the first of a repeated field, as request.form gives
    return form


def twiml(messages: list[str]) -> str:
    """A TwiML answer sending each message."""
    body = "".join(f"<Message>{escape(m)}</Message>" for m in messages)
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


def vonage_signature(secret: str, params: Mapping[str, str]) -> str:
    """The sig a signed Vonage request carries (HMAC-SHA256, hex)."""
    signed = "".join(f"&{k}={str(params[k]).replace('&', '_').replace('=', '_')}"
                     for k in sorted(params) if k != "sig")
    return hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()


def vonage_ok(secret: str, params: Mapping[str, str], now: float | None = None) -> bool:
    """Signature right and timestamp recent."""
    given = str(params.get("sig", "")).lower()
    try:
        stamp = int(str(params.get("timestamp", "0")))
    except ValueError:
        return False
    fresh = abs((now or time.time()) - stamp) <= VONAGE_SKEW
    return bool(secret) and bool(given) and fresh and same(vonage_signature(secret, params), given)


def _b64url(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def vonage_jwt(secret: str, body: bytes, now: float | None = None) -> str:
    """A JWT as Vonage signs a Messages webhook (for tests and the simulated gateway)."""
    def enc(obj: dict[str, object]) -> str:
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    head = enc({"alg": "HS256", "typ": "JWT"})
    claims = enc({"iat": int(now or time.time()), "jti": "haven", "iss": "Vonage",
                  "payload_hash": hashlib.sha256(body).hexdigest()})
    sig = hmac.new(secret.encode(), f"{head}.{claims}".encode(), hashlib.sha256).digest()
    return f"{head}.{claims}." + base64.urlsafe_b64encode(sig).decode().rstrip("=")


def vonage_jwt_ok(secret: str, authorization: str, body: bytes,
                  now: float | None = None) -> bool:
    """An HS256 JWT signed with the signature secret, for this very body, and recent."""
    token = authorization.removeprefix("Bearer ").strip()
    parts = token.split(".")
    if not secret or len(parts) != 3:
        return False
    try:
        head = json.loads(_b64url(parts[0]))
        claims = json.loads(_b64url(parts[1]))
        given = _b64url(parts[2])
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(head, dict) or head.get("alg") != "HS256" or not isinstance(claims, dict):
        return False
    expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(),
                        hashlib.sha256).digest()
    if not hmac.compare_digest(expected, given):
        return False
    if not same(hashlib.sha256(body).hexdigest(), str(claims.get("payload_hash", ""))):
        return False
    try:
        issued = float(claims.get("iat", 0))
    except (TypeError, ValueError):
        return False
    return abs((now or time.time()) - issued) <= VONAGE_SKEW


def vonage_messages_send(channel: str, own: str, to: str, messages: list[str]) -> int:
    """Reply through Vonage's Messages API on the channel the message came in on."""
    cfg = current_app.config
    auth = base64.b64encode(f"{cfg['HAVEN_VONAGE_API_KEY']}:{cfg['HAVEN_VONAGE_API_SECRET']}"
                            .encode()).decode()
    sent = 0
    for m in messages:
        body = json.dumps({"message_type": "text", "text": m, "to": to, "from": own,
                           "channel": channel}).encode()
        req = urllib.request.Request(  # noqa: S310 - configured https URL
            cfg["HAVEN_VONAGE_MESSAGES_URL"], data=body, method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "Authorization": f"Basic {auth}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                sent += 200 <= resp.status < 300
        except (urllib.error.URLError, OSError) as exc:
            log.warning("sms reply not delivered (provider=vonage-messages, %s)",
                        exc.__class__.__name__)
    return sent


def at_token(secret: str) -> str:
    """The secret part of the Africa's Talking callback URL."""
    return hmac.new(secret.encode(), b"haven-sms-africastalking", hashlib.sha256).hexdigest()[:32]


def _post(url: str, data: dict[str, str], headers: dict[str, str], provider: str) -> bool:
    body = urllib.parse.urlencode(data).encode()
    req = urllib.request.Request(url, data=body, headers={  # noqa: S310 - configured https URL
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
        **headers}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError) as exc:
        # Never the number or the text: which provider, and what kind of failure.
        log.warning("sms reply not delivered (provider=%s, %s)", provider,
                    exc.__class__.__name__)
        return False


def vonage_send(own_number: str, to: str, messages: list[str]) -> int:
    """Send each message through Vonage's SMS API; returns how many it accepted."""
    cfg = current_app.config
    sent = 0
    for m in messages:
        data = {"api_key": cfg["HAVEN_VONAGE_API_KEY"], "api_secret":
                cfg["HAVEN_VONAGE_API_SECRET"], "from": own_number, "to": to, "text": m}
        if not segments.is_gsm(m):
            data["type"] = "unicode"
        sent += _post(cfg["HAVEN_VONAGE_API_URL"], data, {}, "vonage")
    return sent


def at_send(own_number: str, to: str, messages: list[str]) -> int:
    """Send each message through Africa's Talking; returns how many it accepted."""
    cfg = current_app.config
    sent = 0
    for m in messages:
        data = {"username": cfg["HAVEN_AT_USERNAME"], "to": to, "message": m,
                "from": own_number}
        sent += _post(cfg["HAVEN_AT_API_URL"], data, {"apiKey": cfg["HAVEN_AT_API_KEY"]},
                      "africastalking")
    return sent


def vonage_params(form: Mapping[str, str], args: Mapping[str, str],
                  body: bytes) -> dict[str, str]:
    """Vonage sends GET query parameters, a form, or JSON: whichever it is, as one dict."""
    if body[:1] == b"{":
        try:
            data = json.loads(body)
        except ValueError:
            data = {}
        if isinstance(data, dict):
            return {str(k): str(v) for k, v in data.items()}
    return {**dict(args), **dict(form)}
