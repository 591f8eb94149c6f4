"""Home page latency while one client floods the server without signing in, before and after
the cost-before-work changes.

Run: PYTHONPATH=. .venv/bin/python bench/abuse.py [--before REF] [--seconds 20] [--threads 4]
     [--skip-before xlsx]

Each tree (the working tree, and REF exported with `git archive` when given) is served by
gunicorn with the shipped config, one worker of 4 threads, on a seeded SQLite database. For
each flood, `threads` threads send it for `seconds` from one client while one thread fetches
the home page; the home page's median and p95 are printed beside the quiet ones (goal: p95
under a flood at most 3x the quiet p95). The floods:
- tips: POST /en/tip with three PNGs whose headers say 7070 x 7070;
- posters: poster.png, each with a different organisation;
- sms: signed 100 KB chunked bodies to /sms/inbound and 2 MB chunked forms to /sms/twilio;
- xlsx: an admin uploads the 702 KB .xlsx holding one 700 MB inline string.
The figures go to stdout as a Markdown table, for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import io
import json
import os
import platform
import re
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
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.gen_sheets import inline_string_xlsx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SMS_SECRET = "bench-sms-secret"  # noqa: S105 - a throwaway bench server
TWILIO = "bench-twilio-token"  # noqa: S105
ADMIN = ("benchadmin", "bench admin password 123")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(tree: Path, work: Path) -> tuple[dict[str, str], str]:
    """A seeded database and an admin for this tree; returns (environment, admin's TOTP secret)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
           "SECRET_KEY": "bench", "HAVEN_WORKERS": "1", "HAVEN_THREADS": "4",
           "HAVEN_SMS_SECRET": SMS_SECRET, "HAVEN_TWILIO_AUTH_TOKEN": TWILIO,
           "HAVEN_PUBLIC_URL": "https://help.example.org", "HAVEN_INSECURE_COOKIES": "1",
           "HAVEN_SEARCH_INDEX_DIR": str(work), "HAVEN_PASSPHRASE_KDF": "interactive",
           "HSDS_SCHEMA_DIR": str(ROOT / "reference" / "hsds-3.0" / "schema"),
           "PYTHONPATH": str(tree)}
    flask = [PYTHON, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "services", "seed"], cwd=tree, env=env, check=True,
                   capture_output=True)
    made = subprocess.run([PYTHON, "-c", (
        "from webapp import create_app\n"
        "from webapp.staff import auth\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    print(auth.create_user({ADMIN[0]!r}, {ADMIN[1]!r}, 'admin')[1])\n")],
        cwd=tree, env=env, check=True, capture_output=True, text=True)
    return env, made.stdout.strip().splitlines()[-1]


def serve(tree: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", str(tree / "deploy/gunicorn.conf.py"), "app:app"],
        cwd=tree, env={**env, "HAVEN_BIND": f"127.0.0.1:{port}", "HAVEN_SEED_ON_START": "0"},
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/en/about", timeout=2).read()  # noqa: S310
            return proc, base
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(30)


def raw(base: str, method: str, path: str, body: bytes | None = None,
        headers: dict[str, str] | None = None, chunked: bool = False) -> int:
    """One request; its status (0 when the connection failed)."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=120)
    try:
        payload = ((body[i:i + 65536] for i in range(0, len(body), 65536))
                   if chunked and body is not None else body)
        conn.request(method, path, body=payload, headers=headers or {}, encode_chunked=chunked)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except OSError:
        return 0
    finally:
        conn.close()


def huge_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (7070, 7070)).save(buf, format="PNG")
    return buf.getvalue()


def multipart(fields: list[tuple[str, str, bytes | str]]) -> tuple[bytes, str]:
    """(body, content type) for (name, filename or "", value) fields."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, filename, value in fields:
        out.write(f"--{boundary}\r\n".encode())
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out.write(f"Content-Disposition: {disp}\r\n".encode())
        if filename:
            out.write(b"Content-Type: application/octet-stream\r\n")
        out.write(b"\r\n")
        out.write(value if isinstance(value, bytes) else value.encode())
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def tip_flood(base: str) -> Callable[[int], int]:
    png = huge_png()

    def one(i: int) -> int:
        body, ctype = multipart([("kinds", "", "labour"), ("what", "", "bench"),
                                 ("idempotency_key", "", f"bench-flood-key-{i:08d}"),
                                 *[("photos", f"p{k}.png", png) for k in range(3)]])
        return raw(base, "POST", "/en/tip", body, {"Content-Type": ctype})
    return one


def poster_flood(base: str) -> Callable[[int], int]:
    def one(i: int) -> int:
        return raw(base, "GET", f"/en/posters/poster.png?organisation=Bench%20{i}")
    return one


def sms_flood(base: str) -> Callable[[int], int]:
    import hashlib
    import hmac

    text = "shelter " + "x" * (100 * 1024)
    signed = json.dumps({"from": "+15550001111", "to": "+15550100000", "text": text}).encode()
    signature = hmac.new(SMS_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    form = "&".join(f"F{i}=v" for i in range(200_000)).encode()

    def one(i: int) -> int:
        if i % 2:
            return raw(base, "POST", "/sms/twilio", form, {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": "x"}, chunked=True)
        return raw(base, "POST", "/sms/inbound", signed, {
            "Content-Type": "application/json", "X-Haven-Signature": signature}, chunked=True)
    return one


def bomb_xlsx(path: Path) -> bytes:
    """The 702 KB workbook holding one 700 MB inline string (tests/test_abuse.py uses it too)."""
    return inline_string_xlsx(path, 700 * 1024 * 1024).read_bytes()


def xlsx_flood(base: str, secret: str, work: Path) -> Callable[[int], int]:
    import pyotp

    data = bomb_xlsx(work / "bomb.xlsx")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def token(page: str) -> str:
        html = opener.open(base + page, timeout=30).read().decode()
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        if not found:
            raise RuntimeError(f"no form on {page}")
        return found.group(1)

    for when in (time.time(), time.time() + 30):
        form = urllib.parse.urlencode({"csrf_token": token("/staff/login"),
                                       "username": ADMIN[0], "password": ADMIN[1],
                                       "code": pyotp.TOTP(secret).at(when)}).encode()
        resp = opener.open(base + "/staff/login", data=form, timeout=30)
        if "/staff/login" not in resp.geturl():
            break
    else:
        raise RuntimeError("the bench admin could not sign in")
    lock = threading.Lock()

    def one(_i: int) -> int:
        with lock:
            csrf = token("/staff/directory/import")
        body, ctype = multipart([("csrf_token", "", csrf), ("sheet", "bomb.xlsx", data)])
        req = urllib.request.Request(base + "/staff/directory/import", data=body,
                                     headers={"Content-Type": ctype})
        try:
            return int(opener.open(req, timeout=300).status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return 0
    return one


def home_latencies(base: str, until: Callable[[], bool]) -> list[float]:
    out = []
    while not until():
        start = time.perf_counter()
        raw(base, "GET", "/en/")
        out.append((time.perf_counter() - start) * 1000)
        time.sleep(0.05)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def run_flood(base: str, send: Callable[[int], int], seconds: float,
              threads: int) -> tuple[list[float], list[int]]:
    end = time.monotonic() + seconds
    codes: list[int] = []
    counter = iter(range(10**9))
    lock = threading.Lock()

    def worker() -> None:
        while time.monotonic() < end:
            with lock:
                i = next(counter)
            code = send(i)
            with lock:
                codes.append(code)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    times = home_latencies(base, lambda: time.monotonic() >= end)
    for t in pool:
        t.join()
    return times, codes


def measure(tree: Path, label: str, seconds: float, threads: int,
            skip: tuple[str, ...] = ()) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="haven-abuse-"))
    rows = []
    try:
        env, secret = prepare(tree, work)
        proc, base = serve(tree, env)
        try:
            quiet_end = time.monotonic() + 10
            quiet = home_latencies(base, lambda: time.monotonic() >= quiet_end)
            rows.append(f"| {label} | quiet | {statistics.median(quiet):.0f} | "
                        f"{p95(quiet):.0f} | {len(quiet)} | |")
            floods: dict[str, Callable[[], Callable[[int], int]]] = {
                "tips": lambda: tip_flood(base), "posters": lambda: poster_flood(base),
                "sms": lambda: sms_flood(base), "xlsx": lambda: xlsx_flood(base, secret, work)}
            for name, make in floods.items():
                if name in skip:
                    continue
                send = make()
                times, codes = run_flood(base, send, seconds, threads)
                seen = ", ".join(f"{c}×{codes.count(c)}" for c in sorted(set(codes)))
                rows.append(f"| {label} | {name} | {statistics.median(times):.0f} | "
                            f"{p95(times):.0f} | {len(times)} | {seen} |")
                print(rows[-1], flush=True)
                time.sleep(3)  # let requests still running finish
        finally:
            stop(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def export(ref: str) -> Path:
    """The tree at ref, exported (git archive), sharing this tree's virtualenv."""
    dest = Path(tempfile.mkdtemp(prefix="haven-before-"))
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    shutil.copytree(ROOT / "services_data", dest / "services_data", dirs_exist_ok=True)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="", help="a git ref to measure as 'before'")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip-before", default="xlsx",
                        help="floods not sent to the 'before' tree (comma-separated); the "
                             "old .xlsx reader took 4.7 GB per upload")
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}; one gunicorn worker of 4 threads, {args.threads} "
          f"flooding threads for {args.seconds:g} s each\n")
    print("| tree | flood | home median ms | home p95 ms | home requests | flood answers |")
    print("|---|---|---|---|---|---|")
    rows = []
    if args.before:
        before = export(args.before)
        try:
            rows += measure(before, f"before ({args.before})", args.seconds, args.threads,
                            tuple(args.skip_before.split(",")))
        finally:
            shutil.rmtree(before, ignore_errors=True)
    rows += measure(ROOT, "after", args.seconds, args.threads)
    print("\n" + "\n".join(rows))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
