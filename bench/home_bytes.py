"""Home page first-visit bytes (gzip, as served) for every locale. Prints and records them.

Run: .venv/bin/python bench/home_bytes.py   (uses a temporary seeded SQLite database)
"""

from __future__ import annotations

import platform
import re
import tempfile
from pathlib import Path

from bench.common import seeded_app
from webapp.i18n import LOCALES


def main() -> None:
    """Fetch /<locale>/ and every same-origin asset it references, gzip accepted."""
    with tempfile.TemporaryDirectory() as tmp:
        app = seeded_app(f"sqlite:///{Path(tmp) / 'b.sqlite3'}")
        client = app.test_client()
        headers = {"Accept-Encoding": "gzip"}
        rows = []
        for loc in LOCALES:
            page = client.get(f"/{loc.tag}/", headers=headers)
            total = len(page.data)
            html = client.get(f"/{loc.tag}/").get_data(as_text=True)
            for url in sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html))):
                asset = client.get(url, headers=headers)
                total += len(asset.data)
                asset.close()
            rows.append((loc.tag, len(page.data), total))
    for tag, page_bytes, total in rows:
        print(f"{tag:8} html {page_bytes:6d} B   html+assets {total:6d} B")  # noqa: T201
    worst = max(r[2] for r in rows)
    print(f"worst first visit: {worst} B compressed (target <= 14336 B); "  # noqa: T201
          f"machine: {platform.machine()} {platform.python_version()}")


if __name__ == "__main__":
    main()
