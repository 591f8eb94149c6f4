"""A throwaway redis-server on loopback with persistence off (tests and benchmarks)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from tests.ports import free_port


class RedisServer:
    """Debian's redis-server on 127.0.0.1, nothing saved to disk, for one test session."""

    def __init__(self, base: Path) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise FileNotFoundError("redis-server (apt-get install redis-server)")
        self.port = free_port()
        self.dir = base
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(base), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        self.client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def everything(self) -> dict[bytes, bytes]:
        """Every key and a dump of its value (strings as stored, sorted sets by member)."""
        out: dict[bytes, bytes] = {}
        for key in self.client.scan_iter(count=1000):
            kind = self.client.type(key)
            if kind == b"string":
                out[key] = bytes(self.client.get(key) or b"")
            elif kind == b"list":
                out[key] = b"\n".join(self.client.lrange(key, 0, -1))
            elif kind == b"zset":
                out[key] = b"\n".join(m for m, _s in self.client.zrange(key, 0, -1,
                                                                      withscores=True))
            elif kind == b"hash":
                out[key] = b"\n".join(k + b"=" + v for k, v in self.client.hgetall(key).items())
            else:
                out[key] = kind
        return out

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
