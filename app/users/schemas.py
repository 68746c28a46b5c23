from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def validate_timezone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {v!r}") from exc
    return v


TimeZoneName = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["Europe/Berlin"]),
    AfterValidator(validate_timezone),
]


class UserPatch(BaseModel):
    timezone: TimeZoneName | None = None

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"timezone": "America/New_York"}]}
    )
