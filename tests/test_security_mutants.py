"""The protections in webapp/security.py, each checked by what it does to a request.

A person reporting or seeking help is protected by these lines: their address and device never
reach the app, the rate-limit tag cannot be traced back after the hour, other sites cannot make
their browser post a form, and nothing private is cached. Each test drives a small Flask app (or
the middleware itself) and asserts the outcome, so that changing any condition, key or number
in the module fails a test.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, Response, make_response
from werkzeug.exceptions import RequestEntityTooLarge

from webapp import render_budget, security
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
    """security.py's and render_budget.py's clock, frozen at the start of key period 5 (one-hour periods)."""
    fake = FakeClock(wall=5 * 3600 + 10)
    for module in (security, render_budget):
        monkeypatch.setattr(module, "time", SimpleNamespace(time=fake.time,
                                                            monotonic=fake.monotonic))
    return fake


def make_app(**config: Any) -> Flask:
    """A bare Flask app with only security's and render_budget's init_app, and routes that
    show what they saw."""
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
    render_budget.init_app(app)
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
    assert resp.headers["Referrer-Policy"] == "same-origin"


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
    # An opaque origin (a sandboxed frame on another site) unless the browser vouches for it.
    ("POST", {"Origin": "null"}, 403),
    ("POST", {"Origin": "null", "Sec-Fetch-Site": "same-origin"}, 200),
    ("POST", {"Origin": "null", "Sec-Fetch-Site": "same-site"}, 403),
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
    assert isinstance(app.wsgi_app, security.KnownHostsOnly)
    assert app.wsgi_app.config is app.config
    strip = app.wsgi_app.wsgi_app
    assert isinstance(strip, StripClientIdentity)
    assert strip.tagger is tagger
    assert strip.proxy_key == "HTTP_X_REAL_IP"
    assert make_app().wsgi_app.wsgi_app.proxy_key == ""  # type: ignore[attr-defined]


# what a public post or a drawing may cost ---------------------------------------------------


@pytest.fixture(scope="module")
def full_app() -> Flask:
    """The real app (templates, error pages, config defaults) on an empty in-memory database."""
    from webapp import create_app
    from webapp.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "test", "HAVEN_SEED_ON_START": False,
                      "HAVEN_COUNTRY": "US", "HAVEN_POSTS_PER_HOUR": 2,
                      "HAVEN_RENDERS_PER_HOUR": 2, "HAVEN_RENDERS_AT_ONCE": 2})
    with app.app_context():
        db.create_all()
    return app


def test_public_posts_count_before_they_are_read(full_app: Flask) -> None:
    """Two posts an hour here: the third gets 429 with Retry-After, before any parsing; GETs,
    staff and SMS posts are not counted."""
    environ = {CLIENT_TAG: "tag-posts"}
    for method, path in (("GET", "/en/"), ("POST", "/staff/login"), ("POST", "/sms/inbound"),
                         ("GET", "/en/tip")):
        with full_app.test_request_context(path, method=method, environ_base=environ):
            assert security.cost_before_work() is None
    for _ in range(2):
        with full_app.test_request_context("/en/tip", method="POST", environ_base=environ):
            assert security.cost_before_work() is None
    with full_app.test_request_context("/en/tip", method="POST", environ_base=environ):
        resp = security.cost_before_work()
        assert resp is not None and resp.status_code == 429
        assert 1 <= int(resp.headers["Retry-After"]) <= 3601
    with full_app.test_request_context("/en/tip", method="POST",
                                       environ_base={CLIENT_TAG: "tag-other"}):
        assert security.cost_before_work() is None  # another client is not held


@pytest.mark.parametrize(("path", "size", "refused"), [
    ("/en/tip", 1024 * 1024, False),  # the tip form carries photos
    ("/en/search", 256 * 1024, False),  # any other public form: 256 KiB
    ("/en/search", 256 * 1024 + 1, True),
])
def test_public_post_bodies_are_capped_per_form(full_app: Flask, path: str, size: int,
                                                refused: bool) -> None:
    """Each public form's body is capped before it is read (413 over the cap)."""
    with full_app.test_request_context(path, method="POST", data=b"x" * size,
                                       content_type="application/octet-stream",
                                       environ_base={CLIENT_TAG: f"tag-{path}-{size}"}):
        if refused:
            with pytest.raises(RequestEntityTooLarge):
                security.cost_before_work()
        else:
            assert security.cost_before_work() is None
            from flask import request

            assert request.max_form_parts == security.MAX_FORM_FIELDS == 64


def test_the_app_wide_cap_wins_when_smaller(full_app: Flask,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """MAX_CONTENT_LENGTH below a form's own cap is the cap; unset, the form's cap stands."""
    monkeypatch.setitem(full_app.config, "MAX_CONTENT_LENGTH", 1000)
    with full_app.test_request_context("/en/tip", method="POST", data=b"x" * 1001,
                                       content_type="application/octet-stream",
                                       environ_base={CLIENT_TAG: "tag-cap"}):
        with pytest.raises(RequestEntityTooLarge):
            security.cost_before_work()
    monkeypatch.setitem(full_app.config, "MAX_CONTENT_LENGTH", None)
    with full_app.test_request_context("/en/tip", method="POST", data=b"x" * 2000,
                                       content_type="application/octet-stream",
                                       environ_base={CLIENT_TAG: "tag-cap2"}):
        assert security.cost_before_work() is None
        from flask import request

        assert request.max_content_length == 31 * 1024 * 1024 + 1


@pytest.mark.parametrize(("body", "content_type", "max_bytes", "max_fields", "read", "refused"), [
    (b"x" * 100, "application/octet-stream", 100, 5, False, False),
    (b"x" * 101, "application/octet-stream", 100, 5, False, True),
    (b"a=1&b=2&c=3", "application/x-www-form-urlencoded", 100, 3, False, False),
    (b"a=1&b=2&c=3", "application/x-www-form-urlencoded", 100, 2, False, True),
    (b"a=1&b=2", "application/json", 100, 1, True, False),  # only a form's fields count
    (b"", "application/octet-stream", 0, 0, True, False),
])
def test_limit_body(full_app: Flask, body: bytes, content_type: str, max_bytes: int,
                    max_fields: int, read: bool, refused: bool) -> None:
    """Sized bodies over the cap, and urlencoded forms with too many fields, are a 413."""
    from flask import request

    with full_app.test_request_context("/p", method="POST", data=body,
                                       content_type=content_type):
        if refused:
            with pytest.raises(RequestEntityTooLarge):
                security.limit_body(max_bytes, max_fields, read=read)
            return
        security.limit_body(max_bytes, max_fields, read=read)
        assert request.max_content_length == max_bytes + 1
        assert request.max_form_parts == max_fields
        assert request.get_data() == body


def test_a_long_unsized_body_is_refused_when_read(full_app: Flask) -> None:
    """A body without a length (chunked) is read up to one byte past the cap, then refused."""
    import io

    with full_app.test_request_context(
            "/p", method="POST", input_stream=io.BytesIO(b"x" * 50),
            content_type="application/octet-stream",
            environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True}):
        with pytest.raises(RequestEntityTooLarge):
            security.limit_body(10, 5, read=True)
    with full_app.test_request_context(
            "/p", method="POST", input_stream=io.BytesIO(b"x" * 10),
            content_type="application/octet-stream",
            environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True}):
        security.limit_body(10, 5, read=True)


def test_render_budget_and_slots(full_app: Flask) -> None:
    """Two drawings an hour per client here; at most two at once per process, a third is
    told at once (never waits), and a slot comes back after use, even after an error."""
    with full_app.test_request_context("/en/", environ_base={CLIENT_TAG: "tag-render"}):
        assert render_budget.render_wait() == 0
        assert render_budget.render_wait() == 0
        assert render_budget.render_wait() >= 1
        assert isinstance(render_budget.render_cache(), render_budget.RenderCache)
        assert render_budget.render_cache() is full_app.extensions["haven_render_cache"]
        with render_budget.render_slot() as one, render_budget.render_slot() as two:
            with render_budget.render_slot() as three:
                assert (one, two, three) == (True, True, False)
        def draw_and_fail() -> None:
            with render_budget.render_slot() as slot:
                assert slot
                raise ZeroDivisionError  # an error while drawing

        with pytest.raises(ZeroDivisionError):
            draw_and_fail()
        with render_budget.render_slot() as one, render_budget.render_slot() as two:
            assert (one, two) == (True, True)


def test_one_drawing_at_a_time_unless_configured() -> None:
    """HAVEN_RENDERS_AT_ONCE unset or 0 still allows one drawing at a time; 3 allows three.
    Each app has its own render cache."""
    for config, slots in (({}, 1), ({"HAVEN_RENDERS_AT_ONCE": 0}, 1),
                          ({"HAVEN_RENDERS_AT_ONCE": 3}, 3)):
        app = make_app(**config)
        with app.test_request_context("/"):
            with contextlib.ExitStack() as stack:
                got = [stack.enter_context(render_budget.render_slot()) for _ in range(slots + 1)]
            assert got == [True] * slots + [False]
            cache = render_budget.render_cache()
            assert isinstance(cache, render_budget.RenderCache)
            assert cache.max_bytes == 64 * 1024 * 1024
            cache.put("k", b"v", 60)
            assert render_budget.render_cache().get("k") == b"v"


def test_posts_and_drawings_each_have_their_own_budget_per_client(full_app: Flask) -> None:
    """Posts are counted as "post" and drawings as "render", per client tag, for an hour."""
    tag = "tag-budgets"
    with full_app.test_request_context("/en/tip", method="POST", environ_base={CLIENT_TAG: tag}):
        assert security.cost_before_work() is None
        assert security.cost_before_work() is None
        assert security.limiter.blocked("post", tag, 2, 3600)
        assert not security.limiter.blocked("render", tag, 2, 3600)
        assert render_budget.render_wait() == 0
        assert render_budget.render_wait() == 0
        assert security.limiter.blocked("render", tag, 2, 3600)
        wait = render_budget.render_wait()
        assert 3590 < wait <= 3600  # the hour starts at the first drawing
    with full_app.test_request_context("/en/", environ_base={CLIENT_TAG: "tag-budgets-2"}):
        assert render_budget.render_wait() == 0  # another client draws
    with full_app.test_request_context("/en/tip", method="POST", environ_base={CLIENT_TAG: tag}):
        resp = security.cost_before_work()
        assert resp is not None and int(resp.headers["Retry-After"]) <= 3600


def test_an_unsized_body_is_left_unread_unless_asked(full_app: Flask) -> None:
    """Without read, a body of unknown length that is not a form is left for the view (which
    werkzeug then caps); nothing is read here."""
    import io

    with full_app.test_request_context(
            "/p", method="POST", input_stream=io.BytesIO(b"x" * 50),
            content_type="application/octet-stream",
            environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True}):
        security.limit_body(10, 5)
        from flask import request

        assert request.max_content_length == 11


def test_busy_drawing_says_try_again_soon(full_app: Flask) -> None:
    """503, retry in 5 seconds, never cached, and it says why."""
    with full_app.test_request_context("/en/"):
        resp = render_budget.busy_drawing()
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "5"
    assert resp.headers["Cache-Control"] == "no-store"
    message = "Another poster or booklet is being drawn. Please try again in a few seconds."
    assert message in resp.get_data(as_text=True)
    assert render_budget.BusyDrawing().description == message


def test_render_cache_keeps_drawings_until_they_expire(clock: FakeClock) -> None:
    """A drawing is served again until its lifetime ends, then drawn anew."""
    cache = render_budget.RenderCache(max_bytes=100)
    assert render_budget.RenderCache().max_bytes == 64 * 1024 * 1024
    assert cache.get("a") is None
    cache.put("a", b"x" * 25, ttl=10)
    assert cache.get("a") == b"x" * 25
    clock.mono += 9.999
    assert cache.get("a") == b"x" * 25
    clock.mono += 0.001
    assert cache.get("a") is None  # expired exactly at its lifetime's end
    assert cache.get("a") is None


def test_render_cache_size_and_eviction(clock: FakeClock) -> None:
    """At most max_bytes in all, least recently used out first; a drawing over a quarter of
    the cap is not kept; replacing or expiring an entry frees its bytes."""
    cache = render_budget.RenderCache(max_bytes=100)
    cache.put("big", b"x" * 26, ttl=60)
    assert cache.get("big") is None
    for k in "abcd":
        cache.put(k, b"x" * 25, ttl=60)
    assert all(cache.get(k) for k in "abcd")  # exactly 100 bytes: all kept
    assert cache.get("a")  # a is now the most recently used
    cache.put("e", b"y" * 25, ttl=60)
    assert cache.get("b") is None and all(cache.get(k) for k in "acde")
    cache.put("e", b"z" * 25, ttl=60)  # replacing keeps the total at 100
    assert cache.get("e") == b"z" * 25 and all(cache.get(k) for k in "acd")
    short = render_budget.RenderCache(max_bytes=100)
    short.put("old", b"x" * 25, ttl=1)
    clock.mono += 2
    assert short.get("old") is None  # expired: its bytes are freed
    for k in "wxyz":
        short.put(k, b"x" * 25, ttl=60)
    assert all(short.get(k) for k in "wxyz")


def test_render_cache_keys() -> None:
    """One key per list of parts: 40 hex characters, parts never run together."""
    key = render_budget.RenderCache.key("poster", "en", "A4")
    assert len(key) == 40 and int(key, 16) >= 0
    assert key == render_budget.RenderCache.key("poster", "en", "A4")
    assert render_budget.RenderCache.key("ab", "c") != render_budget.RenderCache.key("a", "bc")
    assert render_budget.RenderCache.key("a") != render_budget.RenderCache.key("b")
