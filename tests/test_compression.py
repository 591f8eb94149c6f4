"""What a phone downloads: Brotli when it takes it, gzip otherwise, the same document either
way, and the sizes the area picker announces are the bytes the phone then gets."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp import compression
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
