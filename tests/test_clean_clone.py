"""A clone of the repository runs on its own: nothing it needs lives beside it.

The committed HEAD is cloned into an empty folder (no reference data beside it, no setting but
the port) and started with `python app.py`, as the README says; then what a person and a
directory importing into Haven get is checked there. Uncommitted changes are not part of the
clone: commit first.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.ports import free_port
from webapp.config import ROOT
from webapp.exchange import hsds

GIT = shutil.which("git")


def fetch(base: str, path: str) -> tuple[int, str]:
    """Status and body of one GET, the way a browser without cookies asks."""
    with urllib.request.urlopen(base + path, timeout=30) as r:  # noqa: S310 (loopback)
        return r.status, r.read().decode()


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """The committed repository, cloned into an empty folder with nothing beside it."""
    if GIT is None or not (ROOT / ".git").exists():
        if IN_CI:
            pytest.fail("the clean-clone test needs git and a git checkout")
        pytest.skip("not a git checkout")
    empty = tmp_path / "empty"
    empty.mkdir()
    subprocess.run([GIT, "clone", "--quiet", str(ROOT), str(empty / "haven")], check=True,
                   capture_output=True, timeout=120)
    assert [p.name for p in empty.iterdir()] == ["haven"]
    assert not (empty / "shared").exists()
    return empty / "haven"


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """Only what any shell has: no HSDS_SCHEMA_DIR, no DATABASE_URL, no PYTHONPATH."""
    home.mkdir(exist_ok=True)
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
            "LANG": "C.UTF-8", **extra}


def test_a_clone_in_an_empty_folder_serves_and_imports(clone: Path, tmp_path: Path) -> None:
    """`python app.py` in the clone: Spanish pages, seeded search, valid HSDS, and an upstream
    example imports (the schemas it validates with are the clone's own)."""
    port = free_port()
    env = clean_env(tmp_path / "home", PORT=str(port))
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=clone, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status, page = 0, ""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                status, page = fetch(base, "/es/")
                break
            except OSError:
                if proc.poll() is not None:
                    out = proc.stdout.read() if proc.stdout else ""
                    raise AssertionError(f"the clone did not start:\n{out[-3000:]}") from None
                time.sleep(0.3)
        # Catalogues are not committed: the clone compiled them before serving.
        assert status == 200, page[:300]
        assert '<html lang="es"' in page
        assert "Hay ayuda disponible" in page

        # The directory was seeded from the clone's services_data/ and is searchable.
        demo = json.loads((clone / "services_data" / "demo-region.json").read_text("utf-8"))
        name = demo[1]["name"]
        status, page = fetch(base, "/en/search?q=" + urllib.parse.quote(name))
        assert status == 200
        assert html.escape(name) in page, page[:500]

        # The API answers valid HSDS, judged by the schemas inside the clone.
        schemas = str(clone / "reference" / "hsds-3.0" / "schema")
        listing: dict[str, Any] = json.loads(fetch(base, "/api/hsds/services?per_page=5")[1])
        assert listing["total_items"] >= len(demo)
        first = listing["contents"][0]["id"]
        record = json.loads(fetch(base, f"/api/hsds/services/{first}")[1])
        assert record["id"] == first
        assert list(hsds.validator(schemas, "service").iter_errors(record)) == []

        # An upstream example imports through the clone's schemas and is then served.
        example = clone / "reference" / "hsds-3.0" / "examples" / "service_full.json"
        upstream = json.loads(example.read_text("utf-8"))
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "services",
                               "import", str(example)], cwd=clone, env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "FileNotFoundError" not in done.stdout + done.stderr
        served = json.loads(fetch(base, f"/api/hsds/services/{upstream['id']}")[1])
        assert served["name"] == upstream["name"]
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()

