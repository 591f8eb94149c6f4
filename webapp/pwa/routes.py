"""Manifest, service worker, offline bundle and the pages that work with no connection."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WResponse

from webapp import compression, i18n
from webapp.config import ROOT
from webapp.extensions import db
from webapp.models.coalition import POPULATIONS
from webapp.pwa import areas, bundle, partition
from webapp.pwa.signs import SIGNS
from webapp.search import changelog
from webapp.space.forms import population_label

bp = i18n.locale_blueprint("pwa", __name__)
root = Blueprint("pwa_root", __name__)

STATIC = ROOT / "static"
_lock = threading.Lock()
_files_lock = threading.Lock()  # the area files' order and sizes (_lock: making one)
# (locale, home country) -> (json, {coding: packed}, version), for the data now in the database.
_bundles: changelog.PerDataVersion[dict[tuple[str, str], tuple[bytes, dict[str, bytes], str]]] = \
    changelog.PerDataVersion(dict)


def asset_version() -> str:
    """A hash of every static file: changes whenever a shipped asset changes."""
    h = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(STATIC).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def static_hash(filename: str) -> str:
    """A short content hash for one static file (for cache-busting URLs)."""
    path = (STATIC / filename).resolve()
    if STATIC not in path.parents or not path.is_file():
        return "0"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def shell_urls(tag: str) -> list[str]:
    """What the service worker keeps for one locale: the pages that must work offline."""
    pages = [url_for("directory.home", lang=tag), url_for("pwa.offline_search", lang=tag),
             url_for("pwa.offline_service", lang=tag), url_for("directory.signs", lang=tag),
             url_for("pwa.self_check", lang=tag), url_for("directory.privacy", lang=tag),
             url_for("tips.form", lang=tag), url_for("pwa.offline", lang=tag),
             url_for("pwa.forget", lang=tag), url_for("directory.hotlines", lang=tag),
             # The whole directory, or (kept by area) the list of areas: the areas
             # themselves are kept as the person chooses or searches.
             url_for("pwa.area_index" if areas.by_area() else "pwa.directory", lang=tag),
             url_for("pwa.manifest", lang=tag)]
    assets = [url_for("static", filename=f) for f in
              ("css/haven.css", "js/haven.js", "js/queue.js", "js/offline.js", "js/search.js",
               "icons/haven.svg", "icons/icon-192.png")]
    return pages + assets


def cached_bundle(tag: str) -> tuple[bytes, dict[str, bytes], str]:
    """(json, {coding: packed}, etag) for a locale, rebuilt when the data changes."""
    store = _bundles.get()
    key = (tag, current_app.config["HAVEN_COUNTRY"])
    if key not in store:
        with _lock:
            if key not in store:
                body = bundle.build(*key)
                raw = bundle.encode(body)
                store[key] = (raw, {c: compression.pack(raw, c)
                                    for c in compression.CODINGS}, body["v"])
    return store[key]


@bp.route("/offline/directory.json")
def directory() -> Response:
    """The offline bundle, versioned by content hash (ETag); revalidated, never stale."""
    raw, packed, version = cached_bundle(i18n.current().tag)
    return json_answer(raw, f'"{version}"', packed)


# (locale, home country, area, database and epoch) -> (version the file was made at, Brotli):
# made again after a change in the area, not after one elsewhere. Least recently asked first;
# kept under HAVEN_AREA_CACHE_MB (a national directory has hundreds of areas in 14 locales:
# gigabytes if every file stayed). Brotli alone is kept, at its best setting: a phone that
# takes only gzip (or nothing) gets it repacked on the way out.
_area_files: OrderedDict[tuple[str, str, str, str], tuple[str, bytes]] = OrderedDict()
# the same key -> {coding: bytes} of the file last made: the area list's sizes outlive the files
_area_sizes: dict[tuple[str, str, str, str], dict[str, int]] = {}


def json_answer(raw: bytes | None, etag: str | None,
                packed: dict[str, bytes] | None = None) -> Response:
    """JSON as the offline files are sent: compressed as the phone takes it (from `packed`,
    made ahead, when it holds that coding), an ETag when the answer has one (a 304 when the
    phone holds it), revalidated before each use. `raw` may be None when `packed` holds Brotli."""
    packed = packed or {}
    coding = compression.chosen()
    if etag is not None and request.headers.get("If-None-Match") == etag:
        resp = Response(status=304)
    else:
        if raw is None:
            raw = compression.decode(packed["br"], "br")
        body = packed.get(coding) if coding else raw
        if body is None and coding is not None and len(raw) >= compression.MIN_SIZE:
            # packed as the area list's sizes were
            body = (compression.pack if packed else compression.encode)(raw, coding)
        resp = Response(body if body is not None else raw, mimetype="application/json")
        if body is not None and coding is not None:
            resp.headers["Content-Encoding"] = coding
    if etag is not None:
        resp.headers["ETag"] = etag
    resp.headers["Cache-Control"] = "no-cache"
    resp.vary.add("Accept-Encoding")
    return resp


def data_key(held: areas.Areas) -> str:
    """The database and the epoch an area file was made from."""
    return f"{db.engine.url.render_as_string(hide_password=True)} {held.epoch}"


def cached_area(tag: str, area: str) -> tuple[str, bytes]:
    """(version, Brotli) of one area's file, made again only after a change in it."""
    held = areas.current()
    if area not in held.members or not held.members[area]:
        abort(404)
    key = (tag, current_app.config["HAVEN_COUNTRY"], area, data_key(held))
    touched = held.touched.get(area, held.seq)

    def made() -> tuple[str, bytes] | None:
        found = _area_files.get(key)
        if found is None or int(found[0].rpartition(":")[2]) < touched:
            return None
        with _files_lock:
            if key in _area_files:
                _area_files.move_to_end(key)
        return found

    found = made()  # a file already made is sent without waiting for one being made
    if found is not None:
        return found
    with _lock:  # one file made at a time (each costs a second at 100k services)
        found = made()
        if found is not None:
            return found
        body = areas.area_file(tag, area, key[1])
        raw = bundle.encode(body)
        found = (body["v"], compression.pack(raw, "br"))
        sizes = {"br": len(found[1]), "gzip": len(compression.pack(raw, "gzip"))}
        with _files_lock:
            for old in [k for k in _area_sizes if k[:3] == key[:3] and k[3] != key[3]]:
                _area_sizes.pop(old)  # an earlier epoch
                _area_files.pop(old, None)
            _area_files[key] = found
            _area_files.move_to_end(key)
            _area_sizes[key] = sizes
            budget = current_app.config["HAVEN_AREA_CACHE_MB"] * 2**20
            held_bytes = sum(len(v[1]) for v in _area_files.values())
            while held_bytes > budget and len(_area_files) > 1:
                _old, (_v, dropped) = _area_files.popitem(last=False)
                held_bytes -= len(dropped)
    return found


# (locale, home country) -> (data version, {coding: bytes of an area file with no services})
_empty: dict[tuple[str, str], tuple[str, dict[str, int]]] = {}


def _empty_size(tag: str, country: str, version: str) -> dict[str, int]:
    """What every area file costs before its services (contract, words, the town list), in
    each coding: made once per data version, not on each request for the area list."""
    held = _empty.get((tag, country))
    if held is None or held[0] != version:
        raw = bundle.encode(areas.area_file(tag, None, country))
        held = (version, {c: len(compression.pack(raw, c))
                          for c in compression.CODINGS})
        _empty[(tag, country)] = held
    return held[1]


@bp.route("/offline/areas.json")
def area_index() -> Response:
    """The areas a phone may keep: names in the reader's language, boxes, and sizes as this
    phone will download them."""
    tag = i18n.current().tag
    held = areas.current()
    country = current_app.config["HAVEN_COUNTRY"]
    coding = compression.chosen() or "gzip"  # a client taking neither: no phone
    sizes = {k[2]: n[coding] for k, n in list(_area_sizes.items())
             if k[0] == tag and k[1] == country and k[3] == data_key(held)}
    base = _empty_size(tag, country, f"{data_key(held)}:{held.seq}")[coding]
    raw = json.dumps(areas.index(tag, sizes, base, coding), ensure_ascii=False,
                     separators=(",", ":")).encode()
    # Revalidated on each visit: unchanged, it costs a 304.
    return json_answer(raw, f'"{hashlib.sha256(raw).hexdigest()[:16]}"')


@bp.route("/offline/areas/<area>.json")
def area_directory(area: str) -> Response:
    """One area's offline file; with ?since=<version>, only what changed after it (records
    changed or added, ids to drop), or the whole file after a new epoch or a gap."""
    if not partition.AREA_ID.match(area):
        abort(404)
    tag = i18n.current().tag
    since = request.args.get("since", "")[:100]
    if since:
        try:
            changes = areas.delta(tag, area, since)
        except areas.Gap:
            pass
        else:
            if area not in areas.current().members and not changes["removed"]:
                abort(404)
            return json_answer(bundle.encode(changes), None)
    version, packed = cached_area(tag, area)
    return json_answer(None, f'"{version}"', {"br": packed})


@bp.route("/manifest.webmanifest")
def manifest() -> Response:
    """A manifest per locale; the name can be discreet (HAVEN_APP_NAME / HAVEN_SHORT_NAME)."""
    loc = i18n.current()
    cfg = current_app.config
    doc = {
        "name": cfg["HAVEN_APP_NAME"],
        "short_name": cfg.get("HAVEN_SHORT_NAME") or cfg["HAVEN_APP_NAME"],
        "description": _("Find help near you: shelters, legal aid, counselling, medical care "
                         "and hotlines."),
        "start_url": f"/{loc.tag}/",
        "scope": "/",
        "id": f"/{loc.tag}/",
        "lang": loc.tag,
        "dir": loc.direction,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#123c69",
        "icons": [
            {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192",
             "type": "image/png", "purpose": "any"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "any"},
            {"src": url_for("static", filename="icons/icon-maskable-512.png"),
             "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    resp = Response(json.dumps(doc, ensure_ascii=False), mimetype="application/manifest+json")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.route("/offline/shell.json")
def shell() -> Response:
    """The URLs the service worker precaches for this locale."""
    resp = Response(json.dumps(shell_urls(i18n.current().tag)), mimetype="application/json")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@root.route("/sw.js")
def service_worker() -> Response:
    """The service worker, at the root so it controls every locale."""
    source = (STATIC / "js" / "sw.js").read_text("utf-8")
    body = source.replace("__VERSION__", asset_version())
    resp = Response(body, mimetype="application/javascript")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.route("/offline")
def offline() -> str:
    """Shown for a page that was never saved on this phone."""
    return render_template("pwa/offline.html")


@bp.route("/offline/search")
def offline_search() -> str:
    """The results page, filled in by the phone from the offline bundle."""
    return render_template("pwa/search.html", by_area=areas.by_area())


@bp.route("/offline/service")
def offline_service() -> str:
    """The detail page, filled in by the phone from the offline bundle."""
    return render_template("pwa/service.html", space_populations=POPULATIONS,
                           space_population=population_label, by_area=areas.by_area())


@bp.route("/self-check")
def self_check() -> str:
    """Could this be trafficking? Answered on the phone; nothing is sent or kept."""
    return render_template("pwa/self_check.html", signs=SIGNS)


@bp.route("/forget")
def forget() -> str:
    """Forget this device: clear everything Haven stored on it."""
    return render_template("pwa/forget.html")


@bp.route("/forget/done")
def forgotten() -> WResponse:
    """The last step of Forget this device: the browser clears what scripts cannot reach
    (its HTTP cache of Haven's pages) and goes on to the neutral site."""
    resp = redirect(current_app.config["HAVEN_EXIT_URL"])
    resp.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


