"""State every worker and instance must agree on: rate limits, the hourly tag key, staff unlocks.

Without HAVEN_SHARED_STATE_URL it lives in this process's memory (one process, `python app.py`).
With `redis://…` or `unix://…` (Debian's redis-server or Valkey, persistence off) every worker and
instance shares it. Nothing here is ever written to disk by Haven, and no key
or value holds a client address: limits are keyed by the rotating tag (security.py).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask, current_app
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

PREFIX = "haven"
EXTENSION = "haven.state"


class StateUnavailable(Exception):
    """The shared store did not answer (Redis down or unreachable)."""


class SharedState:
    """A small key-value store with expiry, plus a moving-window rate limiter on the same store."""

    def __init__(self, url: str = "") -> None:
        self.url = url
        self._mem: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()
        self.redis: Any = None
        storage: Storage
        if url:
            # Only when a shared store is configured: a single-process install needs no Redis.
            import redis

            self.redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            limits_url = "redis+unix://" + url[len("unix://"):] if url.startswith("unix://") \
                else url
            storage = RedisStorage(limits_url, key_prefix=f"{PREFIX}:limits",
                                   socket_connect_timeout=2, socket_timeout=2)
            self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        else:
            storage = MemoryStorage()
            self._errors = ()
        self.limits = MovingWindowRateLimiter(storage)

    @property
    def shared(self) -> bool:
        """Whether other processes see the same state."""
        return self.redis is not None

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except self._errors as exc:
            raise StateUnavailable(exc.__class__.__name__) from exc

    def put(self, key: str, value: bytes, ttl: float) -> None:
        """Store value under key for ttl seconds."""
        if self.redis is not None:
            self._call(self.redis.set, f"{PREFIX}:{key}", value, px=max(1, int(ttl * 1000)))
            return
        with self._lock:
            self._sweep()
            self._mem[key] = (value, time.monotonic() + ttl)

    def add(self, key: str, value: bytes, ttl: float) -> bytes:
        """Store value unless the key exists; return what the key holds now (first writer wins)."""
        if self.redis is not None:
            name = f"{PREFIX}:{key}"
            self._call(self.redis.set, name, value, px=max(1, int(ttl * 1000)), nx=True)
            found = self._call(self.redis.get, name)
            return bytes(found) if found is not None else value
        with self._lock:
            self._sweep()
            held = self._mem.setdefault(key, (value, time.monotonic() + ttl))
            return held[0]

    def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        if self.redis is not None:
            found = self._call(self.redis.get, f"{PREFIX}:{key}")
            return bytes(found) if found is not None else None
        with self._lock:
            held = self._mem.get(key)
            if held is None or held[1] <= time.monotonic():
                self._mem.pop(key, None)
                return None
            return held[0]

    def delete(self, key: str) -> None:
        """Forget a key now."""
        if self.redis is not None:
            self._call(self.redis.delete, f"{PREFIX}:{key}")
            return
        with self._lock:
            self._mem.pop(key, None)

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_v, exp) in self._mem.items() if exp <= now]:
            del self._mem[key]

    def hit(self, purpose: str, tag: str, limit: int, window: float) -> float:
        """Count one event; 0 when allowed, else seconds until the next one is."""
        item = RateLimitItemPerSecond(limit, max(1, int(window)))
        if self._call(self.limits.hit, item, purpose, tag):
            return 0.0
        stats = self._call(self.limits.get_window_stats, item, purpose, tag)
        return max(1.0, float(stats.reset_time) - time.time())

    def blocked(self, purpose: str, tag: str, limit: int, window: float) -> bool:
        """Whether this client has used up its allowance (without counting a new event)."""
        item = RateLimitItemPerSecond(limit, max(1, int(window)))
        return not self._call(self.limits.test, item, purpose, tag)

    def ping(self) -> bool:
        """Whether the store answers (always, in memory)."""
        if self.redis is None:
            return True
        try:
            return bool(self.redis.ping())
        except self._errors:
            return False


def init_app(app: Flask) -> SharedState:
    """Create this app's state from HAVEN_SHARED_STATE_URL (empty: in memory)."""
    state = SharedState(str(app.config.get("HAVEN_SHARED_STATE_URL") or ""))
    app.extensions[EXTENSION] = state
    return state


def current() -> SharedState:
    """The state of the app handling this request."""
    state: SharedState = current_app.extensions[EXTENSION]
    return state
