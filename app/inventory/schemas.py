from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.contract import NON_BLANK_PATTERN, UserDate, omittable

# One item is at most a bulk bag or a case of something (50 kg).
Grams = Annotated[float, Field(gt=0, le=50_000)]
# The API's one date range (issue 14): a bound of its own here was invisible in the schema.
ExpiresOn = UserDate


class InventoryIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "food_id": "1c3b2499-2809-5cf0-b97e-cd71f160abd9",
                    "grams": 500,
                    "expires_on": "2024-05-08",
                }
            ]
        },
    )

    food_id: uuid.UUID = Field(description="A USDA food or one of your custom foods")
    grams: Grams
    expires_on: ExpiresOn | None = None


class InventoryPatch(BaseModel):
    """Only the fields sent change; `expires_on: null` clears the date."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"grams": 250}, {"expires_on": None}]}
    )

    # Optional but not nullable: the schema says so, and null fails validation (issue 14).
    grams: Grams = omittable()
    expires_on: ExpiresOn | None = None


class InventoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    food_id: uuid.UUID
    food: str = Field(description="The food's name")
    grams: float
    expires_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class InventoryPage(BaseModel):
    items: list[InventoryOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page, or null on the last")


class ReceiptIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"text": "2 lb chicken breast\n1 gallon milk\n6 bananas\nspinach 300 g"},
            ]
        },
    )

    text: str = Field(
        min_length=1,
        max_length=10_000,
        pattern=NON_BLANK_PATTERN,
        description="One item per line; prices are ignored",
    )
    expires_on: ExpiresOn | None = Field(
        default=None, description="Expiry date given to every item added"
    )


class ReceiptLineOut(BaseModel):
    line: str
    item: InventoryOut


class ReceiptOut(BaseModel):
    added: list[ReceiptLineOut]
    unrecognised: list[str] = Field(description="Lines no food could be read from; not added")
