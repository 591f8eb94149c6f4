"""Gzip for text responses, so a first visit costs as few bytes as it can."""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

COMPRESSIBLE = ("text/", "application/json", "application/javascript",
                "application/manifest+json", "image/svg+xml")
MIN_SIZE = 500


def compress(response: Response) -> Response:
    """Gzip a compressible response when the client accepts it."""
    if "gzip" not in request.headers.get("Accept-Encoding", "").lower():
        return response
    if response.status_code < 200 or response.status_code >= 300 or "Content-Encoding" in \
            response.headers or not (response.mimetype or "").startswith(COMPRESSIBLE):
        return response
    response.direct_passthrough = False
    data = response.get_data()
    if len(data) < MIN_SIZE:
        return response
    response.set_data(gzip.compress(data, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    if response.headers.get("ETag"):
        response.headers["ETag"] = response.headers["ETag"].rstrip('"') + '-gz"'
    return response


def init_app(app: Flask) -> None:
    """Register the compression hook (after the security headers)."""
    app.after_request(compress)
