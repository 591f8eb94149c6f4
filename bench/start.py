"""Gunicorn start to first answer, with and without the stored areas' cut (issue #17).

Generates --services services in --regions regions into a throwaway SQLite database, builds
and stores the search index and the areas' cut as a running server would, then starts two
workers as deployed (deploy/gunicorn.conf.py, preloaded) three times each way and reports the
median time from start to the first search answer:
- "stored cut": the cut file beside the index is there (every start after the first);
- "cut at start": the file is moved away first (the first start of an epoch), so the parent
  cuts the directory into areas before the workers fork.

    PYTHONPATH=. .venv/bin/python bench/start.py --services 100000 --regions 200
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from bench.common import regional_directory
from bench.national import gunicorn_workers
from webapp.pwa import areas
from webapp.search import memindex, stored


def main() -> None:
    with regional_directory("haven-bench-start-", 200) as (app, args):
        with app.test_request_context():
            memindex.current()
            areas.current()
            index_file = stored.path_for(app)
        stored.wait_for_saves()
        assert index_file is not None
        cut_file = index_file.with_name(index_file.name + stored.AREAS_SUFFIX)
        url, secret = app.config["SQLALCHEMY_DATABASE_URI"], app.config["SECRET_KEY"]
        times: dict[str, list[float]] = {"stored cut": [], "cut at start": []}
        for _ in range(3):
            for label in times:
                if label == "cut at start":
                    cut_file.unlink()
                times[label].append(gunicorn_workers(url, secret, preload=True)
                                    ["preload_first_answer_s"])
                if not cut_file.exists():
                    raise SystemExit("the parent did not store the cut it made")
        print(json.dumps({"services": args.services, "regions": args.regions,
                          "cut_file_mb": round(cut_file.stat().st_size / 2**20, 1),
                          "index_file_mb": round(Path(index_file).stat().st_size / 2**20, 1),
                          **{f"{k} s (median of 3)": round(statistics.median(v), 2)
                             for k, v in times.items()}}))


if __name__ == "__main__":
    main()
