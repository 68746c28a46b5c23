import datetime as dt
import io
import time
import zipfile

import pytest

from app.activities.importers import (
    DAILY_STEPS,
    IMPORTERS,
    ActivityImporter,
    AppleHealthImporter,
    ImportedActivity,
    ImportFormatError,
)
from app.activities.met import MET_TABLE

# The internal DTD real exports carry (shortened): declarations only, no entities.
APPLE_DTD = """<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 13 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
>
]>"""

EXPORT = f"""<?xml version="1.0" encoding="UTF-8"?>
{APPLE_DTD}
<HealthData locale="en_GB">
 <ExportDate value="2024-01-10 20:00:00 +0100"/>
 <Me HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" unit="count"
  startDate="2024-01-02 08:00:00 +0100" endDate="2024-01-02 08:10:00 +0100" value="1000"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" unit="count"
  startDate="2024-01-02 18:00:00 +0100" endDate="2024-01-02 18:10:00 +0100" value="2500"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Watch" unit="count"
  startDate="2024-01-02 08:00:00 +0100" endDate="2024-01-02 08:10:00 +0100" value="3200">
  <MetadataEntry key="HKWasUserEntered" value="0"/>
 </Record>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" unit="count"
  startDate="2024-01-03 00:30:00 +0100" endDate="2024-01-03 00:40:00 +0100" value="50"/>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" unit="count/min"
  startDate="2024-01-02 08:00:00 +0100" endDate="2024-01-02 08:00:00 +0100" value="70"/>
 <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30.5" durationUnit="min"
  totalDistance="5.2" totalDistanceUnit="km" totalEnergyBurned="320" totalEnergyBurnedUnit="kcal"
  sourceName="Watch" startDate="2024-01-02 07:00:00 +0100" endDate="2024-01-02 07:30:30 +0100">
  <MetadataEntry key="HKIndoorWorkout" value="0"/>
  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="2024-01-02 07:10:00 +0100"/>
 </Workout>
 <Workout workoutActivityType="HKWorkoutActivityTypeWalking" duration="3600" durationUnit="s"
  totalDistance="2.5" totalDistanceUnit="mi" totalEnergyBurned="836.8" totalEnergyBurnedUnit="kJ"
  startDate="2024-01-02 23:30:00 -0800" endDate="2024-01-03 00:30:00 -0800"/>
 <Workout workoutActivityType="HKWorkoutActivityTypeCycling" duration="1.5" durationUnit="hr"
  startDate="2024-01-04 10:00:00 +0000" endDate="2024-01-04 11:30:00 +0000">
  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" sum="600" unit="Cal"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceCycling" sum="40" unit="km"/>
 </Workout>
 <Workout workoutActivityType="HKWorkoutActivityTypeFishing" duration="45" durationUnit="min"
  startDate="2024-01-05 06:00:00 +0000" endDate="2024-01-05 06:45:00 +0000"/>
</HealthData>
"""


def parse(xml: str) -> list[ImportedActivity]:
    return AppleHealthImporter().parse(xml.encode())


def workouts(items: list[ImportedActivity]) -> list[ImportedActivity]:
    return [a for a in items if a.activity_type != DAILY_STEPS]


def test_registry() -> None:
    importer = IMPORTERS["apple_health"]
    assert importer.name == "apple_health"
    assert isinstance(importer, ActivityImporter)


def test_running_workout_in_km_and_kcal() -> None:
    run = workouts(parse(EXPORT))[0]
    assert run.activity_type == "running"
    assert run.started_at == dt.datetime(2024, 1, 2, 6, 0, tzinfo=dt.UTC)
    assert run.started_at.utcoffset() == dt.timedelta(0)
    assert run.date == dt.date(2024, 1, 2)
    assert run.duration_min == 30.5
    assert run.distance_km == 5.2
    assert run.kcal == 320
    assert run.steps is None
    assert run.source == "apple_health"


def test_mile_distance_kilojoules_and_seconds_are_converted() -> None:
    walk = workouts(parse(EXPORT))[1]
    assert walk.activity_type == "walking"
    assert walk.duration_min == 60
    assert walk.distance_km == pytest.approx(4.023, abs=0.001)  # 2.5 mi
    assert walk.kcal == pytest.approx(200.0)  # 836.8 kJ / 4.184
    # Local date as written (2 Jan in California), although it is 3 Jan in UTC.
    assert walk.date == dt.date(2024, 1, 2)
    assert walk.started_at == dt.datetime(2024, 1, 3, 7, 30, tzinfo=dt.UTC)


def test_hours_and_workout_statistics_fallback() -> None:
    ride = workouts(parse(EXPORT))[2]
    assert ride.activity_type == "cycling"
    assert ride.duration_min == 90
    assert ride.kcal == 600
    assert ride.distance_km == 40


def test_unmapped_workout_types_become_other_and_all_types_are_met_types() -> None:
    items = workouts(parse(EXPORT))
    assert items[3].activity_type == "other"
    assert items[3].distance_km is None
    assert items[3].kcal is None
    assert {a.activity_type for a in items} <= set(MET_TABLE)


def test_daily_steps_take_the_largest_source_per_local_day() -> None:
    days = [a for a in parse(EXPORT) if a.activity_type == DAILY_STEPS]
    assert [(d.date, d.steps) for d in days] == [
        (dt.date(2024, 1, 2), 3500),  # Phone 1000 + 2500 beats Watch 3200; not 6700
        (dt.date(2024, 1, 3), 50),
    ]
    assert days[0].duration_min == 0
    assert days[0].started_at == dt.datetime(2024, 1, 1, 23, 0, tzinfo=dt.UTC)


def test_reimport_gives_the_same_external_ids() -> None:
    first = parse(EXPORT)
    again = parse(EXPORT)
    assert [a.external_id for a in first] == [a.external_id for a in again]
    assert len({a.external_id for a in first}) == len(first)
    # A later export with one more workout keeps the existing ids.
    extra = EXPORT.replace(
        "</HealthData>",
        '<Workout workoutActivityType="HKWorkoutActivityTypeYoga" duration="20" '
        'durationUnit="min" startDate="2024-01-09 07:00:00 +0100"/></HealthData>',
    )
    ids = {a.external_id for a in parse(extra)}
    assert {a.external_id for a in first} < ids


def test_zip_export_is_accepted() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/export_cda.xml", "<ClinicalDocument/>")
        zf.writestr("apple_health_export/export.xml", EXPORT)
    assert AppleHealthImporter().parse(buf.getvalue()) == parse(EXPORT)


def test_doctype_with_entities_is_rejected() -> None:
    bomb = """<?xml version="1.0"?>
<!DOCTYPE HealthData [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<HealthData><Record type="&c;"/></HealthData>"""
    with pytest.raises(ImportFormatError, match="entity declarations"):
        parse(bomb)


def test_external_dtd_and_external_entities_are_rejected() -> None:
    with pytest.raises(ImportFormatError, match="external DTD"):
        parse('<?xml version="1.0"?><!DOCTYPE HealthData SYSTEM "file:///etc/passwd"><HealthData/>')
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE HealthData [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<HealthData>&x;</HealthData>"
    )
    with pytest.raises(ImportFormatError):
        parse(xxe)
    param = (
        '<?xml version="1.0"?><!DOCTYPE HealthData [<!ENTITY % p SYSTEM "http://x/y.dtd"> %p;]>'
        "<HealthData/>"
    )
    with pytest.raises(ImportFormatError):
        parse(param)


def test_entities_rejected_in_other_encodings() -> None:
    bomb = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<!DOCTYPE HealthData [<!ENTITY a "x">]><HealthData>&a;</HealthData>'
    )
    with pytest.raises(ImportFormatError, match="entity declarations"):
        AppleHealthImporter().parse(bomb.encode("utf-16"))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "empty"),
        (b"this is not xml", "not a valid XML"),
        (b"<HealthData><Workout></HealthData>", "not a valid XML"),
        (b"<gpx></gpx>", "expected a <HealthData>"),
        (b"PK\x03\x04garbage", "zip"),
    ],
)
def test_bad_files(data: bytes, match: str) -> None:
    with pytest.raises(ImportFormatError, match=match):
        AppleHealthImporter().parse(data)


def test_bad_values_are_reported() -> None:
    def one(attrs: str) -> str:
        running = 'workoutActivityType="HKWorkoutActivityTypeRunning"'
        return f"<HealthData><Workout {running} {attrs}/></HealthData>"

    ok = 'startDate="2024-01-02 07:00:00 +0100"'
    with pytest.raises(ImportFormatError, match="unsupported distance unit"):
        parse(one(f'{ok} duration="10" totalDistance="3" totalDistanceUnit="furlong"'))
    with pytest.raises(ImportFormatError, match="not a number"):
        parse(one(f'{ok} duration="ten"'))
    with pytest.raises(ImportFormatError, match="no duration"):
        parse(one(ok))
    with pytest.raises(ImportFormatError, match="startDate"):
        parse(one('duration="10" startDate="yesterday"'))


def test_empty_export_gives_no_activities() -> None:
    assert parse('<?xml version="1.0"?><HealthData locale="en_US"/>') == []


def test_large_export_streams() -> None:
    record = (
        '<Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" value="10" '
        'startDate="2024-01-{d:02d} 08:00:00 +0000"/>\n'
    )
    body = "".join(record.format(d=1 + i % 28) for i in range(50_000))
    started = time.perf_counter()
    items = parse(f"<HealthData>{body}</HealthData>")
    assert len(items) == 28
    assert sum(a.steps or 0 for a in items) == 500_000
    assert time.perf_counter() - started < 10
