"""Tip throughput and search latency during a rate-limited flood, on one instance (gunicorn
with the shipped config, 2 workers, no shared state: the single-instance deployment) and on
two instances of 2 workers sharing one redis-server, same machine, one run.

Run: PYTHONPATH=. .venv/bin/python bench/tips_load.py [--seconds 20] [--clients 8]
     [--backend sqlite|postgresql]

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

from bench.common import INDEX_DIR, databases
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "benchmark passphrase 123"  # noqa: S105 - a throwaway bench database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(db_url: str, tips_per_hour: int, shared: str = "") -> tuple[subprocess.Popen[bytes], str]:
    """One instance: gunicorn with the shipped config and 2 workers."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "HAVEN_SEED_ON_START": "0",
           "HAVEN_TIPS_PER_HOUR": str(tips_per_hour), "SECRET_KEY": "bench",
           "HAVEN_BIND": f"127.0.0.1:{port}", "HAVEN_WORKERS": "2",
           "HAVEN_SHARED_STATE_URL": shared, "HAVEN_SEARCH_INDEX_DIR": str(INDEX_DIR)}
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"),
         "app:app"], cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
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


def flood(bases: list[str], seconds: float, clients: int, keys: list[str],
          codes: list[int]) -> None:
    """Client k sends to instance k mod len(bases); a failed send is retried with the same key,
    on the next instance."""
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def worker(k: int) -> None:
        while time.monotonic() < end:
            key = secrets.token_urlsafe(18)
            for attempt in range(20):
                code = send(bases[(k + attempt) % len(bases)], key)
                with lock:
                    codes.append(code)
                if code in (200, 201, 429):
                    break
                time.sleep(0.05)
            if code in (200, 201):
                with lock:
                    keys.append(key)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def count_tips(db_url: str) -> tuple[int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        tips = conn.execute(text("select count(*) from tip")).scalar_one()
        keys = conn.execute(text("select count(distinct tip_id) from tip_idempotency")
                            ).scalar_one()
    engine.dispose()
    return int(tips), int(keys)


def prepare(db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url, "HAVEN_SEED_ON_START": "0",
           "SECRET_KEY": "bench", "HAVEN_SEARCH_INDEX_DIR": str(INDEX_DIR)}
    flask = str(ROOT / ".venv/bin/flask")
    for args in (["db", "upgrade"], ["services", "seed"],
                 ["keys", "init", "--passphrase", PASSPHRASE]):
        subprocess.run([flask, "--app", "app", *args], cwd=ROOT, env=env, check=True,
                       capture_output=True)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def layout(name: str, db_url: str, instances: int, shared: str, a: argparse.Namespace) -> None:
    """Phase 1 and phase 2 on `instances` instances of 2 workers each."""
    prepare(db_url)
    procs = [start(db_url, 10**9, shared) for _ in range(instances)]
    bases = [b for _p, b in procs]
    keys: list[str] = []
    codes: list[int] = []
    t0 = time.monotonic()
    flood(bases, a.seconds, a.clients, keys, codes)
    elapsed = time.monotonic() - t0
    for p, _b in procs:
        stop(p)
    tips, distinct = count_tips(db_url)
    if tips == 0:
        raise SystemExit("refusing to report: no tip was stored")
    retries = sum(1 for c in codes if c not in (200, 201))
    print(f"{name}: phase 1: {len(keys)} tips acknowledged in {elapsed:.1f}s = "
          f"{len(keys) / elapsed:.1f} tips/s; stored {tips}; lost {len(keys) - distinct}; "
          f"duplicated {tips - distinct}; retried sends {retries}", flush=True)

    procs = [start(db_url, 20, shared) for _ in range(instances)]
    bases = [b for _p, b in procs]
    lat: list[float] = []
    done = threading.Event()

    def searcher() -> None:
        queries = ["shelter", "abogado", "legal aid", "conseling", "律师", "medical"]
        i = 0
        while not done.is_set():
            q = urllib.parse.quote(queries[i % len(queries)])
            t = time.perf_counter()
            urllib.request.urlopen(f"{bases[i % len(bases)]}/en/search?q={q}", timeout=10).read()
            lat.append((time.perf_counter() - t) * 1000)
            i += 1

    s = threading.Thread(target=searcher)
    s.start()
    codes2: list[int] = []
    flood(bases, a.seconds, a.clients, [], codes2)
    done.set()
    s.join()
    for p, _b in procs:
        stop(p)
    print(f"{name}: phase 2: {len(codes2)} flood sends, {codes2.count(429)} refused with 429, "
          f"{codes2.count(201)} accepted (limit 20 an hour per client); search p50 "
          f"{statistics.median(lat):.1f} ms p95 {pct(lat, 0.95):.1f} ms over {len(lat)} "
          f"searches", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    a = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="haven-tips-bench-"))
    redis = RedisServer(tmp)
    try:
        with databases("haven-tips-bench-") as new:
            layout("1 instance x 2 workers, no shared state", new(a.backend, "single"), 1, "", a)
            layout("2 instances x 2 workers, shared Redis", new(a.backend, "pair"), 2,
                   redis.url, a)
        print(f"{time.strftime('%Y-%m-%d')} {platform.machine()} {os.cpu_count()} cpus "
              f"Python {platform.python_version()}; {a.backend}; {a.clients} clients, "
              f"{a.seconds:.0f} s per phase")
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
