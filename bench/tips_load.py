"""Tip throughput under gunicorn (2 workers) and search latency during a rate-limited flood.

Run: PYTHONPATH=. .venv/bin/python bench/tips_load.py [--seconds 20] [--clients 8]

Phase 1: `clients` threads send tips as fast as they can for `seconds`, each with its own
idempotency key; a failed or unanswered send is retried with the same key. Afterwards the
database must hold exactly one tip per key (0 lost, 0 duplicated).
Phase 2: the same flood against a server whose limit is 20 tips/hour per client (the default),
so nearly every send is refused with 429, while one thread measures directory search latency.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "benchmark passphrase 123"  # noqa: S105 - a throwaway bench database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(db: Path, tips_per_hour: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "HAVEN_SEED_ON_START": "0",
           "HAVEN_TIPS_PER_HOUR": str(tips_per_hour), "SECRET_KEY": "bench"}
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "app:app",
         "--access-logfile", "/dev/null", "--error-logfile", "/dev/null"],
        cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/en/about", timeout=2).read()
            return proc, base
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(10)


def send(base: str, key: str) -> int:
    body = urllib.parse.urlencode({"kinds": "labour", "what": "benchmark tip " + key,
                                   "idempotency_key": key}).encode()
    req = urllib.request.Request(base + "/en/tip", data=body, headers={
        "Accept": "application/json", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def flood(base: str, seconds: float, clients: int, keys: list[str], codes: list[int]) -> None:
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < end:
            key = secrets.token_urlsafe(18)
            for _attempt in range(20):
                code = send(base, key)
                with lock:
                    codes.append(code)
                if code in (200, 201, 429):
                    break
                time.sleep(0.05)
            if code in (200, 201):
                with lock:
                    keys.append(key)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def count_tips(db: Path) -> tuple[int, int]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        tips = conn.execute("select count(*) from tip").fetchone()[0]
        keys = conn.execute("select count(distinct tip_id) from tip_idempotency").fetchone()[0]
    return int(tips), int(keys)


def prepare(tmp: Path) -> Path:
    db = tmp / "bench.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "HAVEN_SEED_ON_START": "0",
           "SECRET_KEY": "bench"}
    flask = str(ROOT / ".venv/bin/flask")
    for args in (["db", "upgrade"], ["services", "seed"],
                 ["keys", "init", "--passphrase", PASSPHRASE]):
        subprocess.run([flask, "--app", "app", *args], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    return db


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    a = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="haven-tips-bench-"))
    try:
        db = prepare(tmp)
        proc, base = start(db, 10**9)
        keys: list[str] = []
        codes: list[int] = []
        t0 = time.monotonic()
        flood(base, a.seconds, a.clients, keys, codes)
        elapsed = time.monotonic() - t0
        stop(proc)
        tips, distinct = count_tips(db)
        retries = sum(1 for c in codes if c not in (200, 201))
        print(f"phase 1: {len(keys)} tips acknowledged in {elapsed:.1f}s = "
              f"{len(keys) / elapsed:.1f} tips/s; stored {tips}; lost {len(keys) - distinct}; "
              f"duplicated {tips - distinct}; retried sends {retries}")

        proc, base = start(db, 20)
        lat: list[float] = []
        done = threading.Event()

        def searcher() -> None:
            queries = ["shelter", "abogado", "legal aid", "conseling", "律师", "medical"]
            i = 0
            while not done.is_set():
                q = urllib.parse.quote(queries[i % len(queries)])
                t = time.perf_counter()
                urllib.request.urlopen(f"{base}/en/search?q={q}", timeout=10).read()
                lat.append((time.perf_counter() - t) * 1000)
                i += 1

        s = threading.Thread(target=searcher)
        s.start()
        codes2: list[int] = []
        flood(base, a.seconds, a.clients, [], codes2)
        done.set()
        s.join()
        stop(proc)
        lat.sort()
        p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
        print(f"phase 2: {len(codes2)} flood sends, {codes2.count(429)} refused with 429; "
              f"search p50 {statistics.median(lat):.1f} ms p95 {p95:.1f} ms over {len(lat)} "
              f"searches")
        print(f"{time.strftime('%Y-%m-%d')} {platform.machine()} {os.cpu_count()} cpus "
              f"Python {platform.python_version()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
