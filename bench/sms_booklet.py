"""Text-message replies at 100k services and the printed booklet, one run.

Run: PYTHONPATH=. .venv/bin/python bench/sms_booklet.py [--services 100000] [--messages 300]
     [--backends sqlite,postgresql]

Webhook: a new database per backend with `--services` generated listings (imported as
`flask services import` does), then `--messages` signed POSTs to /sms/inbound through the
app's request handling (Flask test client, no network hop): searches in 8 languages, with and
without a town or a postcode, MORE, HELP and LANG, from 40 senders; the first message (it
builds the search index) is timed apart. Every reply is checked: at most 3 segments.
Booklet: a database of 1,600 generated listings (the demo region cloned 20 times), then
/<lang>/directory/booklet.pdf for one town in two languages (Arabic and English: HarfBuzz
shaping, one QR code per listing), 3 times; the listing count is printed with the time.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

from flask import Flask

from bench.common import bench_app, databases, import_generated
from webapp.sms import providers, segments

SECRET = "bench sms secret"  # noqa: S105 - a throwaway bench database
QUERIES = ["shelter", "refugio Fresno", "مأوى", "MORE", "lawyer 94103", "HELP", "پناهگاه",
           "притулок Oakland", "आश्रय", "abogado", "food bank Sacramento", "MORE", "LANG ar",
           "shelter", "庇护所", "hébergement", "ayuda", "counselling San Diego"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def webhook(app: Flask, n: int) -> dict[str, float]:
    app.config.update({"HAVEN_SMS_SECRET": SECRET, "HAVEN_SMS_PER_HOUR": 100000,
                       "HAVEN_PUBLIC_URL": "https://bench.example"})
    client = app.test_client()
    times: list[float] = []
    first = 0.0
    for i in range(n + 1):
        text = QUERIES[i % len(QUERIES)]
        body = json.dumps({"from": f"+1555010{i % 40:04d}", "to": "+15550100000",
                           "text": text}).encode()
        started = time.perf_counter()
        resp = client.post("/sms/inbound", data=body, headers={
            "X-Haven-Signature": providers.generic_signature(SECRET, body),
            "Content-Type": "application/json"})
        took = time.perf_counter() - started
        assert resp.status_code == 200, resp.status_code
        messages = resp.get_json()["messages"]
        assert sum(segments.count(m).segments for m in messages) <= 3, (text, messages)
        if i == 0:
            first = took
        else:
            times.append(took)
    return {"first": first * 1000, "p50": statistics.median(times) * 1000,
            "p95": pct(times, 95), "max": max(times) * 1000}


def booklet(app: Flask) -> tuple[int, list[float]]:
    from webapp.booklet import services

    client = app.test_client()
    with app.test_request_context():
        count = sum(len(e) for _c, e in services.collect(
            services.parse("ar,en", "Fresno", "")).sections)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        resp = client.get("/ar/directory/booklet.pdf?languages=ar,en&region=Fresno")
        times.append(time.perf_counter() - started)
        assert resp.status_code == 200, resp.status_code
    return count, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"# {platform.machine()}, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}")
    with databases("haven-bench-sms-") as new:
        app = bench_app(new("sqlite", "booklet"))
        import_generated(app, 1600)
        count, times = booklet(app)
        print(f"booklet: {count} listings, ar+en, A5: {min(times):.2f} s best, "
              f"{statistics.median(times):.2f} s median of 3")
        for backend in args.backends.split(","):
            app = bench_app(new(backend, "sms"))
            took = import_generated(app, args.services)
            r = webhook(app, args.messages)
            print(f"{backend}: {args.services} services (import {took:.0f} s); webhook first "
                  f"{r['first']:.0f} ms (builds the index), then p50 {r['p50']:.1f} ms, "
                  f"p95 {r['p95']:.1f} ms, max {r['max']:.1f} ms over {args.messages}")


if __name__ == "__main__":
    main()
