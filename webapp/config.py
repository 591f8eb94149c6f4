"""Configuration, read from the environment once, when the app is created."""

from __future__ import annotations

import os
import secrets
import tempfile
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


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one kept in instance/secret_key (made once, 0600).

    It signs staff sessions and wraps TOTP secrets; it never protects tip content.
    """
    env = os.environ.get("SECRET_KEY", "").strip()
    if env:
        return env
    path = Path(instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Written whole under a private name, then linked into place: two processes starting at
    # once on a fresh checkout (gunicorn workers) both end up with the one key that won.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text().strip()
    finally:
        os.unlink(tmp)
    return key


def load_config(instance_path: str) -> dict[str, Any]:
    """Return the settings for one app; tests override any of them."""
    tips_per_hour = int(os.environ.get("HAVEN_TIPS_PER_HOUR", "20"))
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(instance_path),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "HAVEN_COUNTRY": os.environ.get("HAVEN_COUNTRY", "US").upper(),
        "HAVEN_APP_NAME": os.environ.get("HAVEN_APP_NAME", "Haven"),
        # A deployment may install under a discreet name (home screen, task switcher).
        "HAVEN_SHORT_NAME": os.environ.get("HAVEN_SHORT_NAME", ""),
        # The organisation's name, preset on staff posters; the address printed in QR codes.
        "HAVEN_ORG_NAME": os.environ.get("HAVEN_ORG_NAME", ""),
        "HAVEN_PUBLIC_URL": os.environ.get("HAVEN_PUBLIC_URL", ""),
        # Other host names the site answers to besides HAVEN_PUBLIC_URL's and loopback
        # (comma-separated); any other Host header gets 400 (security.trusted_hosts).
        "HAVEN_TRUSTED_HOSTS": os.environ.get("HAVEN_TRUSTED_HOSTS", ""),
        "HAVEN_DATA_DIR": os.environ.get("HAVEN_DATA_DIR", str(ROOT / "services_data")),
        # Where the search index file goes for PostgreSQL (default instance/); an SQLite
        # database keeps it next to itself (see search/stored.py).
        "HAVEN_SEARCH_INDEX_DIR": os.environ.get("HAVEN_SEARCH_INDEX_DIR", ""),
        "HAVEN_SEED_ON_START": os.environ.get("HAVEN_SEED_ON_START", "1") == "1",
        # Where the quick-exit button goes: a neutral, common page.
        "HAVEN_EXIT_URL": os.environ.get("HAVEN_EXIT_URL", "https://www.google.com/search?q=weather"),
        # Upstream's schemas are copied into the repository (reference/README.md says from
        # where), so a clone anywhere validates with nothing beside it.
        "HSDS_SCHEMA_DIR": os.environ.get(
            "HSDS_SCHEMA_DIR", str(ROOT / "reference" / "hsds-3.0" / "schema")
        ),
        # Other directories' HSDS APIs (base URLs separated by spaces) that `flask services
        # sync` pulls when given none, as deploy/systemd/haven-sync.timer has it do hourly.
        "HAVEN_SYNC_SOURCES": os.environ.get("HAVEN_SYNC_SOURCES", "").split(),
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "BABEL_DEFAULT_LOCALE": "en",
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        # No cookie leaves a public page; staff sessions are strict.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        "SESSION_COOKIE_SECURE": os.environ.get("HAVEN_INSECURE_COOKIES") != "1",
        "SESSION_COOKIE_PATH": "/staff",
        "SESSION_COOKIE_NAME": "haven_staff",
        "WTF_CSRF_ENABLED": True,
        # Every POST is checked (CSRFProtect) but those of the public blueprints create_app
        # exempts: public pages set no cookie, so their forms use an idempotency key and the
        # same-origin check instead (security.same_origin_posts_only).
        "WTF_CSRF_CHECK_DEFAULT": True,
        # Behind a reverse proxy, the header naming the client (used only for rate limiting,
        # through an hourly-rotating keyed hash): e.g. X-Forwarded-For.
        "HAVEN_PROXY_HEADER": os.environ.get("HAVEN_PROXY_HEADER", ""),
        # Where rate limits, the hourly tag key and staff unlocks are shared by every worker and
        # instance: redis://host:port/db (run it with persistence off). Empty: this process's
        # memory, for a single process.
        "HAVEN_SHARED_STATE_URL": _shared_state_url(os.environ.get("HAVEN_SHARED_STATE_URL", "")),
        # How long an unlocked organisation key stays usable.
        "HAVEN_UNLOCK_MINUTES": int(os.environ.get("HAVEN_UNLOCK_MINUTES", "15")),
        # A staff session ends after this many minutes without a request, and this many hours
        # after sign-in whatever happens (a copied cookie dies with it).
        "HAVEN_STAFF_IDLE_MINUTES": int(os.environ.get("HAVEN_STAFF_IDLE_MINUTES", "30")),
        "HAVEN_STAFF_SESSION_HOURS": int(os.environ.get("HAVEN_STAFF_SESSION_HOURS", "12")),
        # Argon2id strength for the organisation passphrase: "moderate" (256 MiB) in production.
        "HAVEN_PASSPHRASE_KDF": os.environ.get("HAVEN_PASSPHRASE_KDF", "moderate"),
        # Tests only, never read from the environment (create_app refuses it unless TESTING):
        # staff passwords and organisation passphrases hashed with Argon2id at its least cost,
        # as Django's tests swap in a fast password hasher. Half the time of a test that signs
        # staff in went to hashing at the real cost.
        "HAVEN_FAST_HASHING": False,
        # Tips one client may send per hour; wrong receipts one client may try per 15 minutes.
        "HAVEN_TIPS_PER_HOUR": tips_per_hour,
        # Every public POST one client may send per hour, counted before it is read (tips,
        # receipts, replies, reports; refused ones too). Default: four per allowed tip.
        "HAVEN_POSTS_PER_HOUR": int(os.environ.get("HAVEN_POSTS_PER_HOUR", "0"))
        or max(120, 4 * tips_per_hour),
        "HAVEN_RECEIPT_TRIES": int(os.environ.get("HAVEN_RECEIPT_TRIES", "5")),
        # Reports of a wrong listing one client may send per hour.
        "HAVEN_REPORTS_PER_HOUR": int(os.environ.get("HAVEN_REPORTS_PER_HOUR", "20")),
        # Directory booklets one client may have drawn per hour: each costs seconds of CPU
        #; a shared cache in front (Caddy, a CDN) serves repeats.
        "HAVEN_BOOKLETS_PER_HOUR": int(os.environ.get("HAVEN_BOOKLETS_PER_HOUR", "12")),
        # Posters, cards, sticker sheets and booklets one client may have drawn per hour, in
        # all: each drawing costs up to seconds of CPU. A repeat of the same drawing is served
        # from memory and does not count.
        "HAVEN_RENDERS_PER_HOUR": int(os.environ.get("HAVEN_RENDERS_PER_HOUR", "24")),
        # Drawings one worker process makes at once; more are told to retry in a few seconds.
        "HAVEN_RENDERS_AT_ONCE": int(os.environ.get("HAVEN_RENDERS_AT_ONCE", "1")),
        "JSON_SORT_KEYS": False,
        # The coalition: the member organisation tips go to by default; the members
        # the tip form lets a tipster choose between (slugs, comma-separated; empty: no
        # choice); how long an accepted space request holds the place, and how long a request
        # waits for an answer before it counts as unmet.
        "HAVEN_HUB_ORG": os.environ.get("HAVEN_HUB_ORG", "default"),
        "HAVEN_TIP_RECIPIENTS": [s.strip() for s in os.environ.get(
            "HAVEN_TIP_RECIPIENTS", "").split(",") if s.strip()],
        "HAVEN_SPACE_HOLD_MINUTES": int(os.environ.get("HAVEN_SPACE_HOLD_MINUTES", "90")),
        "HAVEN_SPACE_REQUEST_HOURS": int(os.environ.get("HAVEN_SPACE_REQUEST_HOURS", "24")),
        # The directory by text message: off unless HAVEN_SMS_SECRET is set (it signs
        # the generic webhook and makes the Africa's Talking URL's secret); each provider's own
        # credentials; the language of a message that does not say; messages per sender/hour.
        "HAVEN_SMS_SECRET": os.environ.get("HAVEN_SMS_SECRET", ""),
        "HAVEN_SMS_LANGUAGE": os.environ.get("HAVEN_SMS_LANGUAGE", "en"),
        "HAVEN_SMS_PER_HOUR": int(os.environ.get("HAVEN_SMS_PER_HOUR", "30")),
        "HAVEN_TWILIO_AUTH_TOKEN": os.environ.get("HAVEN_TWILIO_AUTH_TOKEN", ""),
        "HAVEN_VONAGE_API_KEY": os.environ.get("HAVEN_VONAGE_API_KEY", ""),
        "HAVEN_VONAGE_API_SECRET": os.environ.get("HAVEN_VONAGE_API_SECRET", ""),
        "HAVEN_VONAGE_SIGNATURE_SECRET": os.environ.get("HAVEN_VONAGE_SIGNATURE_SECRET", ""),
        "HAVEN_VONAGE_API_URL": os.environ.get("HAVEN_VONAGE_API_URL",
                                               "https://rest.nexmo.com/sms/json"),
        "HAVEN_VONAGE_MESSAGES_URL": os.environ.get("HAVEN_VONAGE_MESSAGES_URL",
                                                    "https://api.nexmo.com/v1/messages"),
        "HAVEN_AT_USERNAME": os.environ.get("HAVEN_AT_USERNAME", ""),
        "HAVEN_AT_API_KEY": os.environ.get("HAVEN_AT_API_KEY", ""),
        "HAVEN_AT_API_URL": os.environ.get("HAVEN_AT_API_URL",
                                           "https://api.africastalking.com/version1/messaging"),
        # Whether search engines may index the public pages: on, off, or auto (off while the
        # fictional demo listings are loaded, on otherwise). Staff and tip pages never are.
        "HAVEN_INDEXING": _on_off_auto("HAVEN_INDEXING",
                                       os.environ.get("HAVEN_INDEXING", "auto")),
        # Whether phones keep the directory offline by area (the areas a person chose or
        # searched in) instead of whole: on, off, or auto (by area past 5,000 services).
        "HAVEN_OFFLINE_AREAS": _on_off_auto("HAVEN_OFFLINE_AREAS",
                                            os.environ.get("HAVEN_OFFLINE_AREAS", "auto")),
        # Memory for area files already made, per worker (least recently asked go first).
        "HAVEN_AREA_CACHE_MB": int(os.environ.get("HAVEN_AREA_CACHE_MB", "64")),
        # How hard the offline files made ahead are packed: "best" (Brotli 11, gzip 9), or
        # "quick" (as pages are) where each file is made once and sent once (tests).
        "HAVEN_PACK_LEVELS": _choice("HAVEN_PACK_LEVELS", os.environ.get(
            "HAVEN_PACK_LEVELS", "best"), ("best", "quick")),
    }


STATE_SCHEMES = ("redis://", "rediss://", "unix://")  # Valkey speaks the same protocol


def _shared_state_url(value: str) -> str:
    """'' (this process's memory) or a Redis/Valkey URL, else a refusal naming the setting."""
    value = value.strip()
    if value and not value.startswith(STATE_SCHEMES):
        raise ValueError("HAVEN_SHARED_STATE_URL must be empty or a redis://, rediss:// or "
                         f"unix:// URL (Redis or Valkey), not {value.split('@')[-1]!r}")
    return value


def _on_off_auto(name: str, value: str) -> str:
    """on | off | auto, or a clear refusal naming the setting."""
    return _choice(name, value.strip() or "auto", ("on", "off", "auto"))


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """One of the allowed words (any case), or a clear refusal naming the setting."""
    value = value.strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} must be {', '.join(allowed[:-1])} or {allowed[-1]}, "
                         f"not {value!r}")
    return value
