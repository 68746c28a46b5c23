"""Local-day arithmetic in a user's IANA time zone."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(instant: dt.datetime, tz: str) -> dt.date:
    return instant.astimezone(zone(tz)).date()


def local_today(tz: str, now: dt.datetime | None = None) -> dt.date:
    return local_date(now or dt.datetime.now(dt.UTC), tz)


def week_start(day: dt.date) -> dt.date:
    """Monday of the ISO week holding `day`."""
    return day - dt.timedelta(days=day.weekday())
