"""Poster render times: 3-language A4 (PDF and PNG at 300 dpi), card sheet, sticker sheet.

Run: PYTHONPATH=. .venv/bin/python bench/poster_render.py   (median of 7 runs each)
"""

from __future__ import annotations

import platform
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import seeded_app


def main() -> None:
    """Time the shareable URLs as a client would hit them (parse, translate, render)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = seeded_app(f"sqlite:///{Path(tmp) / 'p.sqlite3'}")
        client = app.test_client()
        cases = [("A4, en+es+ar, PDF", "pdf", "languages=en,es,ar&format=a4"),
                 ("A4, en+es+ar, PNG 300 dpi", "png", "languages=en,es,ar&format=a4"),
                 ("card sheet, en+es+ar, PDF", "pdf", "languages=en,es,ar&format=cards"),
                 ("sticker sheet, en+es+ar, PDF", "pdf", "languages=en,es,ar&format=stickers")]
        client.get("/en/posters/poster.pdf?languages=en,es,ar&format=a4")  # fonts loaded once
        for label, output, query in cases:
            times = []
            for _ in range(7):
                t = time.perf_counter()
                resp = client.get(f"/en/posters/poster.{output}?{query}")
                times.append((time.perf_counter() - t) * 1000)
                assert resp.status_code == 200
            print(f"| {label} | {statistics.median(times):.0f} ms | {len(resp.data):,} B |")  # noqa: T201
    print(f"{time.strftime('%Y-%m-%d')} {platform.machine()} Python {platform.python_version()}")  # noqa: T201


if __name__ == "__main__":
    main()
