"""A signed text-message request sent again is answered as a success and not processed
again: one reply reaches the sender however often the request is replayed; only a hash of
the provider's message id is remembered."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.sms_helpers import DIGITS, PUBLIC, SECRET, SENDER, TWILIO_TOKEN, VONAGE_SIG, Gateway
from webapp import state
from webapp.sms import providers, services

REPLAYS = 5


@pytest.fixture
def handled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts services.handle processed, in order."""
    seen: list[str] = []
    real = services.handle

    def spy(sender: str, text: str) -> services.Reply:
        seen.append(text)
        return real(sender, text)

    monkeypatch.setattr(services, "handle", spy)
    return seen


def _generic(client: FlaskClient, body: dict[str, Any]) -> Any:
    raw = json.dumps(body).encode()
    return client.post("/sms/inbound", data=raw, content_type="application/json",
                       headers={"X-Haven-Signature": providers.generic_signature(SECRET, raw)})


def test_generic_with_a_message_id_is_answered_once(sms: FlaskClient,
                                                    handled: list[str]) -> None:
    body = {"from": SENDER, "to": "+15550100000", "text": "refugio", "message_id": "gw-1"}
    answers = [_generic(sms, body) for _ in range(REPLAYS)]
    assert [a.status_code for a in answers] == [200] * REPLAYS
    assert "Refugio" in "\n".join(answers[0].get_json()["messages"])
    assert [a.get_json() for a in answers[1:]] == [{"messages": []}] * (REPLAYS - 1)
    assert handled == ["refugio"]
    # Another message of the same person, with its own id, is answered as usual.
    assert _generic(sms, {**body, "text": "MORE", "message_id": "gw-2"}).get_json()["messages"]
    assert handled == ["refugio", "MORE"]


def test_generic_without_an_id_keeps_its_contract(sms: FlaskClient,
                                                  handled: list[str]) -> None:
    """The documented format carries no id: "MORE" twice is two messages, both answered."""
    body = {"from": SENDER, "to": "+15550100000", "text": "shelter"}
    assert _generic(sms, body).get_json()["messages"]
    more = {**body, "text": "MORE"}
    assert _generic(sms, more).get_json()["messages"]
    assert _generic(sms, more).get_json()["messages"]
    assert handled == ["shelter", "MORE", "MORE"]


def test_twilio_replays_get_empty_twiml(sms: FlaskClient, handled: list[str]) -> None:
    form = {"From": SENDER, "To": "+15550100000", "Body": "refugio", "MessageSid": "SM" + "a" * 32,
            "AccountSid": "AC" + "b" * 32, "NumMedia": "0"}
    sig = providers.twilio_signature(TWILIO_TOKEN, PUBLIC + "/sms/twilio", form)
    answers = [sms.post("/sms/twilio", data=form, headers={"X-Twilio-Signature": sig})
               for _ in range(REPLAYS)]
    assert [a.status_code for a in answers] == [200] * REPLAYS
    assert "<Message>" in answers[0].get_data(as_text=True)
    empty = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    assert [a.get_data(as_text=True) for a in answers[1:]] == [empty] * (REPLAYS - 1)
    assert handled == ["refugio"]
    # Without a MessageSid the signature (over every field) stands in for it.
    bare = {"From": SENDER, "To": "+15550100000", "Body": "ayuda"}
    bare_sig = providers.twilio_signature(TWILIO_TOKEN, PUBLIC + "/sms/twilio", bare)
    for _ in range(REPLAYS):
        sms.post("/sms/twilio", data=bare, headers={"X-Twilio-Signature": bare_sig})
    assert handled == ["refugio", "ayuda"]


def test_vonage_replays_send_one_reply(sms: FlaskClient, gateway: Gateway,
                                       handled: list[str]) -> None:
    params = {"msisdn": SENDER.lstrip("+"), "to": "15550100000", "text": "HELP",
              "messageId": "0B000001", "type": "text", "timestamp": str(int(time.time())),
              "nonce": "9c1d"}
    params["sig"] = providers.vonage_signature(VONAGE_SIG, params)

    def sent() -> list[dict[str, str]]:
        return [f for path, f, _h in gateway.received if path == "/sms/json"]

    assert sms.get("/sms/vonage", query_string=params).status_code == 204
    first = sent()
    assert first and "911" in first[0]["text"]
    codes = [sms.get("/sms/vonage", query_string=params).status_code
             for _ in range(REPLAYS - 1)]
    assert codes == [204] * (REPLAYS - 1)
    # As JSON, the same message again: still nothing more sent.
    assert sms.post("/sms/vonage", data=json.dumps(params),
                    content_type="application/json").status_code == 204
    assert handled == ["HELP"] and sent() == first


def test_vonage_messages_replays_send_one_reply(sms: FlaskClient, gateway: Gateway,
                                                handled: list[str]) -> None:
    body = json.dumps({"channel": "whatsapp", "message_type": "text", "text": "ayuda",
                       "from": SENDER.lstrip("+"), "to": "15550100000",
                       "message_uuid": "aaaaaaaa-bbbb-cccc-dddd-0123456789ac"}).encode()
    token = "Bearer " + providers.vonage_jwt(VONAGE_SIG, body)

    def post() -> int:
        return sms.post("/sms/vonage/messages", data=body, content_type="application/json",
                        headers={"Authorization": token}).status_code

    def sent() -> list[dict[str, str]]:
        return [f for path, f, _h in gateway.received if path == "/v1/messages"]

    assert post() == 200
    first = sent()
    assert first and all(f["to"] == SENDER.lstrip("+") for f in first)
    assert [post() for _ in range(REPLAYS - 1)] == [200] * (REPLAYS - 1)
    assert handled == ["ayuda"] and sent() == first


def test_africas_talking_replays_send_one_reply(sms: FlaskClient, gateway: Gateway,
                                                handled: list[str]) -> None:
    form = {"from": "+254711000111", "to": "21525", "text": "refugio", "date": "2026-12-03",
            "id": "ATXid_0001", "linkId": "xyz"}
    url = "/sms/africastalking/" + providers.at_token(SECRET)

    def sent() -> list[dict[str, str]]:
        return [f for path, f, _h in gateway.received if path == "/version1/messaging"]

    assert sms.post(url, data=form).status_code == 200
    first = sent()
    assert first and "Refugio" in first[0]["message"]
    assert [sms.post(url, data=form).status_code for _ in range(REPLAYS - 1)] == \
        [200] * (REPLAYS - 1)
    assert handled == ["refugio"] and sent() == first


def test_a_failed_message_is_processed_when_the_provider_retries(
        app: Flask, sms: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    real = services.handle
    calls: list[str] = []

    def flaky(sender: str, text: str) -> services.Reply:
        calls.append(text)
        if len(calls) == 1:
            raise RuntimeError("search down")
        return real(sender, text)

    monkeypatch.setattr(services, "handle", flaky)
    body = {"from": SENDER, "to": "+15550100000", "text": "refugio", "message_id": "gw-9"}
    assert _generic(sms, body).status_code == 500
    retry = _generic(sms, body)
    assert retry.status_code == 200 and retry.get_json()["messages"]
    assert calls == ["refugio", "refugio"]
    assert _generic(sms, body).get_json() == {"messages": []}


def test_the_replay_record_is_a_hash_of_the_message_id(app: Flask,
                                                       sms: FlaskClient) -> None:
    form = {"From": SENDER, "To": "+15550100000", "Body": "refugio", "MessageSid": "SMsecret1"}
    sig = providers.twilio_signature(TWILIO_TOKEN, PUBLIC + "/sms/twilio", form)
    sms.post("/sms/twilio", data=form, headers={"X-Twilio-Signature": sig})
    with app.app_context():
        held = dict(state.current()._mem)  # noqa: SLF001
    seen = {k: v for k, (v, _t) in held.items() if k.startswith("sms-seen:")}
    digest = hashlib.sha256(b"twilio\nSMsecret1").hexdigest()
    assert list(seen) == [f"sms-seen:{digest}"]
    blob = b"".join(k.encode() + v for k, v in seen.items())
    for secret in (DIGITS.encode(), b"SMsecret1", b"refugio"):
        assert secret not in blob
    assert held[f"sms-seen:{digest}"][1] - time.monotonic() <= services.REPLAY_SECONDS


def test_without_an_id_a_rewritten_signature_is_still_a_replay(
        sms: FlaskClient, handled: list[str]) -> None:
    """The fallbacks key on what is signed exactly as sent: Vonage's hex sig in capitals or
    a JWT whose signature gained padding are the same request."""
    params = {"msisdn": SENDER.lstrip("+"), "to": "15550100000", "text": "HELP",
              "timestamp": str(int(time.time()))}
    params["sig"] = providers.vonage_signature(VONAGE_SIG, params)
    assert sms.get("/sms/vonage", query_string=params).status_code == 204
    loud = {**params, "sig": params["sig"].upper()}
    assert sms.get("/sms/vonage", query_string=loud).status_code == 204
    body = json.dumps({"channel": "whatsapp", "message_type": "text", "text": "ayuda",
                       "from": SENDER.lstrip("+"), "to": "15550100000"}).encode()
    token = "Bearer " + providers.vonage_jwt(VONAGE_SIG, body)
    for auth in (token, token + "=", token + "=="):
        assert sms.post("/sms/vonage/messages", data=body, content_type="application/json",
                        headers={"Authorization": auth}).status_code == 200
    assert handled == ["HELP", "ayuda"]
