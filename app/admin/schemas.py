from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.foods.schemas import FoodOut
from app.plans.schemas import Nutrients


class AdminUserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None
    phone: str | None
    role: Literal["user", "admin"]
    is_active: bool
    timezone: str
    created_at: dt.datetime


class UserPage(BaseModel):
    items: list[AdminUserOut]
    total: int = Field(description="Users matching the search, over all pages")
    limit: int
    offset: int


class RoleIn(BaseModel):
    role: Literal["user", "admin"]

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "admin"}]})


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    actor_id: uuid.UUID | None
    actor_label: str
    action: str
    target_type: str
    target_id: str | None
    detail: dict[str, Any]
    created_at: dt.datetime


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int
    limit: int
    offset: int


class RecipeFeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    recipe_id: uuid.UUID
    name: str | None = Field(
        description="Library and shared recipes only; users' own recipes stay private"
    )
    source: Literal["library", "shared", "custom", "deleted"]
    ratings: int
    average: float
    low: int = Field(description="Ratings of 1 or 2 (the planner stops offering it to them)")
    high: int = Field(description="Ratings of 4 or 5")
    users: int
    last_at: dt.datetime


class FeedbackPage(BaseModel):
    items: list[RecipeFeedbackOut]
    total: int
    limit: int
    offset: int


CatalogStatus = Literal["active", "retired", "all"]


class SharedFoodPage(BaseModel):
    items: list[FoodOut]
    total: int = Field(description="Shared foods matching, over all pages")
    limit: int
    offset: int


class CatalogRecipeOut(BaseModel):
    """A packaged or shared recipe as operators manage it."""

    id: uuid.UUID
    name: str
    source: Literal["packaged", "shared"]
    meal_types: list[str]
    cuisine: str | None
    servings: int
    prep_minutes: int
    tags: list[str] = Field(description="Diet and macro tags, derived from the ingredients")
    allergens: list[str]
    per_serving: Nutrients
    created_at: dt.datetime | None = Field(description="Shared recipes only")
    updated_at: dt.datetime | None = Field(description="Shared recipes only")
    retired_at: dt.datetime | None = Field(
        description="When it was withdrawn from planning; null while offered"
    )


class CatalogRecipePage(BaseModel):
    items: list[CatalogRecipeOut]
    total: int = Field(description="Recipes matching, over all pages")
    limit: int
    offset: int
