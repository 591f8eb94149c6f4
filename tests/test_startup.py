"""Starting Haven from a bare clone: catalogues compiled, keys made before any migration."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from tests.ports import free_port
from webapp import create_app
from webapp.config import ROOT
from webapp.extensions import db


def test_bare_clone_serves_spanish(tmp_path: Path) -> None:
    """No .mo files at all: `python app.py` compiles them and /es/ is in Spanish."""
    clone = tmp_path / "haven"
    clone.mkdir()
    for name in ("app.py", "webapp", "translations", "services_data", "migrations", "reference"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, clone / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, clone / name)
    for mo in clone.glob("translations/*/LC_MESSAGES/messages.mo"):
        mo.unlink()
    assert not list(clone.glob("translations/*/LC_MESSAGES/messages.mo"))
    port = free_port()
    env = {**os.environ, "PORT": str(port), "SECRET_KEY": "startup-test",
           "PYTHONPATH": str(clone)}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=clone, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        html = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/es/", timeout=5) as r:
                    html = r.read().decode()
                break
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stdout.read() if proc.stdout else "") from None
                time.sleep(0.3)
        assert "Hay ayuda disponible" in html, html[:500]
        assert '<html lang="es"' in html
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
    assert "Compiled translations" in out
    assert len(list(clone.glob("translations/*/LC_MESSAGES/messages.mo"))) == 13


def test_keys_init_on_a_new_database(tmp_path: Path) -> None:
    """`keys init` before the first run migrates first instead of failing with a traceback."""
    app: Flask = create_app({"TESTING": True, "SECRET_KEY": "t", "HAVEN_SEED_ON_START": False,
                             "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new.db'}",
                             "HAVEN_PASSPHRASE_KDF": "interactive"})
    result = app.test_cli_runner().invoke(args=["keys", "init", "--passphrase",
                                                "a long enough passphrase"])
    assert result.exit_code == 0, result.output
    assert "Key for 'default' created" in result.output
    assert result.exception is None
    from webapp.models import OrgKey

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrgKey)) == 1
        db.engine.dispose()
