"""Which host and which page may talk to Haven: a request naming a host the site does not
answer to gets 400 before any route runs; a form posted from an opaque origin (a sandboxed
frame on another site) is refused, while Haven's own forms, in a real browser, still post."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.staff_helpers import keyed
from webapp import security

PUBLIC = "https://help.example.org"


@pytest.mark.parametrize(("public", "listed", "expected"), [
    ("", "", None),
    (PUBLIC, "", ["help.example.org", "localhost", "127.0.0.1"]),
    ("https://Help.Example.org:8443/haven/", "", ["help.example.org", "localhost", "127.0.0.1"]),
    (PUBLIC, " mirror.example.net , .example.com,", [
        "help.example.org", "mirror.example.net", ".example.com", "localhost", "127.0.0.1"]),
    ("", "intranet.example", ["intranet.example", "localhost", "127.0.0.1"]),
    (PUBLIC, "localhost", ["help.example.org", "localhost", "127.0.0.1"]),
])
def test_trusted_hosts_come_from_the_public_address_and_the_list(
        public: str, listed: str, expected: list[str] | None) -> None:
    """The public address's host first, the listed names, then loopback; none: any host."""
    assert security.trusted_hosts(public, listed) == expected


@pytest.fixture
def app(app: Flask) -> Flask:
    """The seeded app with a public address (so it knows its own name)."""
    app.config["HAVEN_PUBLIC_URL"] = PUBLIC
    app.config["TRUSTED_HOSTS"] = security.trusted_hosts(PUBLIC, "")
    return app


@pytest.mark.parametrize("path", ["/en/", "/en/search?q=shelter", "/staff/login",
                                  "/api/hsds/services", "/en/posters", "/en/tip"])
def test_a_request_for_another_host_gets_400_and_no_page(app: Flask, path: str) -> None:
    """Host: evil.example is refused with Haven's own 400 page: no listing, no link built
    from the host the client chose, no stack trace."""
    client = app.test_client()
    resp = client.get(path, headers={"Host": "evil.example"})
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert "evil.example" not in body
    assert "Traceback" not in body
    assert "tel:" not in body  # no listing was served
    ok = client.get(path, headers={"Host": "help.example.org"})
    assert ok.status_code in (200, 302, 503), (path, ok.status_code)
    assert client.get(path, headers={"Host": "localhost:5000"}).status_code == ok.status_code


def test_a_tip_posted_to_another_host_stores_nothing(app: Flask) -> None:
    """A POST naming an unknown host is refused before the form is read: no tip is stored."""
    from webapp.extensions import db
    from webapp.models import Tip

    keyed(app)
    client = app.test_client()
    with app.app_context():
        before = db.session.query(Tip).count()
    resp = client.post("/en/tip", data={"what": "A tip to the wrong host"},
                       headers={"Host": "evil.example"})
    assert resp.status_code == 400
    with app.app_context():
        assert db.session.query(Tip).count() == before


def test_without_a_public_address_any_host_is_answered(app: Flask) -> None:
    """A laptop running `python app.py` with no settings answers whatever name it is given."""
    app.config["TRUSTED_HOSTS"] = None
    assert app.test_client().get("/en/", headers={"Host": "my-laptop.lan:5000"}).status_code == 200


def test_a_form_from_a_sandboxed_frame_on_another_site_is_refused(app: Flask) -> None:
    """Origin: null without a browser vouching for the request is refused; with
    Sec-Fetch-Site: same-origin (a page of Haven's own, cached under the old policy) it
    posts."""
    keyed(app)
    client = app.test_client()
    data = {"what": "Opaque origin"}
    assert client.post("/en/tip", data=data, headers={"Origin": "null"}).status_code == 403
    assert client.post("/en/tip", data=data, headers={
        "Origin": "null", "Sec-Fetch-Site": "cross-site"}).status_code == 403
    vouched = client.post("/en/tip", data=data, headers={
        "Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert vouched.status_code != 403


@pytest.mark.browser
def test_haven_forms_in_chromium_send_their_origin_and_are_accepted(
        app: Flask, live_server: str, phones: Any) -> None:
    """A report sent from the listing page by Chromium carries the page's own origin (not
    "null") and reaches the thank-you page; a sandboxed frame on another site posting the same
    form gets 403 and stores nothing."""
    from webapp.extensions import db
    from webapp.models import ListingReport

    app.config["TRUSTED_HOSTS"] = None  # the live server is reached as 127.0.0.1:<port>
    answered: list[int] = []  # what the server answered each POST (a frame may hide it)

    @app.after_request
    def note_status(resp: Any) -> Any:
        from flask import request
        if request.method == "POST":
            answered.append(resp.status_code)
        return resp

    ctx = phones("en")
    page = ctx.new_page()
    posted: list[dict[str, str]] = []
    page.on("request", lambda r: posted.append(r.headers) if r.method == "POST" else None)
    with app.app_context():
        before = db.session.query(ListingReport).count()
        from webapp.models import Service
        service_id = db.session.query(Service.id).order_by(Service.name).first()[0]
    page.goto(f"{live_server}/en/services/{service_id}/report")
    assert page.title()
    page.locator("input[name=kind][value=wrong_phone]").check()
    page.locator("textarea[name=note]").fill("The phone number has changed.")
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    assert posted and posted[-1].get("origin") == live_server
    with app.app_context():
        assert db.session.query(ListingReport).count() == before + 1

    # Another page, served by another loopback server (another origin), frames a sandboxed
    # copy of the form that submits itself: the frame's origin is opaque.
    frame = (f"<form method=post action='{live_server}/en/services/{service_id}/report'>"
             "<input name=kind value=closed><button>go</button></form>"
             "<script>document.forms[0].submit()</script>")
    evil = serve_once(f'<iframe sandbox="allow-forms allow-scripts" srcdoc="{frame}"></iframe>')
    page.goto(evil)
    for _ in range(50):
        if len(answered) == 2:
            break
        page.wait_for_timeout(100)
    assert answered == [201, 403]
    with app.app_context():
        assert db.session.query(ListingReport).count() == before + 1


def serve_once(html: str) -> str:
    """Serve one page from a loopback server of its own (a different origin); its URL."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    body = html.encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = HTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/evil"
