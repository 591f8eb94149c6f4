"""The shipped locales and how a request picks one (from the URL prefix)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.lists import format_list as babel_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, abort, g, redirect, request
from flask_babel import force_locale
from flask_babel import get_locale as babel_get_locale


@dataclass(frozen=True)
class LocaleInfo:
    """One shipped locale: its BCP 47 tag, its name in itself, direction and review status."""

    tag: str  # BCP 47, as it appears in URLs and in <html lang>
    babel: str  # the Babel/gettext identifier (directory name under translations/)
    native: str
    english: str
    direction: str  # "ltr" or "rtl"
    status: str  # "source", "machine" (machine-translated, not yet reviewed) or "reviewed"


# Every catalog except the English source was machine-translated and awaits review by a
# native speaker; the picker says so. Change a row's status to "reviewed"
# only when a person has reviewed the whole catalog.
LOCALES: tuple[LocaleInfo, ...] = (
    LocaleInfo("en", "en", "English", "English", "ltr", "source"),
    LocaleInfo("es", "es", "Español", "Spanish", "ltr", "machine"),
    LocaleInfo("fr", "fr", "Français", "French", "ltr", "machine"),
    LocaleInfo("pt", "pt", "Português", "Portuguese", "ltr", "machine"),
    LocaleInfo("ar", "ar", "العربية", "Arabic", "rtl", "machine"),
    LocaleInfo("fa", "fa", "فارسی", "Persian", "rtl", "machine"),
    LocaleInfo("ro", "ro", "Română", "Romanian", "ltr", "machine"),
    LocaleInfo("sq", "sq", "Shqip", "Albanian", "ltr", "machine"),
    LocaleInfo("uk", "uk", "Українська", "Ukrainian", "ltr", "machine"),
    LocaleInfo("ru", "ru", "Русский", "Russian", "ltr", "machine"),
    LocaleInfo("vi", "vi", "Tiếng Việt", "Vietnamese", "ltr", "machine"),
    LocaleInfo("zh-Hans", "zh_Hans", "简体中文", "Chinese (Simplified)", "ltr", "machine"),
    LocaleInfo("hi", "hi", "हिन्दी", "Hindi", "ltr", "machine"),
    LocaleInfo("ti", "ti", "ትግርኛ", "Tigrinya", "ltr", "machine"),
)
BY_TAG: dict[str, LocaleInfo] = {loc.tag: loc for loc in LOCALES}
BY_BABEL: dict[str, LocaleInfo] = {loc.babel: loc for loc in LOCALES}
DEFAULT = BY_TAG["en"]


def best_match(accept_language: str | None) -> LocaleInfo:
    """Pick a shipped locale from an Accept-Language header (q-values, prefixes, zh scripts)."""
    if not accept_language:
        return DEFAULT
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip()
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and q > 0:
            ranked.append((-q, index, tag))
    for _q, _i, tag in sorted(ranked):
        found = match_tag(tag)
        if found:
            return found
    return DEFAULT


def match_tag(tag: str) -> LocaleInfo | None:
    """Map a browser language tag onto a shipped locale, or None."""
    low = tag.lower().replace("_", "-")
    for loc in LOCALES:
        if loc.tag.lower() == low:
            return loc
    primary = low.split("-")[0]
    if primary == "zh":
        # Traditional-script readers are better served by English than by a wrong script.
        if any(x in low for x in ("hant", "-tw", "-hk", "-mo")):
            return None
        return BY_TAG["zh-Hans"]
    return BY_TAG.get(primary)


def current() -> LocaleInfo:
    """The locale of this request (English outside a locale prefix)."""
    info = g.get("locale_info")
    return info if isinstance(info, LocaleInfo) else DEFAULT


@contextlib.contextmanager
def speaking(tag: str) -> Iterator[LocaleInfo]:
    """Within: gettext, dates and presenters in this language (a booklet draws each of its
    languages in turn); the request's own language again afterwards."""
    info = BY_TAG[tag]
    saved = g.get("locale_info")
    g.locale_info = info
    try:
        with force_locale(info.babel):
            yield info
    finally:
        g.locale_info = saved


def select_babel_locale() -> str:
    """Flask-Babel 4 locale selector: the URL prefix decides, never a cookie."""
    return current().babel


def init_app(app: Flask) -> None:
    """Every request starts in the default language; a locale blueprint or the staff
    blueprints choose another. (Templates get the locale helpers from webapp.templating.)"""
    @app.before_request
    def _reset_locale() -> None:
        # Non-prefixed routes (API, errors outside a locale) fall back to English.
        g.setdefault("locale_info", DEFAULT)


def language_in_reader(tag: str) -> str:
    """A shipped language's name in the reader's language ("Spanish", "الإسبانية")."""
    info = BY_TAG.get(tag)
    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name(current().babel)
    except (ValueError, UnknownLocaleError):
        name = None
    return name or (info.english if info else tag)


def format_list(items: Iterable[object]) -> str:
    """Join items the reader's way ("a, b and c"; Arabic "أ، ب و ج"), not with Latin commas."""
    return babel_list([str(i) for i in items], style="standard", locale=current().babel)


# The comma and semicolon each script writes between items it lists (Arabic and Persian
# turn theirs: "،" "؛"; Ethiopic has its own "፣" "፤"; Chinese full-width ones).
_SEPARATORS = {"ar": ("\u060c ", "\u061b "), "fa": ("\u060c ", "\u061b "),
               "ti": ("\u1363 ", "\u1364 "), "zh": ("\uff0c", "\uff1b")}


def separators(tag: str | None = None) -> tuple[str, str]:
    """(comma, semicolon) as the language writes them between listed items."""
    primary = (tag or current().tag).split("-")[0]
    return _SEPARATORS.get(primary, (", ", "; "))


class CatalogueError(Exception):
    """A catalogue could not be compiled; the message says which and how to fix it."""


def compile_catalogues(directory: Path, force: bool = False) -> list[str]:
    """Compile each messages.po whose messages.mo is missing or older; return the locales done.

    Run before serving: a clone whose catalogues were never compiled would otherwise
    serve English to every locale without a word.
    """
    done = []
    for loc in LOCALES:
        if loc.status == "source":
            continue
        po = directory / loc.babel / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if not po.is_file():
            raise CatalogueError(f"{po} is missing: the {loc.english} catalogue cannot be built")
        if not force and mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=loc.babel)
            # A private name: two processes compiling at once (gunicorn workers on a fresh
            # checkout) each replace the catalogue whole, never write into one file.
            fd, name = tempfile.mkstemp(dir=mo.parent, prefix=".messages.", suffix=".mo")
            tmp = Path(name)
            try:
                with os.fdopen(fd, "wb") as out:
                    write_mo(out, catalog)
                os.chmod(tmp, 0o644)
                tmp.replace(mo)  # all or nothing: never a half-written catalogue
            finally:
                tmp.unlink(missing_ok=True)
        except OSError as exc:
            raise CatalogueError(
                f"cannot write {mo} ({exc.strerror}); run `flask --app app translate "
                "compile` as a user who can") from exc
        done.append(loc.tag)
    return done


def babel_locale_tag() -> str:
    """The active Babel locale as a string (for formatting helpers)."""
    return str(babel_get_locale() or "en")


# Blueprints whose routes live under /<locale>/ (the demo banner and switcher apply to them).
LOCALIZED: set[str] = set()


def locale_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /<lang>/: the URL picks the locale; url_for keeps it."""
    bp = Blueprint(name, import_name, url_prefix="/<lang>")
    LOCALIZED.add(name)

    @bp.url_value_preprocessor
    def pull_locale(endpoint: str | None, values: dict[str, Any] | None) -> None:
        # A near miss in case redirects (/ZH-hans/ -> /zh-Hans/); anything else is 404.
        tag = (values or {}).pop("lang", "")
        info = BY_TAG.get(tag)
        if info is None:
            fixed = match_tag(tag) if tag.lower() in {t.lower() for t in BY_TAG} else None
            if fixed is not None and request.method == "GET":
                path = request.full_path if request.query_string else request.path
                abort(redirect("/" + fixed.tag + path[len(tag) + 1:].rstrip("?"), code=301))
            abort(404)
        g.locale_info = info

    @bp.url_defaults
    def add_locale(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("lang", current().tag)

    @bp.after_request
    def content_language(response: Any) -> Any:
        response.headers["Content-Language"] = current().tag
        return response

    return bp
