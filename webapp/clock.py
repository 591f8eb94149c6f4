"""The one clock: what every stored time is (UTC, naive, whole seconds). Tests move it by
replacing clock.now, so every module calls it as clock.now(), never imports the function."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """UTC now, naive, whole seconds: how Haven stores times."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
