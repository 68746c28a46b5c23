"""Activity importers for files users export themselves.

Each importer turns a file's bytes into `ImportedActivity` rows with a stable `external_id`,
so importing the same (or a newer, overlapping) export again can upsert instead of duplicating.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol, runtime_checkable
from xml.etree import ElementTree as ET
from xml.parsers import expat

from app.core.archive import ArchiveError, ArchiveTooLarge, SafeZip

DAILY_STEPS = "daily_steps"


class ImportFormatError(ValueError):
    """The file is not a readable export of the expected kind; the message is user-facing."""


class ImportTooLargeError(ImportFormatError):
    """The file expands beyond what an import may decompress (a zip bomb); answer 413."""


@dataclass(frozen=True)
class ImportedActivity:
    """One workout, or one day's step count (`activity_type == "daily_steps"`, duration 0).

    `started_at` is aware UTC; `date` is the local date as written in the file (the user's
    day, not the UTC day). `kcal` is what the device reported (Apple: active energy, i.e. net
    of resting energy) and None when it reported nothing.
    """

    started_at: dt.datetime
    date: dt.date
    activity_type: str
    duration_min: float
    distance_km: float | None
    kcal: float | None
    steps: int | None
    source: str
    external_id: str


@dataclass(frozen=True)
class SyncedDays:
    """What a live-sync provider answered: the rows, and the (date, kind) pairs it answered
    in full, kind being "sleep" or "activity" (everything else). For those pairs the answer
    is the whole truth at the source: a stored row of that source, date and kind that is not
    among `items` was revised away there (an edited night logged again under a new id, a
    deleted exercise) and goes, so a revision never leaves two versions counted."""

    items: list[ImportedActivity]
    complete: frozenset[tuple[dt.date, str]] = frozenset()


@runtime_checkable
class ActivityImporter(Protocol):
    name: str

    def parse(self, data: bytes) -> list[ImportedActivity]: ...


def external_id(source: str, *parts: str) -> str:
    return hashlib.sha256("|".join((source, *parts)).encode()).hexdigest()[:32]


# --- safe streaming XML -----------------------------------------------------------------------

_CHUNK = 64 * 1024
# Apple's internal DTD is ~10 KB; a prolog this large is not an honest export.
_MAX_PROLOG_BYTES = 1024 * 1024


class _RootReached(Exception):
    pass


def check_xml_prolog(stream: IO[bytes]) -> None:
    """Reject entity declarations and external DTDs before the real parse.

    Apple Health exports start with an internal DTD (`<!DOCTYPE HealthData [ <!ELEMENT ...>
    <!ATTLIST ...> ]>`), so refusing every DOCTYPE would refuse every real export. The dangerous
    parts are entity declarations (billion laughs, quadratic blowup) and external DTDs/entities
    (file or network access), and those are refused: the same policy as defusedxml's defaults
    (forbid_entities, forbid_external, allow DTD). A DOCTYPE can only precede the root element,
    so parsing the prolog with expat (which handles any declared encoding) is enough.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(name: str, sysid: str | None, pubid: str | None, internal: int) -> None:
        if sysid or pubid:
            raise ImportFormatError("external DTDs are not allowed in an import file")

    def entity(*_: Any) -> None:
        raise ImportFormatError("XML entity declarations are not allowed in an import file")

    def external_ref(*_: Any) -> int:
        raise ImportFormatError("external XML entities are not allowed in an import file")

    def start(*_: Any) -> None:
        raise _RootReached

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external_ref
    parser.StartElementHandler = start
    read = 0
    try:
        while chunk := stream.read(_CHUNK):
            read += len(chunk)
            parser.Parse(chunk, False)
            if read > _MAX_PROLOG_BYTES:
                raise ImportFormatError("the XML prolog (before the first element) is too large")
        parser.Parse(b"", True)
    except _RootReached:
        return
    except expat.ExpatError as exc:
        raise ImportFormatError(f"not a valid XML file: {exc}") from exc
    raise ImportFormatError("the file contains no XML elements")


def _iter_top_level(stream: IO[bytes], root_tag: str) -> Iterator[ET.Element]:
    """Yield each complete child of the root, then free it, so memory stays flat however
    large the export is (Apple exports reach gigabytes). Only for streams that passed
    `check_xml_prolog`."""
    depth = 0
    root: ET.Element | None = None
    try:
        # Safe here: check_xml_prolog has already refused entities and external DTDs.
        for event, elem in ET.iterparse(stream, events=("start", "end")):  # noqa: S314
            if event == "start":
                if root is None:
                    root = elem
                    if elem.tag != root_tag:
                        raise ImportFormatError(
                            f"expected a <{root_tag}> document, found <{elem.tag}>"
                        )
                depth += 1
                continue
            depth -= 1
            if depth == 1 and root is not None:
                yield elem
                root.clear()
    except ET.ParseError as exc:
        raise ImportFormatError(f"not a valid XML file: {exc}") from exc


# --- Apple Health ---------------------------------------------------------------------------

APPLE_WORKOUT_TYPES: dict[str, str] = {
    "Running": "running",
    "Walking": "walking",
    "Cycling": "cycling",
    "HandCycling": "cycling",
    "Swimming": "swimming",
    "TraditionalStrengthTraining": "strength_training",
    "FunctionalStrengthTraining": "strength_training",
    "CoreTraining": "strength_training",
    "Yoga": "yoga",
    "Pilates": "pilates",
    "Hiking": "hiking",
    "Rowing": "rowing",
    "Elliptical": "elliptical",
    "HighIntensityIntervalTraining": "hiit",
    "MixedCardio": "hiit",
    "CrossTraining": "hiit",
    "Dance": "dancing",
    "SocialDance": "dancing",
    "CardioDance": "dancing",
    "DanceInspiredTraining": "dancing",
    "StairClimbing": "stair_climbing",
    "Stairs": "stair_climbing",
    "JumpRope": "jump_rope",
    "Tennis": "tennis",
    "Basketball": "basketball",
    "Soccer": "soccer",
    "DownhillSkiing": "skiing",
    "Snowboarding": "skiing",
    "CrossCountrySkiing": "cross_country_skiing",
    "Golf": "golf",
    "Climbing": "climbing",
    "Boxing": "boxing",
    "Kickboxing": "boxing",
    "MartialArts": "martial_arts",
}
_APPLE_TYPE_PREFIX = "HKWorkoutActivityType"
_STEP_TYPE = "HKQuantityTypeIdentifierStepCount"
_ENERGY_STAT = "HKQuantityTypeIdentifierActiveEnergyBurned"
_DISTANCE_STAT_PREFIX = "HKQuantityTypeIdentifierDistance"

MINUTES_PER_UNIT = {"min": 1.0, "s": 1 / 60, "sec": 1 / 60, "h": 60.0, "hr": 60.0}
KM_PER_UNIT = {"km": 1.0, "m": 0.001, "mi": 1.609344, "yd": 0.0009144, "ft": 0.0003048}
# "Cal" is the food Calorie (= kcal); HealthKit's lower-case "cal" is the small calorie.
KCAL_PER_UNIT = {"kcal": 1.0, "Cal": 1.0, "cal": 0.001, "kJ": 1 / 4.184, "J": 1 / 4184}


def apple_activity_type(hk_type: str) -> str:
    """MET activity type for an HKWorkoutActivityType; unmapped types become "other"."""
    return APPLE_WORKOUT_TYPES.get(hk_type.removeprefix(_APPLE_TYPE_PREFIX), "other")


def _number(raw: str | None, what: str) -> float | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ImportFormatError(f"{what} {raw!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ImportFormatError(f"{what} {raw!r} is not a valid amount")
    return value


def _convert(
    value: float | None, unit: str | None, table: dict[str, float], what: str
) -> float | None:
    if value is None:
        return None
    factor = table.get(unit or "")
    if factor is None:
        raise ImportFormatError(f"unsupported {what} unit {unit!r} (known: {', '.join(table)})")
    return value * factor


def _timestamp(raw: str | None, what: str) -> dt.datetime:
    """Apple writes local time with its UTC offset, e.g. "2024-01-02 07:00:00 +0100"."""
    if not raw:
        raise ImportFormatError(f"{what} has no startDate")
    try:
        return dt.datetime.strptime(raw.strip(), "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        raise ImportFormatError(f"{what} has an unreadable startDate {raw!r}") from None


def _export_opener(data: bytes) -> Callable[[], IO[bytes]]:
    """A function returning a fresh stream of the export XML on each call (the prolog check
    and the parse each start at 0). Accepts export.xml itself or the export.zip Health
    writes; the zip member is decompressed as it is parsed, never held whole in memory, and
    within `archive.ZipLimits` (size and ratio, checked before and while it is read)."""
    if data[:4] != b"PK\x03\x04":
        return lambda: io.BytesIO(data)
    archive = SafeZip(data)
    names = [n for n in archive.names() if n.rsplit("/", 1)[-1] == "export.xml"]
    if not names:
        raise ImportFormatError("the zip file contains no export.xml")
    member = min(names, key=len)
    return lambda: archive.open(member)


class AppleHealthImporter:
    """Apple Health "Export All Health Data" (export.zip or the export.xml inside it).

    - Workouts: `<Workout>` with `duration`/`durationUnit`, `totalDistance`/`totalDistanceUnit`
      and `totalEnergyBurned`/`totalEnergyBurnedUnit`; newer iOS versions leave the totals out
      and write `<WorkoutStatistics>` children instead, used as a fallback.
    - Steps: `<Record type="HKQuantityTypeIdentifierStepCount">` summed per local day and per
      `sourceName`, then the largest source total is taken. iPhone and Apple Watch both count
      the same steps, so summing across sources would roughly double them; Health itself
      de-duplicates by source priority, which the max approximates.
    - external_id: hash of the HealthKit type and UTC start for workouts, of the local date for
      step days, so re-importing a newer export updates the same rows.
    """

    name = "apple_health"

    def parse(self, data: bytes) -> list[ImportedActivity]:
        try:
            return self._parse(data)
        except ArchiveTooLarge as exc:
            raise ImportTooLargeError(str(exc)) from exc
        except ArchiveError as exc:
            raise ImportFormatError(str(exc)) from exc

    def _parse(self, data: bytes) -> list[ImportedActivity]:
        if not data.strip():
            raise ImportFormatError("the file is empty")
        open_export = _export_opener(data)
        with open_export() as stream:
            check_xml_prolog(stream)
        workouts: list[ImportedActivity] = []
        steps: dict[dt.date, dict[str, float]] = {}
        day_start: dict[dt.date, dt.datetime] = {}
        with open_export() as stream:
            for elem in _iter_top_level(stream, "HealthData"):
                if elem.tag == "Workout":
                    workouts.append(self._workout(elem))
                elif elem.tag == "Record" and elem.get("type") == _STEP_TYPE:
                    start = _timestamp(elem.get("startDate"), "a step record")
                    count = _number(elem.get("value"), "step count") or 0.0
                    day = start.date()
                    per_source = steps.setdefault(day, {})
                    source = elem.get("sourceName", "")
                    per_source[source] = per_source.get(source, 0.0) + count
                    if day not in day_start:
                        day_start[day] = start.replace(hour=0, minute=0, second=0)
        days = [
            ImportedActivity(
                started_at=day_start[day].astimezone(dt.UTC),
                date=day,
                activity_type=DAILY_STEPS,
                duration_min=0.0,
                distance_km=None,
                kcal=None,
                steps=round(max(steps[day].values())),
                source=self.name,
                external_id=external_id(self.name, DAILY_STEPS, day.isoformat()),
            )
            for day in sorted(steps)
        ]
        return workouts + days

    def _workout(self, elem: ET.Element) -> ImportedActivity:
        hk_type = elem.get("workoutActivityType", "")
        if not hk_type:
            raise ImportFormatError("a <Workout> has no workoutActivityType")
        start = _timestamp(elem.get("startDate"), f"the {hk_type} workout")
        what = f"the {hk_type} workout at {elem.get('startDate')}"
        duration = _convert(
            _number(elem.get("duration"), f"duration of {what}"),
            elem.get("durationUnit", "min"),
            MINUTES_PER_UNIT,
            "duration",
        )
        if duration is None:
            raise ImportFormatError(f"{what} has no duration")
        distance = _convert(
            _number(elem.get("totalDistance"), f"distance of {what}"),
            elem.get("totalDistanceUnit"),
            KM_PER_UNIT,
            "distance",
        )
        kcal = _convert(
            _number(elem.get("totalEnergyBurned"), f"energy of {what}"),
            elem.get("totalEnergyBurnedUnit"),
            KCAL_PER_UNIT,
            "energy",
        )
        for stat in elem.iter("WorkoutStatistics"):
            stat_type = stat.get("type", "")
            if kcal is None and stat_type == _ENERGY_STAT:
                kcal = _convert(
                    _number(stat.get("sum"), f"energy of {what}"),
                    stat.get("unit"),
                    KCAL_PER_UNIT,
                    "energy",
                )
            elif distance is None and stat_type.startswith(_DISTANCE_STAT_PREFIX):
                distance = _convert(
                    _number(stat.get("sum"), f"distance of {what}"),
                    stat.get("unit"),
                    KM_PER_UNIT,
                    "distance",
                )
        started_at = start.astimezone(dt.UTC)
        return ImportedActivity(
            started_at=started_at,
            date=start.date(),
            activity_type=apple_activity_type(hk_type),
            duration_min=round(duration, 2),
            distance_km=None if distance is None else round(distance, 3),
            kcal=None if kcal is None else round(kcal, 1),
            steps=None,
            source=self.name,
            external_id=external_id(self.name, hk_type, started_at.isoformat()),
        )


IMPORTERS: dict[str, ActivityImporter] = {AppleHealthImporter.name: AppleHealthImporter()}
