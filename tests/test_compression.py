"""What a phone downloads: Brotli when it takes it, gzip otherwise, the same document either
way, and the sizes the area picker announces are the bytes the phone then gets."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp import compression
from webapp.config import load_config
from webapp.pwa import partition

CHROMIUM = "gzip, deflate, br, zstd"  # what Chromium sends, on HTTPS and on localhost


@pytest.mark.parametrize(("header", "coding"), [
    (CHROMIUM, "br"), ("gzip, deflate", "gzip"), ("br;q=0, gzip", "gzip"),
    ("gzip;q=0.5, br;q=0", "gzip"), ("identity", None), ("", None), ("BR", "br"),
    ("gzip;q=0", None), ("br;q=abc, gzip", "gzip"), ("deflate, gzip ; q=0.1", "gzip"),
])
def test_the_coding_chosen_for_a_header(header: str, coding: str | None) -> None:
    assert compression.chosen(header) == coding


def unpacked(resp: object) -> bytes:
    coding = resp.headers.get("Content-Encoding")  # type: ignore[attr-defined]
    data: bytes = resp.data  # type: ignore[attr-defined]
    if coding == "br":
        return bytes(brotli.decompress(data))
    if coding == "gzip":
        return gzip.decompress(data)
    assert coding is None
    return data


@pytest.mark.parametrize("path", ["/ar/", "/ar/hotlines", "/en/offline/directory.json",
                                  "/static/js/search.js"])
def test_every_coding_gives_the_same_document(client: FlaskClient, path: str) -> None:
    """Brotli to a browser that takes it, smaller than gzip; gzip to one that takes only
    that; both unpack to what a client taking neither gets."""
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    br = client.get(path, headers={"Accept-Encoding": CHROMIUM})
    gz = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert br.headers["Content-Encoding"] == "br" and gz.headers["Content-Encoding"] == "gzip"
    assert unpacked(br) == unpacked(gz) == plain.data
    assert len(br.data) < len(gz.data) < len(plain.data)
    assert "Accept-Encoding" in br.headers["Vary"]
    for resp in (plain, br, gz):
        resp.close()  # a static file is sent from an open file


def test_the_area_picker_announces_the_bytes_the_phone_gets(app: Flask,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            ) -> None:
    """For an area whose file is made, the list gives its exact size in the coding this phone
    takes; the file then comes in exactly that many bytes and unpacks to the same records."""
    monkeypatch.setattr(partition, "MOST", 20)
    app.config["HAVEN_OFFLINE_AREAS"] = "on"
    client = app.test_client()
    area = client.get("/en/offline/areas.json").json["areas"][0]["id"]
    bodies = {}
    for header in (CHROMIUM, "gzip"):
        resp = client.get(f"/en/offline/areas/{area}.json", headers={"Accept-Encoding": header})
        bodies[header] = resp
        listed = {a["id"]: a for a in json.loads(unpacked(client.get(
            "/en/offline/areas.json", headers={"Accept-Encoding": header})))["areas"]}
        assert listed[area]["bytes"] == len(resp.data) and not listed[area]["estimated"]
    assert len(bodies[CHROMIUM].data) < len(bodies["gzip"].data)
    assert json.loads(unpacked(bodies[CHROMIUM])) == json.loads(unpacked(bodies["gzip"]))
    plain = client.get(f"/en/offline/areas/{area}.json")
    assert plain.headers.get("Content-Encoding") is None
    assert json.loads(plain.data) == json.loads(unpacked(bodies["gzip"]))


@pytest.mark.parametrize("levels", ["best", "quick"])
def test_the_offline_bundle_is_packed_at_the_levels_set(app: Flask, levels: str) -> None:
    """Files made ahead are packed at Brotli 11 and gzip 9 unless HAVEN_PACK_LEVELS says
    quick (the test apps'); an app reads "best" when the setting is not given."""
    app.config["HAVEN_PACK_LEVELS"] = levels
    client = app.test_client()
    plain = client.get("/en/offline/directory.json", headers={"Accept-Encoding": "identity"})
    expected = compression.PACK_LEVELS[levels]
    br = client.get("/en/offline/directory.json", headers={"Accept-Encoding": CHROMIUM})
    gz = client.get("/en/offline/directory.json", headers={"Accept-Encoding": "gzip"})
    assert br.data == brotli.compress(plain.data, quality=expected["br"])
    assert gz.data == gzip.compress(plain.data, compresslevel=expected["gzip"], mtime=0)


def test_best_levels_unless_told(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HAVEN_PACK_LEVELS", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    assert load_config(str(tmp_path))["HAVEN_PACK_LEVELS"] == "best"
    monkeypatch.setenv("HAVEN_PACK_LEVELS", " Quick")
    assert load_config(str(tmp_path))["HAVEN_PACK_LEVELS"] == "quick"
    monkeypatch.setenv("HAVEN_PACK_LEVELS", "max")
    with pytest.raises(ValueError, match="HAVEN_PACK_LEVELS must be best or quick, not 'max'"):
        load_config(str(tmp_path))
