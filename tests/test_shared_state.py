"""Several instances on one database agree through a real redis-server.

Two app instances, each with its own process state (its own limiter object, tag-key cache and
in-memory fallback), share only the database and HAVEN_SHARED_STATE_URL. Each check also runs
without the setting, so the test shows the limit would not hold without it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import Templates, base_config
from tests.ports import free_port
from tests.redis_server import RedisServer
from tests.staff_helpers import PASSPHRASE, Staff, csrf, keyed, sign_in
from tests.tips_helpers import receipt_of, send_tip
from webapp import create_app
from webapp.extensions import db
from webapp.models import OrgKey, Tip
from webapp.tips import crypto

CLIENT = {"REMOTE_ADDR": "198.51.100.23", "HTTP_USER_AGENT": "SentinelAgent/4.2"}

Pair = tuple[Flask, Flask]


def _pair(request: pytest.FixtureRequest, templates: Templates, backend: str, shared: str,
          **overrides: Any) -> Pair:
    """Two app instances on one fresh database."""
    if backend == "postgresql":
        url = templates.pg_url(request.getfixturevalue("postgres"))
    else:
        url = templates.sqlite_url()
    config = {**base_config(url), "HAVEN_SHARED_STATE_URL": shared,
              "HAVEN_PASSPHRASE_KDF": "interactive", **overrides}
    apps = (create_app(config), create_app(config))
    for app in apps:
        request.addfinalizer(lambda a=app: _dispose(a))
    return apps


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """An empty shared store for this test."""
    redis_server.client.flushall()
    return redis_server.url


def _client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update(CLIENT)
    return client


def _alternate(pair: Pair, times: int, send: Callable[[FlaskClient], int]) -> list[int]:
    clients = [_client(pair[0]), _client(pair[1])]
    return [send(clients[i % 2]) for i in range(times)]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_tip_limit_holds_across_instances(request: pytest.FixtureRequest, templates: Templates,
                                          redis_url: str, backend: str) -> None:
    """Limit 5 an hour: 10 tips from one client, alternating A and B, give 5 stored."""
    for shared, accepted in ((redis_url, 5), ("", 10)):  # without the store each counts alone
        pair = _pair(request, templates, backend, shared, HAVEN_TIPS_PER_HOUR=5)
        keyed(pair[0])
        codes = _alternate(pair, 10, lambda c: send_tip(c).status_code)
        assert codes.count(201) == accepted, (shared, codes)
        assert set(codes) <= {201, 429}
        with pair[1].app_context():
            assert len(db.session.scalars(select(Tip.id)).all()) == accepted


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sign_in_and_receipt_limits_hold_across_instances(
        request: pytest.FixtureRequest, templates: Templates, redis_url: str,
        backend: str) -> None:
    """Ten wrong sign-ins spread over A and B block the next on either; so do wrong receipts."""
    pair = _pair(request, templates, backend, redis_url, HAVEN_RECEIPT_TRIES=5)
    staff = keyed(pair[0])

    def wrong_login(client: FlaskClient) -> int:
        return client.post("/staff/login", data={
            "csrf_token": csrf(client, "/staff/login"), "username": staff["admin"].username,
            "password": "not the password", "code": "000000"}).status_code

    assert _alternate(pair, 10, wrong_login) == [400] * 10
    assert wrong_login(_client(pair[0])) == 429
    assert wrong_login(_client(pair[1])) == 429

    def wrong_receipt(client: FlaskClient) -> int:
        return client.post("/en/tip/status",
                           data={"receipt": "1234 5678 9012 3456"}).status_code

    assert _alternate(pair, 5, wrong_receipt) == [400] * 5
    assert wrong_receipt(_client(pair[1])) == 429
    assert wrong_receipt(_client(pair[0])) == 429


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_unlock_on_one_instance_reads_on_the_other(
        request: pytest.FixtureRequest, templates: Templates, redis_server: RedisServer,
        redis_url: str, backend: str) -> None:
    """Unlocked on A, a tip reads on B; lock on B ends it on A; Redis holds no address and no
    plaintext key."""
    pair = _pair(request, templates, backend, redis_url)
    staff: dict[str, Staff] = keyed(pair[0])
    receipt = receipt_of(send_tip(_client(pair[1]), what="SHARED-SENTINEL text"))
    a, b = _client(pair[0]), _client(pair[1])
    sign_in(a, staff["reviewer"], unlock=True)
    cookie = a.get_cookie("haven_staff", path="/staff")
    assert cookie is not None
    b.set_cookie("haven_staff", cookie.value, path="/staff")  # the next request lands on B
    with pair[1].app_context():
        tip_id = db.session.scalar(select(Tip.id))
        org = db.session.scalar(select(OrgKey))
        assert org is not None
        private = bytes(crypto.open_org_key(PASSPHRASE, org.sealed_private, org.kdf_salt,
                                            org.kdf_ops, org.kdf_mem))
    assert "SHARED-SENTINEL" in b.get(f"/staff/tips/{tip_id}").get_data(as_text=True)
    assert "SHARED-SENTINEL" in a.get(f"/staff/tips/{tip_id}").get_data(as_text=True)

    stored = redis_server.everything()
    assert any(k.startswith(b"haven:unlock:") for k in stored)
    assert any(k.startswith(b"haven:tagkey:") for k in stored)
    assert any(k.startswith(b"haven:limits:") for k in stored)
    for key in stored:  # everything expires by itself
        assert redis_server.client.ttl(key) > 0, key
    unlock_ttl = max(redis_server.client.ttl(k) for k in stored if k.startswith(b"haven:unlock"))
    assert 0 < unlock_ttl <= pair[0].config["HAVEN_UNLOCK_MINUTES"] * 60
    blob = b"\n".join(k + b" " + v for k, v in stored.items())
    for secret in (b"198.51.100.23", b"SentinelAgent", private, private.hex().encode(),
                   base64.b64encode(private), base64.urlsafe_b64encode(private),
                   receipt.replace(" ", "").encode(), b"SHARED-SENTINEL",
                   PASSPHRASE.encode()):
        assert secret not in blob, secret

    b.post("/staff/lock", data={"csrf_token": csrf(b, "/staff/")})
    assert "SHARED-SENTINEL" not in a.get(f"/staff/tips/{tip_id}").get_data(as_text=True)
    assert not any(k.startswith(b"haven:unlock:") for k in redis_server.everything())

    sign_in(a, staff["reviewer"], unlock=True)  # unlock again on A, sign out on B
    cookie = a.get_cookie("haven_staff", path="/staff")
    assert cookie is not None
    b.set_cookie("haven_staff", cookie.value, path="/staff")
    assert any(k.startswith(b"haven:unlock:") for k in redis_server.everything())
    b.post("/staff/logout", data={"csrf_token": csrf(b, "/staff/")})
    assert not any(k.startswith(b"haven:unlock:") for k in redis_server.everything())


def test_store_down_refuses_limited_forms_but_serves_the_directory(
        request: pytest.FixtureRequest, templates: Templates) -> None:
    """Redis unreachable: tips answer 503 (never unlimited, never a 500), /healthz says 503,
    the directory still answers."""
    pair = _pair(request, templates, "sqlite", f"redis://127.0.0.1:{free_port()}/0")
    client = _client(pair[0])
    assert client.get("/en/").status_code == 200
    assert send_tip(client).status_code == 503
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {"ok": False}


def test_a_bad_store_url_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """HAVEN_SHARED_STATE_URL=http://… stops the app with a message naming the setting (and
    never echoes a password in the URL)."""
    monkeypatch.setenv("HAVEN_SHARED_STATE_URL", "http://user:secret@cache.example:6379")
    with pytest.raises(ValueError, match="HAVEN_SHARED_STATE_URL must be") as refused:
        create_app({"TESTING": True})
    assert "secret" not in str(refused.value)
