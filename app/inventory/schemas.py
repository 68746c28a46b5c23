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

    food_id: uuid.UUID = Field(
        description="A USDA, shared or imported food (not retired) or one of your custom foods"
    )
    grams: Grams
    expires_on: ExpiresOn | None = None


class InventoryPatch(BaseModel):
    """Only the fields sent change; `expires_on: null` clears the date; `grams: 0` marks the
    item used up (it stays listed, for the shopping list)."""

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
    ingredient: str = Field(
        description="Ingredient key: foods with the same key are the same ingredient in another "
        "preparation or salt level (inventory, recipes and the shopping list compare by it)"
    )
    grams: float
    used_up: bool = Field(description="At zero grams; kept for the shopping list")
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
    confirm: bool = Field(
        default=True,
        description="Store at once (default); false only previews the lines (status "
        "`pending`), to store with POST /inventory/receipt/{receipt_id}/confirm",
    )


class ReceiptConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"lines": [0, 2]}]})

    lines: list[Annotated[int, Field(ge=0, le=10_000)]] | None = Field(
        default=None,
        max_length=1000,
        description="Indices of the matched lines to store; all matched lines when omitted",
    )
    expires_on: ExpiresOn | None = None


class ReceiptLineOut(BaseModel):
    line: str
    item: InventoryOut


class ReceiptMatchOut(BaseModel):
    index: int = Field(description="Number of the line, for `confirm`")
    line: str
    status: str = Field(
        description="matched (stored on confirm), uncertain (low confidence: stored only when "
        "picked in `lines` on confirm) or unrecognised"
    )
    food_id: uuid.UUID | None = None
    food: str | None = Field(default=None, description="The food, in the form shops sell it")
    ingredient: str | None = None
    matched_as: str | None = Field(default=None, description="The food the text matched")
    grams: float | None = None
    confidence: float = Field(description="The food parser's confidence, 0-1")


class ReceiptOut(BaseModel):
    receipt_id: uuid.UUID
    status: str = Field(description="pending (previewed, nothing stored) or stored")
    read_by: str = Field(description="text, tesseract (OCR) or llm (vision)")
    text: str = Field(description="The text read (from an image: the OCR output)")
    lines: list[ReceiptMatchOut]
    added: list[ReceiptLineOut]
    unrecognised: list[str] = Field(description="Lines no food could be read from; not added")


class LedgerEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_id: uuid.UUID | None = Field(description="Null once the item was deleted")
    food_id: uuid.UUID | None
    food: str
    ingredient: str
    delta_g: float = Field(description="Grams added (positive) or taken (negative)")
    grams_after: float
    reason: str = Field(
        description="added, corrected, removed (manual); bought (receipt); "
        "log, log-edited, log-deleted (a food log took or gave back)"
    )
    source: str = Field(description="manual, receipt or log")
    source_id: uuid.UUID | None = Field(description="The receipt or log entry")
    created_at: dt.datetime


class LedgerPage(BaseModel):
    items: list[LedgerEntryOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None
