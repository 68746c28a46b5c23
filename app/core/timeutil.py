"""Local-day arithmetic in a user's IANA time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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


# A day ahead is allowed because a user east of the server may already be on "tomorrow";
# anything further ahead is a typo.
MAX_DAYS_AHEAD = 1
EARLIEST_DATE = dt.date(1900, 1, 1)


def resolve_local_day(
    tz: str,
    date: dt.date | None,
    instant: dt.datetime | None,
    *,
    instant_name: str,
    error: Callable[[str], Exception],
) -> tuple[dt.date, dt.datetime | None]:
    """The local day of a record given as a date, an instant, both (they must agree) or neither
    (now). Raises `error(message)` for a mismatch, a future day or an out-of-range value."""
    if instant is not None:
        try:
            day = local_date(instant, tz)
            # Stored in UTC (so it must be representable there), and answered as stored: the
            # write's answer and a later read give the same text for the same instant.
            instant = instant.astimezone(dt.UTC)
        except OverflowError:
            raise error(
                f"{instant_name} {instant.isoformat()} is outside the supported date range"
            ) from None
        if date is not None and date != day:
            raise error(
                f"date {date} does not match {instant_name}, which is {day} in time zone {tz}"
            )
        date = day
    elif date is None:
        instant = dt.datetime.now(dt.UTC)
        date = local_date(instant, tz)
    today = local_today(tz)
    if date > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise error(f"date {date} is in the future (today is {today} in {tz})")
    if date < EARLIEST_DATE:
        raise error(f"date {date} is before {EARLIEST_DATE}")
    return date, instant
