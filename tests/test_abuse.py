"""One client cannot tie up the server without signing in: every public POST is counted before
it is read, bodies are capped whether sized or chunked, photos are measured from their header,
drawings share one budget and a cache, and spreadsheets are read within limits."""

from __future__ import annotations

import http.client
import io
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from bench.gen_sheets import inline_string_xlsx
from tests.staff_helpers import Staff
from tests.tips_helpers import form_key, jpeg, send_tip
from webapp.exchange import sheet_limits, sheets
from webapp.exchange.sources import ImportError_
from webapp.extensions import db
from webapp.models import Service, Tip, TipPhoto
from webapp.sms import providers
from webapp.tips import images

ROOT = Path(__file__).resolve().parent.parent
OTHER = {"REMOTE_ADDR": "192.0.2.44"}
PUBLIC = "https://help.example.org"


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def post_chunked(base: str, path: str, body: bytes, headers: dict[str, str]) -> int:
    """POST body with Transfer-Encoding: chunked (no Content-Length) over a real socket."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
    try:
        chunks = (body[i:i + 8192] for i in range(0, len(body), 8192))
        conn.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


# --- Cost before work: tips and every public POST -------------------------------------------

def test_refused_tip_posts_use_up_the_limit(app: Flask, client: FlaskClient,
                                           staff: dict[str, Staff]) -> None:
    """25 refused tip posts exhaust a limit of 20: the 26th, valid, gets 429 with Retry-After;
    nothing is stored; another client still sends its tip."""
    app.config["HAVEN_TIPS_PER_HOUR"] = 20
    refusals = [
        {"kinds": ["labour"], "what": ""},  # nothing described
        {"kinds": ["labour"], "what": "x", "website": "spam"},  # the honeypot
        {"kinds": ["labour"], "what": "x", "photos": (io.BytesIO(b"not a photo"), "a.jpg")},
    ]
    codes = []
    for i in range(25):
        data = {**refusals[i % 3], "idempotency_key": f"refused-key-{i:06d}"}
        if "photos" in data:
            data["photos"] = (io.BytesIO(b"not a photo"), "a.jpg")
        codes.append(client.post("/en/tip", data=data,
                                 content_type="multipart/form-data").status_code)
    assert codes[:20] == [400] * 20 and codes[20:] == [429] * 5
    valid = send_tip(client)
    assert valid.status_code == 429 and int(valid.headers["Retry-After"]) > 0
    assert count(app, Tip) == 0 and count(app, TipPhoto) == 0
    other = app.test_client()
    other.environ_base.update(OTHER)
    assert send_tip(other).status_code == 201 and count(app, Tip) == 1


def test_every_public_post_counts_before_it_is_read(app: Flask, client: FlaskClient) -> None:
    """Receipt checks, confirmations and reports share the client's hourly POST allowance,
    refused ones included; pages (GET) do not count."""
    app.config["HAVEN_POSTS_PER_HOUR"] = 5
    with app.app_context():
        sid = db.session.scalar(select(Service.id).where(Service.is_demo.is_(False)).limit(1))
    codes = [client.post("/en/tip/confirm", data={"receipt": "x"}).status_code
             for _ in range(5)]
    assert codes == [400] * 5
    assert client.get("/en/tip").status_code == 200
    report = client.post(f"/en/services/{sid}/report", data={"kind": "closed", "note": "x"})
    assert report.status_code == 429 and int(report.headers["Retry-After"]) > 0
    assert client.post("/en/tip/status", data={"receipt": "1"}).status_code == 429
    assert client.post("/en/tip/status", data={"receipt": "1"},
                       environ_base=OTHER).status_code == 400


def test_form_fields_and_bodies_are_capped(app: Flask, client: FlaskClient,
                                          staff: dict[str, Staff]) -> None:
    """Too many fields (urlencoded or multipart), or a body past its route's cap: 413, quickly,
    and nothing stored."""
    many = "&".join(f"f{i}=1" for i in range(200_000)).encode()
    start = time.perf_counter()
    resp = client.post("/en/tip/status", data=many,
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 413 and time.perf_counter() - start < 1.0
    fields: dict[str, Any] = {"kinds": ["labour"], "what": "x",
                              "idempotency_key": form_key(client)}
    fields.update({f"extra{i}": "1" for i in range(100)})
    assert client.post("/en/tip", data=fields,
                       content_type="multipart/form-data").status_code == 413
    big = client.post("/en/tip/confirm", data={"receipt": "1" * 400_000})
    assert big.status_code == 413
    assert count(app, Tip) == 0


def test_a_chunked_body_is_capped_like_a_sized_one(app: Flask, live_server: str) -> None:
    """No Content-Length does not lift the cap: 1 MB chunked to a receipt check is 413."""
    body = b"receipt=" + b"1" * (1024 * 1024)
    status = post_chunked(live_server, "/en/tip/status", body,
                          {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413


# --- SMS: the cap comes before the signature -------------------------------------------------

SECRET = "sms-secret"
TWILIO = "twilio-token"


@pytest.fixture
def sms_app(app: Flask) -> Flask:
    app.config.update({"HAVEN_SMS_SECRET": SECRET, "HAVEN_TWILIO_AUTH_TOKEN": TWILIO,
                       "HAVEN_PUBLIC_URL": PUBLIC})
    return app


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which signature checks ran (the real ones still decide)."""
    ran: list[str] = []
    for name in ("generic_ok", "twilio_ok"):
        real = getattr(providers, name)

        def spy(*args: Any, _real: Any = real, _name: str = name) -> bool:
            ran.append(_name)
            return bool(_real(*args))
        monkeypatch.setattr(providers, name, spy)
    return ran


def test_chunked_sms_body_is_refused_before_its_signature(
        sms_app: Flask, live_server: str, signature_checks: list[str]) -> None:
    """A signed 1 MB chunked body to /sms/inbound gets 413 and no signature is computed;
    a signed small chunked one is answered."""
    text = "shelter " + "x" * (1024 * 1024)
    body = json.dumps({"from": "+15550001111", "to": "+15550100000", "text": text}).encode()
    headers = {"Content-Type": "application/json",
               "X-Haven-Signature": providers.generic_signature(SECRET, body)}
    assert post_chunked(live_server, "/sms/inbound", body, headers) == 413
    assert signature_checks == []
    small = json.dumps({"from": "+15550001111", "to": "+15550100000", "text": "help"}).encode()
    headers["X-Haven-Signature"] = providers.generic_signature(SECRET, small)
    assert post_chunked(live_server, "/sms/inbound", small, headers) == 200
    assert signature_checks == ["generic_ok"]


def test_twilio_big_form_is_refused_before_parsing(sms_app: Flask, live_server: str,
                                                  signature_checks: list[str]) -> None:
    """A 2 MB chunked form (200,000 fields) to /sms/twilio: 413 in well under a second,
    no signature computed."""
    body = "&".join(f"F{i}=v" for i in range(200_000)).encode()
    start = time.perf_counter()
    status = post_chunked(live_server, "/sms/twilio", body,
                          {"Content-Type": "application/x-www-form-urlencoded",
                           "X-Twilio-Signature": "x"})
    assert status == 413 and time.perf_counter() - start < 1.0
    assert signature_checks == []


@pytest.mark.parametrize("path", ["/sms/inbound", "/sms/twilio"])
def test_non_ascii_signature_is_a_403(sms_app: Flask, path: str) -> None:
    """A forged signature holding non-ASCII characters is refused, not a server error."""
    client = sms_app.test_client()
    resp = client.post(path, data=b"From=%2B1555&Body=hi",
                       content_type="application/x-www-form-urlencoded",
                       headers={"X-Haven-Signature": "é" * 64, "X-Twilio-Signature": "é"})
    assert resp.status_code == 403


# --- Photos: measured from the header --------------------------------------------------------

def huge_png() -> bytes:
    """A real, valid PNG of 7070 x 7070 one-bit pixels (about 6 KB)."""
    buf = io.BytesIO()
    Image.new("1", (7070, 7070)).save(buf, format="PNG")
    return buf.getvalue()


def test_a_huge_png_is_refused_from_its_header(app: Flask, client: FlaskClient,
                                             staff: dict[str, Staff]) -> None:
    """A PNG whose header says 7070 x 7070 is refused in under 50 ms, undecoded; a tip
    carrying it is refused with the reason and nothing is stored."""
    data = huge_png()
    images.clean(jpeg())  # Pillow's plugins loaded, as in a running server
    # The best of three: a decode would be slow every time, while a test worker sharing busy
    # cores can be paused once for longer than the whole refusal takes.
    took = []
    for _ in range(3):
        start = time.perf_counter()
        with pytest.raises(images.PhotoError) as refused:
            images.clean(data)
        took.append(time.perf_counter() - start)
    assert min(took) < 0.05, took
    assert refused.value.code == "bomb"
    resp = send_tip(client, photos=[(data, "big.png")])
    assert resp.status_code == 400
    assert "far too large in pixels" in resp.get_data(as_text=True)
    assert count(app, Tip) == 0 and count(app, TipPhoto) == 0


def test_a_large_jpeg_is_still_accepted() -> None:
    """A 12-megapixel phone photo is kept (scaled to the stored size)."""
    buf = io.BytesIO()
    Image.new("RGB", (4032, 3024), "blue").save(buf, format="JPEG")
    body, mime = images.clean(buf.getvalue())
    with Image.open(io.BytesIO(body)) as kept:
        assert mime == "image/jpeg" and max(kept.size) == images.MAX_SIDE


# --- Posters, cards, stickers and booklets: one budget, one cache ----------------------------

def test_varied_posters_meet_the_render_budget(app: Flask, client: FlaskClient) -> None:
    """30 posters with a different organisation each, from one client: a 429 comes before the
    30th; the same poster asked again is served from the cache (same bytes); booklets share
    the budget; another client is not affected."""
    app.config["HAVEN_PUBLIC_URL"] = PUBLIC
    url = "/en/posters/poster.svg?format=cards&organisation="
    first = client.get(url + "Org%200")
    assert first.status_code == 200
    codes = [client.get(url + f"Org%20{i}").status_code for i in range(1, 30)]
    assert 429 in codes and codes.index(429) < 28
    refused = client.get(url + "Org%2099")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Please wait" in refused.get_data(as_text=True)
    again = client.get(url + "Org%200")
    assert again.status_code == 200 and again.data == first.data
    assert client.get(url + "Org%20%20%200").data == first.data  # the same name, respaced
    booklet = client.get("/en/directory/booklet.pdf?categories=emergency")
    assert booklet.status_code == 429
    other = app.test_client()
    other.environ_base.update(OTHER)
    assert other.get(url + "Org%2099").status_code == 200


def test_organisation_is_bounded(app: Flask, client: FlaskClient) -> None:
    """A long organisation name is a 400 naming the parameter, and costs no render."""
    app.config["HAVEN_PUBLIC_URL"] = PUBLIC
    app.config["HAVEN_RENDERS_PER_HOUR"] = 1
    for name in ("x" * 81, "y " * 5000):
        resp = client.get("/en/posters/poster.svg?organisation=" + name)
        assert resp.status_code == 400 and "organisation" in resp.get_data(as_text=True)
    assert client.get("/en/posters/poster.svg?organisation=Ok").status_code == 200


def test_identical_booklets_are_drawn_once(app: Flask, client: FlaskClient,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The same booklet twice: drawn once, the same bytes both times."""
    from webapp.booklet import render

    app.config["HAVEN_PUBLIC_URL"] = PUBLIC
    drawn: list[int] = []
    real = render.render_pdf

    def counting(contents: Any) -> bytes:
        drawn.append(1)
        return real(contents)
    monkeypatch.setattr(render, "render_pdf", counting)
    url = "/en/directory/booklet.pdf?categories=emergency"
    one, two = client.get(url), client.get(url)
    assert one.status_code == two.status_code == 200 and one.data == two.data
    assert drawn == [1]


# --- Spreadsheets: streamed, within limits ---------------------------------------------------

MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from webapp.exchange import sheets
    from webapp.exchange.sources import ImportError_
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        sheets.read_sheet(Path(sys.argv[1]))
        errors = []
    except ImportError_ as exc:
        errors = exc.errors
    elapsed = time.perf_counter() - start
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({"elapsed": elapsed, "grown_kb": grown, "errors": errors}))
""")


def test_a_700_mb_string_in_a_small_xlsx_is_refused_quickly(tmp_path: Path) -> None:
    """The 702 KB workbook holding one 700 MB inline string: refused in under 2 s with peak
    memory growing by under 100 MB, the error naming the cell-length limit. Measured in a
    fresh interpreter, so its peak RSS is this read's alone."""
    path = inline_string_xlsx(tmp_path / "bomb.xlsx", 700 * 1024 * 1024)
    assert path.stat().st_size < 1024 * 1024
    out = subprocess.run([sys.executable, "-c", MEASURE, str(path)], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["errors"] and "(limit: cell length)" in result["errors"][0]
    assert "bomb.xlsx" in result["errors"][0]
    assert result["elapsed"] < 2.0, result
    assert result["grown_kb"] < 100 * 1024, result


def header_and(*rows: dict[str, str]) -> list[list[str]]:
    return [list(sheets.COLUMNS), *([r.get(c, "") for c in sheets.COLUMNS] for r in rows)]


def write_xlsx(path: Path, table: list[list[str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    for row in table:
        book.active.append(row)
    book.save(path)
    return path


def write_csv(path: Path, table: list[list[str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(table)
    return path


@pytest.mark.parametrize("write", [write_xlsx, write_csv], ids=["xlsx", "csv"])
def test_sheet_within_limits_reads_and_a_long_cell_is_refused(tmp_path: Path,
                                                              write: Any) -> None:
    """The example row reads; the same row with a 20,000-character description is refused,
    naming the limit (shared strings in .xlsx, a quoted field in CSV)."""
    suffix = ".xlsx" if write is write_xlsx else ".csv"
    good = write(tmp_path / ("good" + suffix), header_and(sheets.EXAMPLE_ROW))
    rows = sheets.read_sheet(good)
    assert [r.cells["name"] for r in rows] == ["Example Legal Clinic"]
    long_row = {**sheets.EXAMPLE_ROW, "description": "word " * 4000}
    bad = write(tmp_path / ("bad" + suffix), header_and(long_row))
    with pytest.raises(ImportError_) as refused:
        sheets.read_sheet(bad)
    assert "(limit: cell length)" in refused.value.errors[0]


@pytest.mark.parametrize("write", [write_xlsx, write_csv], ids=["xlsx", "csv"])
@pytest.mark.parametrize(("setting", "value", "limit"), [
    ("MAX_CELLS", 30, "cells"),
    ("MAX_TEXT_CHARS", 400, "total text"),
    ("MAX_SECONDS", -1.0, "time"),
])
def test_each_sheet_limit_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   write: Any, setting: str, value: float, limit: str) -> None:
    """Cells, total text and time: each refusal says which limit it met."""
    suffix = ".xlsx" if write is write_xlsx else ".csv"
    path = write(tmp_path / ("sheet" + suffix),
                 header_and(sheets.EXAMPLE_ROW, {**sheets.EXAMPLE_ROW, "name": "Two"}))
    monkeypatch.setattr(sheet_limits, setting, value)
    if setting == "MAX_SECONDS" and write is write_csv:
        monkeypatch.setattr(sheet_limits, "CLOCK_EVERY", 1)
    with pytest.raises(ImportError_) as refused:
        sheets.read_sheet(path)
    assert f"(limit: {limit})" in refused.value.errors[0]


def test_an_endless_csv_line_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    """A 50 MB CSV line with no newline: refused, naming the limit, in well under a second."""
    path = tmp_path / "line.csv"
    with path.open("w") as fh:
        fh.write(",".join(sheets.COLUMNS) + "\n")
        for _ in range(50):
            fh.write("a," * (512 * 1024))
    start = time.perf_counter()
    with pytest.raises(ImportError_) as refused:
        sheets.read_sheet(path)
    assert time.perf_counter() - start < 1.0
    assert "(limit: cell length)" in refused.value.errors[0]


def test_one_drawing_at_a_time_per_process(app: Flask, client: FlaskClient) -> None:
    """While a drawing runs, another new poster or booklet is told at once to retry in a few
    seconds (503, Retry-After, not cached, no budget used); a cached one is still served."""
    app.config["HAVEN_PUBLIC_URL"] = PUBLIC
    app.config["HAVEN_RENDERS_PER_HOUR"] = 2
    url = "/en/posters/poster.svg?organisation="
    cached = client.get(url + "Cached")
    assert cached.status_code == 200
    slots = app.extensions["haven_render_slots"]
    assert slots.acquire(blocking=False)  # a drawing in another thread
    try:
        for path in (url + "New", "/en/directory/booklet.pdf?categories=emergency"):
            start = time.perf_counter()
            busy = client.get(path)
            assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
            assert busy.headers["Cache-Control"] == "no-store"
            assert "try again in a few seconds" in busy.get_data(as_text=True)
            assert time.perf_counter() - start < 1.0
        assert client.get(url + "Cached").data == cached.data
    finally:
        slots.release()
    assert client.get(url + "New").status_code == 200  # the budget of 2 was not touched
