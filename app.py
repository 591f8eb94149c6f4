"""Run Haven: `python app.py` serves on 127.0.0.1:$PORT (default 5000)."""

from __future__ import annotations

import os

from werkzeug.serving import run_simple

from webapp import create_app, i18n
from webapp.config import ROOT
from webapp.requestlog import DevRequestHandler

# Compile missing or stale catalogues before anything serves (python app.py or gunicorn
# 'app:app'): otherwise every locale would silently get English.
try:
    _compiled = i18n.compile_catalogues(ROOT / "translations")
except i18n.CatalogueError as exc:
    raise SystemExit(f"Haven cannot start: {exc}") from None
try:
    app = create_app()
except ValueError as exc:  # a setting that makes no sense: say which, no traceback
    raise SystemExit(f"Haven cannot start: {exc}") from None


def main() -> None:
    """Migrate, seed on first start, then serve on loopback."""
    from flask_migrate import upgrade

    from webapp.exchange.services import seed_if_empty

    with app.app_context():
        upgrade()
        if app.config["HAVEN_SEED_ON_START"] and seed_if_empty(app):
            print("Loaded the default directory from services_data/.")  # noqa: T201
        # Build the search index now, so the first visitor does not wait for it.
        from webapp.search import memindex

        memindex.current()
    if _compiled:
        print(f"Compiled translations: {', '.join(_compiled)}")  # noqa: T201
    port = int(os.environ.get("PORT", "5000"))
    print(f"Haven is serving on http://127.0.0.1:{port}/")  # noqa: T201
    run_simple("127.0.0.1", port, app, request_handler=DevRequestHandler, threaded=True)


if __name__ == "__main__":
    main()
