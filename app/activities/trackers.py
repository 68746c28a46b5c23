"""Importers for the files trackers let people download: Fitbit's account export, Google
Takeout's Fit data and Garmin FIT activity files.

Like the Apple Health importer, each turns bytes into `ImportedActivity` rows with a stable
`external_id` (the tracker's own id where it has one, else the local date or start instant),
so importing the same or a newer overlapping export updates rows instead of duplicating them.
Archives are read through `archive.zip_members` (bounded, zip bombs refused).

Daily calories: Fitbit's `calories-*.json` and Takeout's "Calories (kcal)" are *total* energy
(resting included). The app's targets already count resting energy, so adding them would
count it twice; they are read for validation only. Workouts keep the energy the tracker
reported for them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Iterable
from typing import Any

from garmin_fit_sdk import Decoder, Stream

from app.activities.archive import ArchiveInvalid, is_zip, zip_members
from app.activities.importers import (
    DAILY_STEPS,
    ActivityImporter,
    ImportedActivity,
    ImportFormatError,
    external_id,
)

SLEEP = "sleep"
# A JSON file of an export: Fitbit writes a month of minutes per file (~3 MB).
MAX_JSON_BYTES = 50 * 1024 * 1024

# The trackers' activity names, lower-cased, to the MET table's types.
_ACTIVITY_TYPES = {
    "walk": "walking",
    "walking": "walking",
    "run": "running",
    "running": "running",
    "treadmill": "running",
    "bike": "cycling",
    "outdoor bike": "cycling",
    "biking": "cycling",
    "cycling": "cycling",
    "road_biking": "cycling",
    "mountain_biking": "cycling",
    "swim": "swimming",
    "swimming": "swimming",
    "weights": "strength_training",
    "strength_training": "strength_training",
    "training": "strength_training",
    "yoga": "yoga",
    "pilates": "pilates",
    "hike": "hiking",
    "hiking": "hiking",
    "elliptical": "elliptical",
    "rowing": "rowing",
    "aerobic workout": "hiit",
    "interval workout": "hiit",
    "hiit": "hiit",
    "dancing": "dancing",
    "tennis": "tennis",
    "basketball": "basketball",
    "soccer": "soccer",
    "golf": "golf",
}


def activity_type(name: str | None) -> str:
    return _ACTIVITY_TYPES.get((name or "").strip().lower(), "other")


def _num(value: Any, what: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ImportFormatError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(number) or number < 0 or number > 1e9:
        raise ImportFormatError(f"{what} {value!r} is not a valid amount")
    return number


def _json(name: str, raw: bytes) -> Any:
    if len(raw) > MAX_JSON_BYTES:
        raise ImportFormatError(f"{name} is too large")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ImportFormatError(f"{name} is not valid JSON: {exc}") from exc


def _members(data: bytes, want: Any) -> list[tuple[str, bytes]]:
    try:
        return list(zip_members(data, want))
    except ArchiveInvalid as exc:
        raise ImportFormatError(str(exc)) from exc


def _base(name: str) -> str:
    return name.rsplit("/", 1)[-1]


# --- Fitbit -----------------------------------------------------------------------------------

_FITBIT_FILE = re.compile(r"^(steps|calories|exercise|sleep)-[\w-]+\.json$")


def _fitbit_time(raw: Any, what: str) -> dt.datetime:
    """Fitbit writes "01/31/24 07:00:00" (exercise, minutes) or ISO "2024-01-31T23:10:00.000"
    (sleep), local time without an offset: kept as the wall clock, stored as if UTC."""
    if not isinstance(raw, str):
        raise ImportFormatError(f"{what} has no time")
    for fmt in ("%m/%d/%y %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(raw.strip(), fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    raise ImportFormatError(f"{what} has an unreadable time {raw!r}")


def _records(name: str, raw: bytes) -> list[dict[str, Any]]:
    data = _json(name, raw)
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ImportFormatError(f"{name} is not a list of records")
    return data


class FitbitImporter:
    """Fitbit account export (Settings > Data export > "Export your account archive"): a
    zip with `Physical Activity/steps-*.json` (steps per minute, summed per day),
    `exercise-*.json` (logged activities: logId, activityName, startTime, duration in ms,
    calories, steps, distance and distanceUnit) and `Sleep/sleep-*.json` (logId, dateOfSleep,
    startTime, minutesAsleep). external_id: logId for exercise and sleep, the date for steps."""

    name = "fitbit"

    def parse(self, data: bytes) -> list[ImportedActivity]:
        if not is_zip(data):
            raise ImportFormatError("a Fitbit export is a zip file")
        files = _members(data, lambda n: bool(_FITBIT_FILE.match(_base(n))))
        if not files:
            raise ImportFormatError("the zip has no Fitbit steps-, exercise- or sleep- JSON files")
        steps: dict[dt.date, float] = {}
        out: list[ImportedActivity] = []
        for name, raw in sorted(files):
            kind = _base(name).split("-", 1)[0]
            records = _records(_base(name), raw)
            if kind == "steps":
                for r in records:
                    when = _fitbit_time(r.get("dateTime"), "a step record")
                    steps[when.date()] = steps.get(when.date(), 0.0) + (
                        _num(r.get("value"), "step count") or 0.0
                    )
            elif kind == "calories":
                for r in records:  # total energy: validated, not stored (module docstring)
                    _num(r.get("value"), "calories")
            elif kind == "exercise":
                out.extend(self._exercise(r) for r in records)
            else:
                out.extend(self.sleep_record(r) for r in records)
        out.extend(
            ImportedActivity(
                started_at=dt.datetime.combine(day, dt.time(), dt.UTC),
                date=day,
                activity_type=DAILY_STEPS,
                duration_min=0.0,
                distance_km=None,
                kcal=None,
                steps=round(total),
                source=self.name,
                external_id=external_id(self.name, DAILY_STEPS, day.isoformat()),
            )
            for day, total in sorted(steps.items())
        )
        return out

    def _exercise(self, r: dict[str, Any]) -> ImportedActivity:
        log_id = r.get("logId")
        what = f"exercise {log_id}"
        if log_id is None:
            raise ImportFormatError("an exercise record has no logId")
        start = _fitbit_time(r.get("startTime"), what)
        duration_ms = _num(r.get("activeDuration") or r.get("duration"), f"duration of {what}")
        distance = _num(r.get("distance"), f"distance of {what}")
        if distance is not None and str(r.get("distanceUnit", "")).lower().startswith("mile"):
            distance *= 1.609344
        kcal = _num(r.get("calories"), f"calories of {what}")
        step_count = _num(r.get("steps"), f"steps of {what}")
        return ImportedActivity(
            started_at=start,
            date=start.date(),
            activity_type=activity_type(r.get("activityName")),
            duration_min=round((duration_ms or 0.0) / 60_000, 2),
            distance_km=None if distance is None else round(distance, 3),
            kcal=None if kcal is None else round(kcal, 1),
            steps=None if step_count is None else round(step_count),
            source=self.name,
            external_id=external_id(self.name, "exercise", str(log_id)),
        )

    def sleep_record(self, r: dict[str, Any]) -> ImportedActivity:
        """One sleep log: the export's files and the Web API's sleep endpoint share it."""
        log_id = r.get("logId")
        if log_id is None:
            raise ImportFormatError("a sleep record has no logId")
        start = _fitbit_time(r.get("startTime"), f"sleep {log_id}")
        try:
            day = dt.date.fromisoformat(str(r.get("dateOfSleep")))
        except ValueError:
            raise ImportFormatError(f"sleep {log_id} has no valid dateOfSleep") from None
        minutes = _num(r.get("minutesAsleep"), f"minutes asleep of sleep {log_id}")
        if minutes is None:
            minutes = (_num(r.get("duration"), f"duration of sleep {log_id}") or 0.0) / 60_000
        return ImportedActivity(
            started_at=start,
            date=day,
            activity_type=SLEEP,
            duration_min=round(minutes, 1),
            distance_km=None,
            kcal=None,
            steps=None,
            source=self.name,
            external_id=external_id(self.name, SLEEP, str(log_id)),
        )


# --- Google Takeout (Fit) -----------------------------------------------------------------------

_DAILY_CSV = "Daily activity metrics.csv"
_SESSION_DIR = "All Sessions/"
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)s$")
_FILE_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})T")
# Takeout names a session file after its local start: "2024-01-02T23_10_00+01_00_SLEEP.json".
_FILE_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}_\d{2}_\d{2}(?:\.\d+)?([+-])(\d{2})_(\d{2})")
# Google Fit's activity types for sleep (developers.google.com/fit/rest/v1/reference/
# activity-types): 72 sleeping, 109 light, 110 deep, 111 REM; 112 is "awake (during sleep
# cycle)". Takeout writes them by name: "sleep", "sleep.light", ..., "sleep.awake".
_SLEEP_TYPES = {"72", "109", "110", "111"}
_AWAKE = {"112", "sleep.awake", "awake", "sleep.out_of_bed", "out_of_bed"}
MAX_SLEEP_MIN = 24 * 60


def _iso(raw: Any, what: str) -> dt.datetime:
    if not isinstance(raw, str):
        raise ImportFormatError(f"{what} has no time")
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ImportFormatError(f"{what} has an unreadable time {raw!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class GoogleFitImporter:
    """Google Takeout's Fit data: `Fit/Daily activity metrics/Daily activity metrics.csv` (one
    row per local date; its "Step count" becomes the day's steps) and `Fit/All Sessions/*.json`
    (fitnessActivity, startTime, endTime, duration "1800s", aggregate metrics
    com.google.calories.expended, com.google.step_count.delta, com.google.distance.delta in
    metres; sleep sessions, "sleep" or activity type 72, with their sleep-stage `segment`s).
    The Takeout zip or the CSV alone. external_id: the date for days, the activity and start
    instant for sessions."""

    name = "google_fit"

    def parse(self, data: bytes) -> list[ImportedActivity]:
        if is_zip(data):
            files = _members(
                data,
                lambda n: _base(n) == _DAILY_CSV or (_SESSION_DIR in n and n.endswith(".json")),
            )
        else:
            files = [(_DAILY_CSV, data)]
        if not files:
            raise ImportFormatError(
                f'the zip has neither "{_DAILY_CSV}" nor "All Sessions" JSON files'
            )
        out: list[ImportedActivity] = []
        for name, raw in sorted(files):
            if _base(name) == _DAILY_CSV:
                out.extend(self._days(raw))
            else:
                out.append(self._session(name, raw))
        return out

    def _days(self, raw: bytes) -> Iterable[ImportedActivity]:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFormatError(f"{_DAILY_CSV} is not UTF-8 text") from exc
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "Date" not in reader.fieldnames:
            raise ImportFormatError(f'{_DAILY_CSV} has no "Date" column')
        for row in reader:
            try:
                day = dt.date.fromisoformat((row.get("Date") or "").strip())
            except ValueError:
                raise ImportFormatError(f"{_DAILY_CSV}: bad date {row.get('Date')!r}") from None
            _num(row.get("Calories (kcal)"), f"calories on {day}")  # total energy: not stored
            count = _num(row.get("Step count"), f"step count on {day}")
            if count is None:
                continue
            yield ImportedActivity(
                started_at=dt.datetime.combine(day, dt.time(), dt.UTC),
                date=day,
                activity_type=DAILY_STEPS,
                duration_min=0.0,
                distance_km=None,
                kcal=None,
                steps=round(count),
                source=self.name,
                external_id=external_id(self.name, DAILY_STEPS, day.isoformat()),
            )

    def _session(self, name: str, raw: bytes) -> ImportedActivity:
        s = _json(_base(name), raw)
        if not isinstance(s, dict):
            raise ImportFormatError(f"{_base(name)} is not a session object")
        what = f"session {_base(name)}"
        start = _iso(s.get("startTime"), what)
        if _is_sleep(s.get("fitnessActivity"), s.get("activityType")):
            return self._sleep(name, s, start, what)
        duration = None
        m = _DURATION.match(str(s.get("duration", "")))
        if m:
            duration = float(m.group(1)) / 60
        elif s.get("endTime"):
            duration = (_iso(s.get("endTime"), what) - start).total_seconds() / 60
        if duration is None or duration < 0 or duration > 7 * 24 * 60:
            raise ImportFormatError(f"{what} has no valid duration")
        metrics: dict[str, float | None] = {}
        for agg in s.get("aggregate") or []:
            if isinstance(agg, dict) and isinstance(agg.get("metricName"), str):
                value = agg.get("floatValue", agg.get("intValue"))
                metrics[agg["metricName"]] = _num(value, f"{agg['metricName']} of {what}")
        distance_m = metrics.get("com.google.distance.delta")
        kcal = metrics.get("com.google.calories.expended")
        count = metrics.get("com.google.step_count.delta")
        # Takeout names the file after the local start ("2024-01-02T07_00_00+01_00_RUNNING"),
        # which gives the user's date; the JSON times are UTC.
        local = _FILE_DATE.match(_base(name))
        day = dt.date.fromisoformat(local.group(1)) if local else start.date()
        kind = str(s.get("fitnessActivity") or "")
        return ImportedActivity(
            started_at=start,
            date=day,
            activity_type=activity_type(kind),
            duration_min=round(duration, 2),
            distance_km=None if distance_m is None else round(distance_m / 1000, 3),
            kcal=None if kcal is None else round(kcal, 1),
            steps=None if count is None else round(count),
            source=self.name,
            external_id=external_id(self.name, kind, start.isoformat()),
        )

    def _sleep(
        self, name: str, s: dict[str, Any], start: dt.datetime, what: str
    ) -> ImportedActivity:
        """A sleep session: the minutes asleep are its sleep segments (light, deep, REM or
        plain sleep) without the awake ones, or the whole session when it has no segments;
        its date is the local date it ended on (as Fitbit's dateOfSleep: the night of the
        1st to the 2nd is the 2nd's sleep)."""
        end = _iso(s.get("endTime"), what) if s.get("endTime") else None
        m = _DURATION.match(str(s.get("duration", "")))
        if end is None and m:
            end = start + dt.timedelta(seconds=float(m.group(1)))
        if end is None or end < start:
            raise ImportFormatError(f"{what} has no valid end")
        asleep: float | None = None
        for seg in s.get("segment") or []:
            if not isinstance(seg, dict):
                continue
            stage = str(seg.get("fitnessActivity", seg.get("activityType", "sleep"))).lower()
            if not _is_sleep(stage, None) and stage not in _AWAKE:
                continue  # not a sleep stage: Takeout segments of other kinds say nothing here
            seg_start = _iso(seg.get("startTime"), f"a segment of {what}")
            seg_end = _iso(seg.get("endTime"), f"a segment of {what}")
            if seg_end < seg_start:
                raise ImportFormatError(f"a segment of {what} ends before it starts")
            asleep = asleep or 0.0
            if stage not in _AWAKE:
                asleep += (seg_end - seg_start).total_seconds() / 60
        minutes = (end - start).total_seconds() / 60 if asleep is None else asleep
        if minutes > MAX_SLEEP_MIN:
            raise ImportFormatError(f"{what} is longer than a day")
        offset = _FILE_OFFSET.match(_base(name))
        local_end = end
        if offset:
            sign = 1 if offset.group(1) == "+" else -1
            local_end = end + sign * dt.timedelta(
                hours=int(offset.group(2)), minutes=int(offset.group(3))
            )
        return ImportedActivity(
            started_at=start,
            date=local_end.date(),
            activity_type=SLEEP,
            duration_min=round(minutes, 1),
            distance_km=None,
            kcal=None,
            steps=None,
            source=self.name,
            external_id=external_id(self.name, SLEEP, start.isoformat()),
        )


def _is_sleep(activity: Any, activity_type: Any) -> bool:
    name = str(activity if activity is not None else "").strip().lower()
    if name in _AWAKE:
        return False
    return (
        name == "sleep"
        or name.startswith("sleep.")
        or name in _SLEEP_TYPES
        or str(activity_type) in _SLEEP_TYPES
    )


# --- Garmin FIT ------------------------------------------------------------------------------

_FIT_EPOCH = dt.datetime(1989, 12, 31, tzinfo=dt.UTC)


class GarminFitImporter:
    """Garmin FIT activity files (a .fit, or a zip of them as Garmin Connect exports),
    decoded with Garmin's FIT SDK after its header and CRC check. One activity per `session`
    message: sport, start_time, total_timer_time (s), total_distance (m), total_calories.
    The local date comes from the `activity` message's local_timestamp where present.
    external_id: the sport and start instant."""

    name = "garmin_fit"

    def parse(self, data: bytes) -> list[ImportedActivity]:
        if is_zip(data):
            files = _members(data, lambda n: n.lower().endswith(".fit"))
            if not files:
                raise ImportFormatError("the zip has no .fit files")
        else:
            files = [("activity.fit", data)]
        out: list[ImportedActivity] = []
        for name, raw in files:
            out.extend(self._file(_base(name), raw))
        return out

    def _file(self, name: str, raw: bytes) -> list[ImportedActivity]:
        decoder = Decoder(Stream.from_byte_array(bytearray(raw)))
        try:
            if not decoder.is_fit() or not decoder.check_integrity():
                raise ImportFormatError(f"{name} is not a valid FIT file (header or CRC)")
            decoder = Decoder(Stream.from_byte_array(bytearray(raw)))
            messages, errors = decoder.read()
        except ImportFormatError:
            raise
        except Exception as exc:  # the SDK raises plain exceptions on malformed data
            raise ImportFormatError(f"{name} cannot be decoded: {exc}") from exc
        if errors:
            raise ImportFormatError(f"{name} cannot be decoded: {errors[0]}")
        sessions = messages.get("session_mesgs") or []
        if not sessions:
            raise ImportFormatError(f"{name} has no activity session")
        offset = dt.timedelta(0)
        for act in messages.get("activity_mesgs") or []:
            ts, local = act.get("timestamp"), act.get("local_timestamp")
            if isinstance(ts, dt.datetime) and isinstance(local, int | float):
                offset = _FIT_EPOCH + dt.timedelta(seconds=float(local)) - ts
                if abs(offset) > dt.timedelta(hours=14):
                    offset = dt.timedelta(0)
        out = []
        for s in sessions:
            start = s.get("start_time")
            if not isinstance(start, dt.datetime):
                raise ImportFormatError(f"{name}: a session has no start_time")
            start = start.astimezone(dt.UTC)
            seconds = _num(s.get("total_timer_time") or s.get("total_elapsed_time"), "duration")
            distance = _num(s.get("total_distance"), "distance")
            kcal = _num(s.get("total_calories"), "calories")
            sport = str(s.get("sport") or "generic")
            out.append(
                ImportedActivity(
                    started_at=start,
                    date=(start + offset).date(),
                    activity_type=activity_type(sport),
                    duration_min=round((seconds or 0.0) / 60, 2),
                    distance_km=None if distance is None else round(distance / 1000, 3),
                    kcal=None if kcal is None else round(kcal, 1),
                    steps=None,
                    source=self.name,
                    external_id=external_id(self.name, sport, start.isoformat()),
                )
            )
        return out


TRACKER_IMPORTERS: dict[str, ActivityImporter] = {
    FitbitImporter.name: FitbitImporter(),
    GoogleFitImporter.name: GoogleFitImporter(),
    GarminFitImporter.name: GarminFitImporter(),
}
