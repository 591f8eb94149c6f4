"""Configuration, read from the environment once, when the app is created."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _sqlalchemy_url(instance_path: str) -> str:
    """DATABASE_URL switches to PostgreSQL; otherwise an SQLite file under instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url.startswith("postgres://"):  # Heroku-style URLs name the old scheme
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url:
        return url
    return "sqlite:///" + str(Path(instance_path) / "haven.sqlite3")


def load_config(instance_path: str) -> dict[str, Any]:
    """Return the settings for one app; tests override any of them."""
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(instance_path),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "HAVEN_COUNTRY": os.environ.get("HAVEN_COUNTRY", "US").upper(),
        "HAVEN_APP_NAME": os.environ.get("HAVEN_APP_NAME", "Haven"),
        "HAVEN_DATA_DIR": os.environ.get("HAVEN_DATA_DIR", str(ROOT / "services_data")),
        "HAVEN_SEED_ON_START": os.environ.get("HAVEN_SEED_ON_START", "1") == "1",
        # Where the quick-exit button goes: a neutral, common page.
        "HAVEN_EXIT_URL": os.environ.get("HAVEN_EXIT_URL", "https://www.google.com/search?q=weather"),
        "HSDS_SCHEMA_DIR": os.environ.get(
            "HSDS_SCHEMA_DIR", str(ROOT.parent / "shared" / "reference" / "hsds-3.0" / "schema")
        ),
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "BABEL_DEFAULT_LOCALE": "en",
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        # No cookie leaves a public page; staff sessions (see #3) are strict.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        "SESSION_COOKIE_SECURE": os.environ.get("HAVEN_INSECURE_COOKIES") != "1",
        "WTF_CSRF_ENABLED": True,
        "JSON_SORT_KEYS": False,
    }
