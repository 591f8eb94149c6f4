"""The directory by text message: the generic webhook and each provider's adapter with
their real request formats and signatures (Vonage and Africa's Talking replies go to a simulated
gateway on 127.0.0.1), the conversation in several languages, three segments at most, no
confidential street, and no trace of the sender's number afterwards."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.db_helpers import raw_database
from tests.sms_helpers import DIGITS, PUBLIC, SECRET, SENDER, TWILIO_TOKEN, VONAGE_SIG, Gateway
from webapp import state
from webapp.extensions import db
from webapp.models import Location
from webapp.sms import providers, segments

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres


def send(client: FlaskClient, text: str, sender: str = SENDER) -> list[str]:
    """One signed message to the generic webhook; returns the reply's messages."""
    body = json.dumps({"from": sender, "to": "+15550100000", "text": text}).encode()
    resp = client.post("/sms/inbound", data=body, headers={
        "X-Haven-Signature": providers.generic_signature(SECRET, body),
        "Content-Type": "application/json"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "Set-Cookie" not in resp.headers
    messages = resp.get_json()["messages"]
    assert messages and all(isinstance(m, str) for m in messages)
    return messages  # type: ignore[no-any-return]


def cost(messages: list[str]) -> int:
    return sum(segments.count(m).segments for m in messages)


def test_segment_counting() -> None:
    assert segments.count("a" * 160).segments == 1
    assert segments.count("a" * 161).segments == 2
    assert segments.count("a" * 459).segments == 3
    assert segments.count("a" * 460).segments == 4
    assert segments.count("€" * 80) == segments.Count("GSM-7", 160, 1)  # escape: 2 septets
    assert segments.count("مأوى" * 17 + "ab") == segments.Count("UCS-2", 70, 1)
    assert segments.count("م" * 71).segments == 2
    assert segments.count("م" * 201).segments == 3
    assert segments.count("م" * 202).segments == 4
    assert segments.count("😀" * 35).units == 70  # two UTF-16 units each


def test_off_unless_configured_and_unsigned_is_refused(app: Flask, sms: FlaskClient,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.sms import services

    def boom(*_a: object) -> None:
        raise AssertionError("an unsigned message was processed")

    monkeypatch.setattr(services, "handle", boom)
    body = json.dumps({"from": SENDER, "text": "refugio"}).encode()
    assert sms.post("/sms/inbound", data=body).status_code == 403
    assert sms.post("/sms/inbound", data=body, headers={
        "X-Haven-Signature": providers.generic_signature("wrong", body)}).status_code == 403
    form = {"From": SENDER, "To": "+15550100000", "Body": "refugio"}
    assert sms.post("/sms/twilio", data=form, headers={
        "X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}).status_code == 403
    assert sms.post("/sms/africastalking/" + "0" * 32, data={
        "from": SENDER, "text": "refugio"}).status_code == 403
    params = {"msisdn": SENDER, "to": "15550100000", "text": "x",
              "timestamp": str(int(time.time()))}
    params["sig"] = "0" * 64
    assert sms.get("/sms/vonage", query_string=params).status_code == 403
    stale = {**params, "timestamp": str(int(time.time()) - 3600)}
    stale["sig"] = providers.vonage_signature(VONAGE_SIG, stale)
    assert sms.get("/sms/vonage", query_string=stale).status_code == 403
    app.config["HAVEN_SMS_SECRET"] = ""
    signed = {"X-Haven-Signature": providers.generic_signature("", body)}
    assert sms.post("/sms/inbound", data=body, headers=signed).status_code == 404


def test_a_spanish_query_gets_a_spanish_reply_with_a_shelter(sms: FlaskClient) -> None:
    reply = send(sms, "refugio")
    text = "\n".join(reply)
    assert "Refugio" in text and "Abierto" in text and "Ejemplo" in text  # Spanish, marked
    assert "555-01" in text  # a phone to call
    assert cost(reply) <= 3
    nearby = "\n".join(send(sms, "refugio Fresno"))
    assert "(559) 555-0140" in nearby and "Fresno" in nearby


def test_arabic_and_other_scripts_answer_in_their_language(sms: FlaskClient) -> None:
    reply = send(sms, "مأوى")
    assert "مثال" in reply[0]  # "Example" in Arabic: the listing is fictional
    assert any(segments.count(m).encoding == "UCS-2" for m in reply) and cost(reply) <= 3
    for query, word in (("पनाह आश्रय", "उदाहरण"), ("приют", "Пример"), ("hébergement", "Exemple")):
        text = "\n".join(send(sms, query, sender="+15550100199"))
        assert word in text, (query, text)


def test_more_pages_and_lang_switches(sms: FlaskClient) -> None:
    first = send(sms, "shelter")
    second = send(sms, "MORE")
    names = [m.splitlines()[1] for m in first + second]
    assert len(names) == len(set(names)) >= 4  # the next listings, none twice
    assert cost(first) <= 3 and cost(second) <= 3
    assert "Replies are now in" not in send(sms, "LANG ar")[0]  # said in Arabic
    assert "مثال" in send(sms, "shelter")[0]
    follow = send(sms, "refugio", sender="+15550100177")
    more = send(sms, "more", sender="+15550100177")  # an English word, a Spanish conversation
    assert "Ejemplo" in follow[0] and "Ejemplo" in more[0]


def test_help_puts_the_emergency_number_first(sms: FlaskClient) -> None:
    for word in ("HELP", "ayuda", "مساعدة", "ሓገዝ"):
        reply = send(sms, word)
        assert "911" in reply[0], (word, reply)
        assert "1-888-373-7888" in reply[0]  # the national hotline, from the verified data
        assert cost(reply) <= 3, (word, reply)


def test_every_reply_fits_three_segments_and_never_names_a_street(app: Flask,
                                                                  sms: FlaskClient) -> None:
    with app.app_context():
        streets = [s for s in db.session.scalars(select(Location.address_1).where(
            Location.confidential.is_(True))) if s]
    assert streets
    queries = ["shelter", "MORE", "MORE", "refugio", "مأوى", "MORE", "پناهگاه", "притулок",
               "庇护所", "आश्रय", "መዕቆቢ", "lawyer 94103", "legal aid Oakland", "food",
               "nhà tạm lánh", "strehim", "adăpost", "HELP", "xyzzy", "LANG ti", "shelter"]
    for i, q in enumerate(queries):
        reply = send(sms, q, sender=f"+1555010{i:04d}" if i % 3 == 0 else SENDER)
        assert cost(reply) <= 3, (q, reply, [segments.count(m) for m in reply])
        for street in streets:
            assert street not in "\n".join(reply), (q, street)


def test_twilio_sms_and_whatsapp_get_twiml(sms: FlaskClient) -> None:
    for i, sender in enumerate((SENDER, "whatsapp:" + SENDER)):
        form = {"From": sender, "To": "+15550100000", "Body": "refugio", "MessageSid": f"SM{i}"}
        sig = providers.twilio_signature(TWILIO_TOKEN, PUBLIC + "/sms/twilio", form)
        resp = sms.post("/sms/twilio", data=form, headers={"X-Twilio-Signature": sig})
        assert resp.status_code == 200 and resp.mimetype == "text/xml"
        xml = resp.get_data(as_text=True)
        assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
        assert "Refugio" in xml and "555-01" in xml


def test_vonage_and_africas_talking_reply_through_their_apis(app: Flask, sms: FlaskClient,
                                                             gateway: Gateway) -> None:
    params = {"msisdn": SENDER.lstrip("+"), "to": "15550100000", "text": "مأوى",
              "messageId": "0A000001", "type": "unicode", "keyword": "مأوى",
              "message-timestamp": "2026-11-23 10:00:00", "timestamp": str(int(time.time())),
              "nonce": "f3b1"}
    params["sig"] = providers.vonage_signature(VONAGE_SIG, params)
    assert sms.get("/sms/vonage", query_string=params).status_code == 204
    sent = [f for path, f, _h in gateway.received if path == "/sms/json"]
    assert sent and all(f["to"] == SENDER.lstrip("+") and f["from"] == "15550100000"
                        for f in sent)
    assert all(f["type"] == "unicode" and f["api_key"] == "vkey" for f in sent)
    assert "مثال" in sent[0]["text"] and cost([f["text"] for f in sent]) <= 3
    json_body = {**params, "text": "HELP", "timestamp": str(int(time.time())),
                 "messageId": "0A000002"}
    json_body["sig"] = providers.vonage_signature(VONAGE_SIG, json_body)
    assert sms.post("/sms/vonage", data=json.dumps(json_body),
                    content_type="application/json").status_code == 204
    assert "911" in [f for p, f, _h in gateway.received if p == "/sms/json"][-2]["text"]

    token = providers.at_token(SECRET)
    resp = sms.post(f"/sms/africastalking/{token}", data={
        "from": "+254711000111", "to": "21525", "text": "refugio", "date": "2026-11-23",
        "id": "abc", "linkId": "xyz"})
    assert resp.status_code == 200
    at = [(f, h) for path, f, h in gateway.received if path == "/version1/messaging"]
    assert at and all(f["to"] == "+254711000111" and f["from"] == "21525" for f, _h in at)
    assert all(f["username"] == "haven" and h.get("Apikey") == "at key" for f, h in at)
    assert "Refugio" in at[0][0]["message"]


def test_rate_limit_per_sender(app: Flask, sms: FlaskClient) -> None:
    app.config["HAVEN_SMS_PER_HOUR"] = 3
    for _ in range(3):
        assert "Too many messages" not in send(sms, "shelter", sender="+15550100155")[0]
    assert "Too many messages" in send(sms, "shelter", sender="+15550100155")[0]
    assert "Too many messages" not in send(sms, "shelter", sender="+15550100156")[0]


def test_no_trace_of_the_sender_anywhere(app: Flask, sms: FlaskClient, gateway: Gateway,
                                         request: pytest.FixtureRequest,
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for text in ("refugio", "MORE", "HELP", "LANG ar", "مأوى"):
        send(sms, text)
    form = {"From": "whatsapp:" + SENDER, "To": "+15550100000", "Body": "refugio"}
    sms.post("/sms/twilio", data=form, headers={"X-Twilio-Signature": providers.twilio_signature(
        TWILIO_TOKEN, PUBLIC + "/sms/twilio", form)})
    app.config["HAVEN_VONAGE_API_URL"] = "http://127.0.0.1:9/unreachable"  # a failed send logs
    params = {"msisdn": SENDER.lstrip("+"), "to": "15550100000", "text": "shelter",
              "timestamp": str(int(time.time()))}
    params["sig"] = providers.vonage_signature(VONAGE_SIG, params)
    sms.get("/sms/vonage", query_string=params)
    assert "not delivered" in caplog.text
    with app.app_context():
        shared = state.current()
        kept = b"".join(k.encode() + v for k, (v, _t) in shared._mem.items())  # noqa: SLF001
    blobs = [raw_database(app, request), caplog.text.encode(), kept]
    blobs += [p.read_bytes() for p in Path(app.instance_path).rglob("*.log") if p.is_file()]
    assert kept  # the conversation is there, under a hash
    for blob in blobs:
        assert DIGITS.encode() not in blob


def test_a_gateway_posting_over_http(app: Flask, sms: FlaskClient, live_server: str) -> None:
    """A simulated gateway on 127.0.0.1 calls the running server as a provider would."""
    import urllib.request

    body = json.dumps({"from": SENDER, "to": "+15550100000", "text": "refugio"}).encode()
    for signature, status in (("", 403), (providers.generic_signature(SECRET, body), 200)):
        req = urllib.request.Request(f"{live_server}/sms/inbound", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-Haven-Signature": signature})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback
                got, answer = resp.status, json.loads(resp.read())
                assert resp.headers.get("Set-Cookie") is None
        except urllib.error.HTTPError as exc:
            got, answer = exc.code, {}
            exc.close()
        assert got == status
    assert "Refugio" in "\n".join(answer["messages"]) and cost(answer["messages"]) <= 3


def test_vonage_whatsapp_through_the_messages_api(sms: FlaskClient, gateway: Gateway) -> None:
    body = json.dumps({"channel": "whatsapp", "message_type": "text", "text": "ayuda",
                       "from": SENDER.lstrip("+"), "to": "15550100000",
                       "message_uuid": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
                       "timestamp": "2026-11-23T10:00:00Z"}).encode()
    for token in ("", "Bearer x.y.z", "Bearer " + providers.vonage_jwt("wrong", body),
                  "Bearer " + providers.vonage_jwt(VONAGE_SIG, b"another body"),
                  "Bearer " + providers.vonage_jwt(VONAGE_SIG, body, now=time.time() - 3600)):
        assert sms.post("/sms/vonage/messages", data=body, content_type="application/json",
                        headers={"Authorization": token}).status_code == 403
    assert not gateway.received
    resp = sms.post("/sms/vonage/messages", data=body, content_type="application/json",
                    headers={"Authorization": "Bearer " + providers.vonage_jwt(VONAGE_SIG,
                                                                                body)})
    assert resp.status_code == 200
    sent = [(h, f) for path, f, h in gateway.received if path == "/v1/messages"]
    assert sent and all(h.get("Authorization", "").startswith("Basic ") for h, _f in sent)
    assert all(f["channel"] == "whatsapp" and f["to"] == SENDER.lstrip("+")
               and f["from"] == "15550100000" for _h, f in sent)
    assert "911" in sent[0][1]["text"]  # AYUDA: the emergency number first, in Spanish


def test_sms_urls_names_every_webhook(app: Flask) -> None:
    runner = app.test_cli_runner()
    res = runner.invoke(args=["sms", "urls"])
    assert res.exit_code != 0 and "set HAVEN_SMS_SECRET first" in res.output
    app.config.update({"HAVEN_SMS_SECRET": SECRET, "HAVEN_PUBLIC_URL": PUBLIC})
    res = runner.invoke(args=["sms", "urls"])
    assert res.exit_code == 0
    for path in ("/sms/inbound", "/sms/twilio", "/sms/vonage", "/sms/vonage/messages",
                 "/sms/africastalking/" + providers.at_token(SECRET)):
        assert PUBLIC + path in res.output
