"""Text messages in tests: the providers' secrets, a sender, a simulated gateway on 127.0.0.1
that records what Haven sends, and the fixtures `gateway` and `sms` (a client of an app with
every provider configured against that gateway). conftest.py registers this module as a
plugin (pytest_plugins), so the fixtures reach every test module without an import."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import in_background

SECRET = "generic sms secret"
TWILIO_TOKEN = "twilio auth token 0123"
VONAGE_SIG = "vonage signature secret"
SENDER = "+15550100123"
DIGITS = "5550100123"
PUBLIC = "https://haven.example"


class Gateway:
    """A provider's send API on 127.0.0.1: records every POST (path, form fields)."""

    def __init__(self) -> None:
        received: list[tuple[str, dict[str, str], dict[str, str]]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                size = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(size).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    fields = {k: str(v) for k, v in json.loads(raw).items()}
                else:
                    fields = dict(urllib.parse.parse_qsl(raw))
                received.append((self.path, fields, dict(self.headers)))
                body = b'{"messages":[{"status":"0"}]}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = in_background(self.server)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    """A simulated provider gateway, stopped after the test."""
    gw = Gateway()
    yield gw
    gw.stop()


@pytest.fixture
def sms(app: Flask, gateway: Gateway) -> FlaskClient:
    """A client of app with text messages on: every provider configured, sending to gateway."""
    app.config.update({
        "HAVEN_SMS_SECRET": SECRET, "HAVEN_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "HAVEN_PUBLIC_URL": PUBLIC, "HAVEN_VONAGE_API_KEY": "vkey",
        "HAVEN_VONAGE_API_SECRET": "vsecret", "HAVEN_VONAGE_SIGNATURE_SECRET": VONAGE_SIG,
        "HAVEN_VONAGE_API_URL": gateway.url + "/sms/json", "HAVEN_AT_USERNAME": "haven",
        "HAVEN_VONAGE_MESSAGES_URL": gateway.url + "/v1/messages",
        "HAVEN_AT_API_KEY": "at key", "HAVEN_AT_API_URL": gateway.url + "/version1/messaging"})
    return app.test_client()
