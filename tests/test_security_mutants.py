"""The protections in webapp/security.py, each checked by what it does to a request.

A person reporting or seeking help is protected by these lines: their address and device never
reach the app, the rate-limit tag cannot be traced back after the hour, other sites cannot make
their browser post a form, and nothing private is cached. Each test drives a small Flask app (or
the middleware itself) and asserts the outcome, so that changing any condition, key or number
in the module fails a test.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, Response, make_response

from webapp import security
from webapp.security import (
    CLIENT_TAG,
    IDENTIFYING_ENVIRON_KEYS,
    SECURITY_HEADERS,
    RotatingTagger,
    StripClientIdentity,
)
from webapp.state import SharedState, StateUnavailable


class FakeClock:
    """Wall-clock and monotonic time the test moves by hand."""

    def __init__(self, wall: float, mono: float = 1000.0) -> None:
        self.wall = wall
        self.mono = mono

    def time(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.mono


class RecordingState(SharedState):
    """The in-memory shared state, recording every key it is asked to add."""

    def __init__(self) -> None:
        super().__init__("")
        self.adds: list[tuple[str, int, float]] = []

    def add(self, key: str, value: bytes, ttl: float) -> bytes:
        self.adds.append((key, len(value), ttl))
        return super().add(key, value, ttl)


class DownState(SharedState):
    """A shared state whose store does not answer (Redis down)."""

    def add(self, key: str, value: bytes, ttl: float) -> bytes:
        raise StateUnavailable("ConnectionError")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """security.py's clock, frozen at the start of key period 5 (one-hour periods)."""
    fake = FakeClock(wall=5 * 3600 + 10)
    monkeypatch.setattr(security, "time", SimpleNamespace(time=fake.time,
                                                          monotonic=fake.monotonic))
    return fake


def make_app(**config: Any) -> Flask:
    """A bare Flask app with only security.init_app, and routes that show what they saw."""
    app = Flask("probe")
    # Generous enough that no test here meets the hourly allowance of public posts.
    app.config["HAVEN_POSTS_PER_HOUR"] = 1000
    app.config.update(config)
    seen: dict[str, Any] = {}
    app.config["SEEN"] = seen

    def look() -> str:
        from flask import request

        seen.update(environ=dict(request.environ), tag=security.client_tag(),
                    remote=request.remote_addr)
        return "ok"

    for rule in ("/", "/en/", "/en/search", "/staff", "/staff/inbox", "/api/private/tips",
                 "/api/public/services", "/en/tip/receipt", "/en/tip", "/ar/tip/status"):
        app.add_url_rule(rule, rule, look, methods=["GET", "POST"])

    @app.route("/own-csp")
    def own_csp() -> Response:
        resp = make_response("ok")
        resp.headers["Content-Security-Policy"] = "default-src 'self'"
        return resp

    app.before_request(security.same_origin_posts_only)
    security.init_app(app)
    return app


# headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/en/", "/en/search", "/staff", "/en/tip/receipt",
                                  "/does-not-exist"])
def test_every_security_header_on_every_response(path: str) -> None:
    """Each header with its exact value, error pages included."""
    resp = make_app().test_client().get(path)
    for name, value in SECURITY_HEADERS.items():
        assert resp.headers.get_all(name) == [value]
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Referrer-Policy"] == "no-referrer"


def test_a_page_that_sets_its_own_header_keeps_it() -> None:
    """A response that chose its own policy is not overwritten (the others still come)."""
    resp = make_app().test_client().get("/own-csp")
    assert resp.headers.get_all("Content-Security-Policy") == ["default-src 'self'"]
    assert resp.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(("path", "no_store"), [
    ("/staff", True),
    ("/staff/inbox", True),
    ("/api/private/tips", True),
    ("/en/tip/receipt", True),
    ("/ar/tip/status", True),
    ("/en/tip", False),
    ("/en/search", False),
    ("/api/public/services", False),
    ("/", False),
])
def test_private_pages_are_never_cached(path: str, no_store: bool) -> None:
    """Staff pages, the private API and every page under /tip/ say no-store; others do not."""
    resp = make_app().test_client().get(path)
    assert (resp.headers.get("Cache-Control") == "no-store") is no_store
    if not no_store:
        assert "Cache-Control" not in resp.headers


@pytest.mark.parametrize(("path", "vary"), [("/", ["Accept-Language"]), ("/en/", [])])
def test_only_the_root_varies_by_language(path: str, vary: list[str]) -> None:
    """The root redirects by Accept-Language, so caches must key it on that header."""
    resp = make_app().test_client().get(path)
    assert list(resp.vary) == vary


# cross-site posts --------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "headers", "status"), [
    ("POST", {}, 200),
    ("POST", {"Origin": "http://localhost"}, 200),
    ("POST", {"Origin": "null"}, 200),  # a privacy-preserving browser sends "null"
    ("POST", {"Origin": "https://evil.example"}, 403),
    ("POST", {"Origin": "http://localhost:8080"}, 403),
    ("POST", {"Origin": "http://localhost.evil.example"}, 403),
    ("POST", {"Sec-Fetch-Site": "cross-site"}, 403),
    ("POST", {"Sec-Fetch-Site": "same-origin"}, 200),
    ("POST", {"Sec-Fetch-Site": "same-site"}, 200),
    ("POST", {"Sec-Fetch-Site": "none"}, 200),
    ("POST", {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"}, 403),
    ("GET", {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 200),
])
def test_another_site_cannot_post_a_form(method: str, headers: dict[str, str],
                                         status: int) -> None:
    """A POST another site made the browser send is refused; reading pages is not."""
    resp = make_app().test_client().open("/en/tip", method=method, headers=headers)
    assert resp.status_code == status


# the client's identity ---------------------------------------------------------------------


def test_the_app_never_sees_who_the_client_is(clock: FakeClock) -> None:
    """Address, proxies' headers and the user agent are gone; a placeholder address stays."""
    app = make_app()
    headers = {k[5:].replace("_", "-"): "198.51.100.9" for k in IDENTIFYING_ENVIRON_KEYS
               if k.startswith("HTTP_")}
    app.test_client().get("/en/", headers=headers,
                          environ_base={"REMOTE_ADDR": "203.0.113.77", "REMOTE_PORT": "5555",
                                        "REMOTE_HOST": "phone.example"})
    environ = app.config["SEEN"]["environ"]
    assert not set(IDENTIFYING_ENVIRON_KEYS) - {"REMOTE_ADDR"} & set(environ)
    assert environ["REMOTE_ADDR"] == "0.0.0.0"
    assert app.config["SEEN"]["remote"] == "0.0.0.0"
    assert not any("198.51.100.9" in str(v) or "203.0.113.77" in str(v)
                   for v in environ.values())
    tagger = app.extensions["haven_tagger"]
    assert app.config["SEEN"]["tag"] == tagger.tag("203.0.113.77")
    assert environ[CLIENT_TAG] == tagger.tag("203.0.113.77")


def run_middleware(environ: dict[str, Any], proxy_header: str = "",
                   state: SharedState | None = None) -> dict[str, Any]:
    """Call StripClientIdentity on a raw WSGI environ; return what the app received."""
    received: dict[str, Any] = {}

    def inner(env: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        received.update(env)
        start_response("200 OK", [])
        return iter([b"ok"])

    tagger = RotatingTagger(state or SharedState(""))
    middleware = StripClientIdentity(inner, tagger, proxy_header)
    body = middleware(dict(environ), lambda *a: None)
    assert list(body) == [b"ok"]
    received["_tagger"] = tagger
    return received


def test_without_an_address_the_tag_is_empty(clock: FakeClock) -> None:
    """No address from the server: an empty tag, not the tag of some made-up address."""
    seen = run_middleware({"PATH_INFO": "/"})
    assert seen[CLIENT_TAG] == ""
    assert seen["REMOTE_ADDR"] == "0.0.0.0"
    assert run_middleware({"REMOTE_ADDR": ""})[CLIENT_TAG] == ""


@pytest.mark.parametrize(("proxy_header", "environ", "client"), [
    ("X-Forwarded-For", {"REMOTE_ADDR": "10.0.0.1",
                         "HTTP_X_FORWARDED_FOR": "203.0.113.1, 198.51.100.7"}, "198.51.100.7"),
    ("X-Forwarded-For", {"REMOTE_ADDR": "10.0.0.1",
                         "HTTP_X_FORWARDED_FOR": "198.51.100.7"}, "198.51.100.7"),
    ("X-Forwarded-For", {"REMOTE_ADDR": "10.0.0.1",  # hops joined without a space
                         "HTTP_X_FORWARDED_FOR": "203.0.113.1,198.51.100.7"}, "198.51.100.7"),
    ("x-real-ip", {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": " 198.51.100.8 "},
     "198.51.100.8"),
    ("X-Forwarded-For", {"REMOTE_ADDR": "10.0.0.1"}, "10.0.0.1"),  # header missing
    ("X-Forwarded-For", {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": ""}, "10.0.0.1"),
    ("", {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}, "10.0.0.1"),
])
def test_behind_a_proxy_the_client_is_the_last_hop(clock: FakeClock, proxy_header: str,
                                                   environ: dict[str, str],
                                                   client: str) -> None:
    """Only the configured header is trusted, and only its last hop (the proxy's own entry)."""
    seen = run_middleware(environ, proxy_header)
    assert seen[CLIENT_TAG] == seen["_tagger"].tag(client)
    assert "HTTP_X_FORWARDED_FOR" not in seen and "HTTP_X_REAL_IP" not in seen


def test_no_proxy_header_is_trusted_unless_configured(clock: FakeClock) -> None:
    """An app without HAVEN_PROXY_HEADER tags the connecting address, whatever headers say."""
    app = make_app()
    app.test_client().get("/en/", headers={"X-Forwarded-For": "198.51.100.7", "XXXX": "1.2.3.4"},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert app.config["SEEN"]["tag"] == app.extensions["haven_tagger"].tag("10.0.0.1")
    proxied = make_app(HAVEN_PROXY_HEADER="X-Forwarded-For")
    proxied.test_client().get("/en/", headers={"X-Forwarded-For": "198.51.100.7"},
                              environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert proxied.config["SEEN"]["tag"] == proxied.extensions["haven_tagger"].tag(
        "198.51.100.7")


def test_the_middleware_trusts_no_header_by_default(clock: FakeClock) -> None:
    """Built without a proxy header, the middleware tags the connecting address only."""
    received: dict[str, Any] = {}

    def inner(env: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        received.update(env)
        return [b"ok"]

    tagger = RotatingTagger(SharedState(""))
    middleware = StripClientIdentity(inner, tagger)
    assert middleware.proxy_key == ""
    middleware({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"},
               lambda *a: None)
    assert received[CLIENT_TAG] == tagger.tag("10.0.0.1")


def test_pages_still_answer_when_the_store_is_down(clock: FakeClock) -> None:
    """A shared store that does not answer leaves the tag empty; the page is still served."""
    seen = run_middleware({"REMOTE_ADDR": "10.0.0.1", "HTTP_USER_AGENT": "Phone/1"},
                          state=DownState(""))
    assert seen[CLIENT_TAG] == ""
    assert "HTTP_USER_AGENT" not in seen


def test_client_tag_outside_the_middleware_is_empty() -> None:
    """A request the middleware did not tag has the empty tag."""
    with Flask("bare").test_request_context("/"):
        assert security.client_tag() == ""


# the rotating key --------------------------------------------------------------------------


def test_the_key_period_is_one_hour(clock: FakeClock) -> None:
    """Periods are counted in whole hours of wall-clock time."""
    tagger = RotatingTagger(SharedState(""))
    assert tagger.period == 3600
    for wall, epoch in ((0.0, 0), (3599.9, 0), (3600.0, 1), (6 * 3600 - 0.5, 5),
                        (6 * 3600, 6)):
        clock.wall = wall
        assert tagger.epoch() == epoch
    assert RotatingTagger(SharedState(""), period=60).epoch() == 360


def test_a_new_key_every_period_kept_twice_as_long(clock: FakeClock) -> None:
    """Each period's key is 32 random bytes stored for two periods under its period number."""
    state = RecordingState()
    tagger = RotatingTagger(state)
    first = tagger.key()
    assert len(first) == 32
    assert state.adds == [("tagkey:5", 32, 7200.0)]
    clock.wall += 3600
    clock.mono += 1
    second = tagger.key()
    assert second != first and len(second) == 32
    assert state.adds[-1] == ("tagkey:6", 32, 7200.0)
    assert tagger.tag("203.0.113.5") != hmac.new(first, b"203.0.113.5",
                                                 hashlib.blake2b).hexdigest()[:32]


def test_the_key_is_read_again_after_a_minute(clock: FakeClock) -> None:
    """A process reuses the key it read for less than a minute, then asks the store again."""
    state = RecordingState()
    tagger = RotatingTagger(state)
    key = tagger.key()
    clock.mono += 59.9
    assert tagger.key() == key
    assert len(state.adds) == 1
    clock.mono += 0.1  # exactly REFRESH seconds after the read
    assert tagger.key() == key  # the store still holds this period's key
    assert len(state.adds) == 2


def test_a_fresh_tagger_never_uses_an_empty_key(clock: FakeClock) -> None:
    """Whatever the hour and the monotonic clock, the first key comes from the store."""
    for wall, mono in ((10.0, 0.0), (3600.0 + 10, 5.0), (5 * 3600.0, 1.0)):
        clock.wall, clock.mono = wall, mono
        state = RecordingState()
        key = RotatingTagger(state).key()
        assert len(key) == 32 and len(state.adds) == 1


def test_processes_sharing_a_store_share_the_key(clock: FakeClock) -> None:
    """The first process to need a period's key makes it; the others read the same one."""
    state = SharedState("")
    one, two = RotatingTagger(state), RotatingTagger(state)
    assert one.key() == two.key()
    assert one.tag("203.0.113.5") == two.tag("203.0.113.5")


def test_the_tag_is_a_keyed_hash_of_the_address(clock: FakeClock) -> None:
    """32 hex characters of HMAC-BLAKE2b under the period's key; other addresses differ."""
    tagger = RotatingTagger(SharedState(""))
    tag = tagger.tag("203.0.113.5")
    assert tag == hmac.new(tagger.key(), b"203.0.113.5", hashlib.blake2b).hexdigest()[:32]
    assert len(tag) == 32 and int(tag, 16) >= 0
    assert tagger.tag("203.0.113.6") != tag


# rate limiting and logging -----------------------------------------------------------------


def test_rate_limits_count_per_purpose_and_tag() -> None:
    """Two tips an hour from one tag: the third waits; another tag or purpose is not held."""
    app = make_app()
    with app.test_request_context("/"):
        assert not security.limiter.blocked("tip", "aa", 2, 3600)
        assert security.limiter.hit("tip", "aa", 2, 3600) == 0
        assert security.limiter.hit("tip", "aa", 2, 3600) == 0
        assert security.limiter.blocked("tip", "aa", 2, 3600)
        wait = security.limiter.hit("tip", "aa", 2, 3600)
        assert 1 <= wait <= 3600
        assert not security.limiter.blocked("tip", "bb", 2, 3600)
        assert not security.limiter.blocked("report", "aa", 2, 3600)
        assert security.limiter.hit("tip", "bb", 2, 3600) == 0


def test_werkzeug_access_log_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-request access log names the client address: only warnings get through."""
    logger = logging.getLogger("werkzeug")
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    make_app()
    assert logger.level == logging.WARNING
    assert not logger.isEnabledFor(logging.INFO)


def test_init_app_wires_one_tagger_to_the_app_state() -> None:
    """The tagger the middleware uses is the app's, on the app's shared state."""
    app = make_app(HAVEN_PROXY_HEADER="X-Real-IP")
    tagger = app.extensions["haven_tagger"]
    assert isinstance(tagger, RotatingTagger)
    assert tagger.state is app.extensions["haven.state"]
    assert isinstance(app.wsgi_app, StripClientIdentity)
    assert app.wsgi_app.tagger is tagger
    assert app.wsgi_app.proxy_key == "HTTP_X_REAL_IP"
    assert make_app().wsgi_app.proxy_key == ""  # type: ignore[attr-defined]
