"""The packaged Free Exercise DB: immutable records read once from ``data/exercises.json.gz``.

The file is produced by ``scripts/build_exercises.py``; this module only reads it. The fixed
vocabularies (muscles, equipment, levels ...) are the ones the source uses, so filters and
user-made exercises speak the same words as the catalogue.
"""

from __future__ import annotations

import functools
import gzip
import json
import uuid
from dataclasses import dataclass
from importlib import resources
from typing import Literal, get_args

# Fixed forever: exercise ids derived from it are stored in workout logs and programs.
EXERCISE_NAMESPACE = uuid.UUID("65083f02-8df5-5fdb-b667-aaeab2a32089")
DATA_FILE = "exercises.json.gz"

Muscle = Literal[
    "abdominals",
    "abductors",
    "adductors",
    "biceps",
    "calves",
    "chest",
    "forearms",
    "glutes",
    "hamstrings",
    "lats",
    "lower back",
    "middle back",
    "neck",
    "quadriceps",
    "shoulders",
    "traps",
    "triceps",
]
Equipment = Literal[
    "bands",
    "barbell",
    "body only",
    "cable",
    "dumbbell",
    "e-z curl bar",
    "exercise ball",
    "foam roll",
    "kettlebells",
    "machine",
    "medicine ball",
    "other",
]
Level = Literal["beginner", "intermediate", "expert"]
Category = Literal[
    "cardio",
    "olympic weightlifting",
    "plyometrics",
    "powerlifting",
    "stretching",
    "strength",
    "strongman",
]
Force = Literal["pull", "push", "static"]
Mechanic = Literal["compound", "isolation"]

MUSCLES: tuple[str, ...] = get_args(Muscle)
EQUIPMENT: tuple[str, ...] = get_args(Equipment)


def exercise_uuid(source_id: str) -> uuid.UUID:
    return uuid.uuid5(EXERCISE_NAMESPACE, source_id)


@dataclass(frozen=True, slots=True)
class ExerciseRecord:
    id: uuid.UUID
    slug: str
    name: str
    force: str | None
    level: str | None
    mechanic: str | None
    equipment: str | None
    category: str | None
    primary_muscles: tuple[str, ...]
    secondary_muscles: tuple[str, ...]
    instructions: tuple[str, ...]


@functools.cache
def load_exercises() -> tuple[ExerciseRecord, ...]:
    raw = resources.files("app.training").joinpath("data", DATA_FILE).read_bytes()
    data = json.loads(gzip.decompress(raw))
    idx = {name: i for i, name in enumerate(data["fields"])}
    out = []
    for row in data["exercises"]:
        slug = row[idx["id"]]
        out.append(
            ExerciseRecord(
                id=exercise_uuid(slug),
                slug=slug,
                name=row[idx["name"]],
                force=row[idx["force"]],
                level=row[idx["level"]],
                mechanic=row[idx["mechanic"]],
                equipment=row[idx["equipment"]],
                category=row[idx["category"]],
                primary_muscles=tuple(row[idx["primaryMuscles"]] or ()),
                # A muscle listed as both counts once, as primary.
                secondary_muscles=tuple(
                    m
                    for m in row[idx["secondaryMuscles"]] or ()
                    if m not in (row[idx["primaryMuscles"]] or ())
                ),
                instructions=tuple(row[idx["instructions"]] or ()),
            )
        )
    return tuple(out)
