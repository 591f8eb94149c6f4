"""Compressed text responses, so a first visit and an offline area cost as few bytes as they
can: Brotli when the browser takes it (every current browser does, on HTTPS and on
localhost), gzip otherwise. Brotli is about a fifth smaller than gzip on Haven's pages and
offline files (measured in docs/BENCHMARKS.md).

Pages are compressed as they are sent, at a quick setting; files made once and sent many
times (the offline bundle and area files) at the best one, ahead (`pack`).
"""

from __future__ import annotations

import gzip

import brotli
from flask import Flask, Response, current_app, request

COMPRESSIBLE = ("text/", "application/json", "application/javascript",
                "application/manifest+json", "image/svg+xml")
MIN_SIZE = 500
CODINGS = ("br", "gzip")  # in the order preferred
QUICK = {"br": 5, "gzip": 6}  # per response: as fast as gzip -6, smaller
BEST = {"br": 11, "gzip": 9}  # made once, sent many times
# HAVEN_PACK_LEVELS: "best" (the default) packs the files made ahead at BEST; "quick" at
# QUICK, for apps that make each file once and send it once (the test suite's: Brotli 11 on
# the offline bundle cost each browser test a third of a second).
PACK_LEVELS = {"best": BEST, "quick": QUICK}


def chosen(header: str | None = None) -> str | None:
    """The coding to send for an Accept-Encoding header (the request's by default): br, else
    gzip, else None. A coding given q=0 is refused."""
    if header is None:
        header = request.headers.get("Accept-Encoding", "")
    taken = set()
    for item in header.lower().split(","):
        coding, _sep, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            taken.add(coding.strip())
    return next((c for c in CODINGS if c in taken), None)


def encode(data: bytes, coding: str, levels: dict[str, int] = QUICK) -> bytes:
    """The data in one coding (br or gzip), at the quick setting unless levels say."""
    level = levels[coding]
    if coding == "br":
        return bytes(brotli.compress(data, quality=level))
    return gzip.compress(data, compresslevel=level, mtime=0)


def pack(data: bytes, coding: str) -> bytes:
    """A file made ahead to be sent many times, in one coding at the app's pack levels."""
    return encode(data, coding, PACK_LEVELS[current_app.config["HAVEN_PACK_LEVELS"]])


def decode(data: bytes, coding: str) -> bytes:
    """The data a coding packed."""
    return bytes(brotli.decompress(data)) if coding == "br" else gzip.decompress(data)


def compress(response: Response) -> Response:
    """Compress a compressible response when the client takes a coding."""
    coding = chosen()
    if coding is None:
        return response
    if response.status_code < 200 or response.status_code >= 300 or "Content-Encoding" in \
            response.headers or not (response.mimetype or "").startswith(COMPRESSIBLE):
        return response
    response.direct_passthrough = False
    data = response.get_data()
    if len(data) < MIN_SIZE:
        return response
    response.set_data(encode(data, coding))
    response.headers["Content-Encoding"] = coding
    response.vary.add("Accept-Encoding")
    if response.headers.get("ETag"):
        suffix = "-gz" if coding == "gzip" else f"-{coding}"
        response.headers["ETag"] = response.headers["ETag"].rstrip('"') + suffix + '"'
    return response


def init_app(app: Flask) -> None:
    """Register the compression hook (after the security headers)."""
    app.after_request(compress)
