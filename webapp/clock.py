"""The one clock: what every stored time is (UTC, naive, whole seconds), and the hour tips keep.
Tests move it by replacing clock.now, so every module calls it as clock.now(), never imports the
function."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """UTC now, naive, whole seconds: how Haven stores times."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def hour(now: dt.datetime | None = None) -> dt.datetime:
    """A time coarsened to the hour (naive UTC), the only precision tips keep."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return now.replace(minute=0, second=0, microsecond=0, tzinfo=None)
