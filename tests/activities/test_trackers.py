"""Fitbit, Google Takeout and Garmin FIT imports on files generated here: values, idempotent
re-import, bounded archives."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from garmin_fit_sdk import Encoder, Profile

from app.activities.archive import ArchiveInvalid, ArchiveTooLarge, ZipLimits, zip_members
from tests.conftest import assert_problem

ACTIVITIES = "/api/v1/activities"


def make_zip(files: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def fitbit_export() -> bytes:
    base = "MyFitbitData/Jane/"
    minutes = [
        {"dateTime": "01/01/24 08:00:00", "value": "1200"},
        {"dateTime": "01/01/24 18:30:00", "value": "3800"},
        {"dateTime": "01/02/24 09:00:00", "value": "7000"},
    ]
    exercise = [
        {
            "logId": 111,
            "activityName": "Walk",
            "startTime": "01/01/24 18:00:00",
            "duration": 1_800_000,
            "calories": 150,
            "steps": 3800,
            "distance": 2.5,
            "distanceUnit": "Kilometer",
        },
        {
            "logId": 222,
            "activityName": "Run",
            "startTime": "01/02/24 07:00:00",
            "activeDuration": 2_400_000,
            "duration": 2_500_000,
            "calories": 410,
            "distance": 5.0,
            "distanceUnit": "Mile",
        },
    ]
    sleep = [
        {
            "logId": 333,
            "dateOfSleep": "2024-01-02",
            "startTime": "2024-01-01T23:10:00.000",
            "endTime": "2024-01-02T07:00:00.000",
            "duration": 28_200_000,
            "minutesAsleep": 430,
        }
    ]
    return make_zip(
        {
            f"{base}Physical Activity/steps-2024-01-01.json": json.dumps(minutes),
            f"{base}Physical Activity/calories-2024-01-01.json": json.dumps(
                [{"dateTime": "01/01/24 00:00:00", "value": "1.1"}]
            ),
            f"{base}Physical Activity/exercise-0.json": json.dumps(exercise),
            f"{base}Sleep/sleep-2024-01-01.json": json.dumps(sleep),
            f"{base}Personal & Account/Profile.csv": "name\nJane\n",
        }
    )


def takeout_export() -> bytes:
    csv_text = (
        "Date,Move Minutes count,Calories (kcal),Distance (m),Step count\n"
        "2024-01-01,40,2350.5,4000.0,6021\n"
        "2024-01-02,65,2600.0,9000.0,11000\n"
    )
    session = {
        "fitnessActivity": "running",
        "startTime": "2024-01-01T23:30:00.000Z",
        "endTime": "2024-01-02T00:00:00.000Z",
        "duration": "1800.000s",
        "aggregate": [
            {"metricName": "com.google.calories.expended", "floatValue": 320.4},
            {"metricName": "com.google.step_count.delta", "intValue": 4800},
            {"metricName": "com.google.distance.delta", "floatValue": 5200.0},
        ],
    }
    return make_zip(
        {
            "Takeout/Fit/Daily activity metrics/Daily activity metrics.csv": csv_text,
            "Takeout/Fit/Daily activity metrics/2024-01-01.csv": "Start time,End time\n",
            # Local start 00:30 on 2 January in UTC+01:00: the user's day is the 2nd.
            "Takeout/Fit/All Sessions/2024-01-02T00_30_00+01_00_RUNNING.json": json.dumps(session),
        }
    )


def fit_file(start: dt.datetime, sport: str = "cycling", local_offset_h: int = -5) -> bytes:
    """A FIT activity written with Garmin's own SDK encoder (header, definitions, CRC)."""
    end = start + dt.timedelta(minutes=45)
    enc = Encoder()
    enc.write_mesg(
        {
            "mesg_num": Profile["mesg_num"]["FILE_ID"],
            "type": "activity",
            "manufacturer": "garmin",
            "product": 1,
            "serial_number": 1234,
            "time_created": start,
        }
    )
    enc.write_mesg(
        {
            "mesg_num": Profile["mesg_num"]["SESSION"],
            "start_time": start,
            "timestamp": end,
            "sport": sport,
            "total_elapsed_time": 2760.0,
            "total_timer_time": 2700.0,
            "total_distance": 20_500.0,
            "total_calories": 610,
        }
    )
    fit_epoch = dt.datetime(1989, 12, 31, tzinfo=dt.UTC)
    enc.write_mesg(
        {
            "mesg_num": Profile["mesg_num"]["ACTIVITY"],
            "timestamp": end,
            "local_timestamp": int((end - fit_epoch).total_seconds()) + local_offset_h * 3600,
            "num_sessions": 1,
            "total_timer_time": 2700.0,
        }
    )
    return enc.close()


async def upload(client, user, provider: str, data: bytes, name: str = "export.zip"):
    return await client.post(
        f"{ACTIVITIES}/import/{provider}",
        files={"file": (name, data, "application/octet-stream")},
        headers=user.headers,
    )


async def listed(client, user) -> list[dict]:
    r = await client.get(ACTIVITIES, params={"limit": 200}, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def by_type(items: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for i in items:
        out.setdefault(i["activity_type"], []).append(i)
    return out


async def test_fitbit_export(client, user):
    data = fitbit_export()
    r = await upload(client, user, "fitbit", data)
    assert r.status_code == 200, r.text
    assert r.json() == {"provider": "fitbit", "total": 5, "imported": 5, "updated": 0, "skipped": 0}
    got = by_type(await listed(client, user))
    steps = {d["date"]: d["steps"] for d in got["daily_steps"]}
    assert steps == {"2024-01-01": 5000, "2024-01-02": 7000}
    (walk,) = got["walking"]
    assert (walk["date"], walk["duration_min"], walk["kcal"], walk["distance_km"]) == (
        "2024-01-01",
        30.0,
        150.0,
        2.5,
    )
    (run,) = got["running"]
    assert run["duration_min"] == 40.0  # active duration, not the paused total
    assert run["distance_km"] == pytest.approx(8.047, abs=0.001)  # 5 miles
    (sleep,) = got["sleep"]
    assert (sleep["date"], sleep["duration_min"], sleep["kcal"]) == ("2024-01-02", 430.0, None)
    # The same export again changes nothing.
    r = await upload(client, user, "fitbit", data)
    assert r.json() == {"provider": "fitbit", "total": 5, "imported": 0, "updated": 0, "skipped": 5}
    assert len(await listed(client, user)) == 5


async def test_google_takeout_fit(client, user):
    data = takeout_export()
    r = await upload(client, user, "google_fit", data)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 3
    got = by_type(await listed(client, user))
    assert {d["date"]: d["steps"] for d in got["daily_steps"]} == {
        "2024-01-01": 6021,
        "2024-01-02": 11000,
    }
    (run,) = got["running"]
    assert (run["date"], run["duration_min"], run["kcal"], run["steps"], run["distance_km"]) == (
        "2024-01-02",
        30.0,
        320.4,
        4800,
        5.2,
    )
    assert run["started_at"].startswith("2024-01-01T23:30:00")
    # Daily totals: the step day's count wins over the workout's steps.
    r = await client.get(
        f"{ACTIVITIES}/daily",
        params={"start": "2024-01-02", "end": "2024-01-02"},
        headers=user.headers,
    )
    (day,) = r.json()["days"]
    assert (day["steps"], day["kcal"]) == (11000, 320.4)
    r = await upload(client, user, "google_fit", data)
    assert (r.json()["imported"], r.json()["skipped"]) == (0, 3)
    # The CSV alone works too.
    csv_only = b"Date,Step count\n2024-01-03,1234\n"
    r = await upload(client, user, "google_fit", csv_only, "Daily activity metrics.csv")
    assert r.json()["imported"] == 1


def takeout_sleep_export() -> bytes:
    # Local start 23:10 on 1 January at UTC+01:00; the stages as Takeout names them.
    staged = {
        "fitnessActivity": "sleep",
        "startTime": "2024-01-01T22:10:00.000Z",
        "endTime": "2024-01-02T06:40:00.000Z",
        "duration": "30600s",
        "segment": [
            {"fitnessActivity": "sleep.light", "startTime": "2024-01-01T22:10:00.000Z",
             "endTime": "2024-01-02T01:00:00.000Z"},  # 170 min
            {"fitnessActivity": "sleep.awake", "startTime": "2024-01-02T01:00:00.000Z",
             "endTime": "2024-01-02T01:25:00.000Z"},  # 25 min awake: not sleep
            {"fitnessActivity": "sleep.deep", "startTime": "2024-01-02T01:25:00.000Z",
             "endTime": "2024-01-02T03:00:00.000Z"},  # 95 min
            {"fitnessActivity": "sleep.rem", "startTime": "2024-01-02T03:00:00.000Z",
             "endTime": "2024-01-02T06:40:00.000Z"},  # 220 min
        ],
    }  # fmt: skip
    # Activity type 72 without stages, 22:00 on 3 January at UTC+10:00 to 06:00 local on the
    # 4th: the night is the 4th's although it ended on the 3rd in UTC.
    plain = {
        "activityType": 72,
        "startTime": "2024-01-03T12:00:00.000Z",
        "endTime": "2024-01-03T20:00:00.000Z",
        "duration": "28800s",
    }
    return make_zip(
        {
            "Takeout/Fit/All Sessions/2024-01-01T23_10_00+01_00_SLEEP.json": json.dumps(staged),
            "Takeout/Fit/All Sessions/2024-01-03T22_00_00+10_00_SLEEP.json": json.dumps(plain),
        }
    )


async def test_google_takeout_sleep(client, user):
    data = takeout_sleep_export()
    r = await upload(client, user, "google_fit", data)
    assert r.status_code == 200, r.text
    assert (r.json()["imported"], r.json()["total"]) == (2, 2)
    got = by_type(await listed(client, user))
    assert set(got) == {"sleep"}
    nights = sorted((n["date"], n["duration_min"], n["kcal"]) for n in got["sleep"])
    assert nights == [("2024-01-02", 485.0, None), ("2024-01-04", 480.0, None)]
    # Sleep is not exercise: no energy is estimated for it.
    assert all(n["kcal_estimated"] is False for n in got["sleep"])
    r = await upload(client, user, "google_fit", data)
    assert (r.json()["imported"], r.json()["skipped"]) == (0, 2)
    assert len(await listed(client, user)) == 2


async def test_garmin_fit_files(client, user):
    start = dt.datetime(2024, 3, 10, 2, 0, tzinfo=dt.UTC)  # 21:00 on 9 March at UTC-5
    data = fit_file(start)
    r = await upload(client, user, "garmin_fit", data, "ride.fit")
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 1
    (ride,) = await listed(client, user)
    assert (ride["activity_type"], ride["date"], ride["duration_min"]) == (
        "cycling",
        "2024-03-09",
        45.0,
    )
    assert (ride["distance_km"], ride["kcal"], ride["source"]) == (20.5, 610.0, "garmin_fit")
    # A zip of FIT files: the ride again (skipped) and a run.
    run = fit_file(start + dt.timedelta(days=1), sport="running", local_offset_h=0)
    r = await upload(client, user, "garmin_fit", make_zip({"a.fit": data, "b/c.FIT": run}))
    assert r.json() == {
        "provider": "garmin_fit",
        "total": 2,
        "imported": 1,
        "updated": 0,
        "skipped": 1,
    }


async def test_corrupt_fit_and_exports_are_422(client, user):
    data = bytearray(fit_file(dt.datetime(2024, 3, 10, tzinfo=dt.UTC)))
    data[20] ^= 0xFF  # breaks the CRC
    body = assert_problem(await upload(client, user, "garmin_fit", bytes(data)), 422)
    assert "CRC" in body["detail"]
    assert_problem(await upload(client, user, "fitbit", b"not a zip"), 422, "invalid-import-file")
    bad = make_zip({"x/exercise-0.json": "{not json"})
    body = assert_problem(await upload(client, user, "fitbit", bad), 422)
    assert "exercise-0.json" in body["detail"]
    bad = make_zip({"Fit/All Sessions/s.json": json.dumps({"startTime": "2024-01-01T00:00Z"})})
    assert_problem(await upload(client, user, "google_fit", bad), 422)
    assert await listed(client, user) == []


async def test_zip_bombs_are_refused_from_their_declared_sizes(client, user):
    # 5 MB of zeros deflate ~1000-fold: refused from the declared sizes, before inflating.
    bomb = make_zip({"MyFitbitData/Jane/Physical Activity/steps-2024-01-01.json": b"0" * 5_000_000})
    body = assert_problem(await upload(client, user, "fitbit", bomb), 413, "import-too-large")
    assert "zip bomb" in body["detail"]
    assert await listed(client, user) == []


@pytest.mark.parametrize(
    ("provider", "member"),
    [
        ("google_fit", "Takeout/Fit/Daily activity metrics/Daily activity metrics.csv"),
        ("google_fit", "Takeout/Fit/All Sessions/2024-01-01T07_00_00+01_00_RUNNING.json"),
        ("garmin_fit", "activities/ride.fit"),
    ],
)
async def test_takeout_and_garmin_zip_bombs_are_refused(client, user, provider, member):
    """The three tracker importers share the bounded archive reader: a member that inflates
    ~1000-fold is refused from its declared size, and nothing is stored."""
    bomb = make_zip({member: b"0" * 5_000_000})
    body = assert_problem(await upload(client, user, provider, bomb), 413, "import-too-large")
    assert "zip bomb" in body["detail"]
    assert await listed(client, user) == []


def test_a_zip_lying_about_its_sizes_stops_at_the_limit():
    data = bytearray(make_zip({"a.json": b"1" * 100_000}))
    # Rewrite the declared uncompressed size (local header and central directory) to 100 bytes.
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(sig)
        data[at + offset : at + offset + 4] = (100).to_bytes(4, "little")
    # zipfile inflates no more than the declared size, and then the CRC does not match.
    with pytest.raises(ArchiveInvalid, match="Bad CRC-32"):
        list(zip_members(bytes(data), lambda n: True, ZipLimits(max_ratio=1e9)))
    limits = ZipLimits(max_members=1)
    with pytest.raises(ArchiveTooLarge):
        list(zip_members(make_zip({"a": b"1", "b": b"2"}), lambda n: True, limits))
