from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.core.contract import NON_BLANK_PATTERN
from app.logs.schemas import LogOut, MealType

RecipeTag = Literal[
    "vegetarian",
    "vegan",
    "pescatarian",
    "gluten-free",
    "dairy-free",
    "nut-free",
    "egg-free",
    "soy-free",
    "high-protein",
    "low-carb",
    "keto",
]

# --- recipes ---------------------------------------------------------------------------------

RecipeSource = Literal["packaged", "shared", "custom"]


class Nutrients(BaseModel):
    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float
    fiber_g: float
    sugars_g: float
    sat_fat_g: float
    sodium_mg: float


class RecipeSummary(BaseModel):
    id: uuid.UUID
    name: str
    custom: bool = Field(description="One of your private recipes")
    source: RecipeSource = Field(
        description="packaged (the built-in library), shared (added by the operators) or "
        "custom (yours)"
    )
    meal_types: list[str]
    cuisine: str | None
    servings: int
    prep_minutes: int
    tags: list[str] = Field(description="Diet and macro tags, derived from the ingredients")
    per_serving: Nutrients


class IngredientOut(BaseModel):
    food_id: uuid.UUID
    food: str = Field(description="The food's name")
    grams: float = Field(description="For the whole recipe")
    grams_per_serving: float
    note: str | None = None


class RecipeOut(RecipeSummary):
    allergens: list[str]
    ingredients: list[IngredientOut]
    steps: list[str]
    created_at: dt.datetime | None = Field(default=None, description="Custom and shared recipes")
    updated_at: dt.datetime | None = Field(default=None, description="Custom and shared recipes")
    retired_at: dt.datetime | None = Field(
        default=None,
        description="Set when the operators withdrew the recipe: stored plans still link to "
        "it, the planner no longer offers it",
    )


class RecipePage(BaseModel):
    items: list[RecipeSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page, or null on the last")


Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=120, pattern=NON_BLANK_PATTERN
    ),
]
Step = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=500, pattern=NON_BLANK_PATTERN
    ),
]
Cuisine = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=NON_BLANK_PATTERN
    ),
]
MAX_INGREDIENTS = 50


class IngredientIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # Oats, 80 g (USDA 08120)
            "examples": [{"food_id": "00d3117d-4c5c-5f08-8c9e-36bc3f70a72a", "grams": 80}]
        },
    )

    food_id: uuid.UUID = Field(description="A USDA food or one of your custom foods")
    grams: Annotated[float, Field(gt=0, le=5000)] = Field(description="For the whole recipe")


Ingredients = Annotated[list[IngredientIn], Field(min_length=1, max_length=MAX_INGREDIENTS)]
IngredientsText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=5000,
        pattern=NON_BLANK_PATTERN,
        description='One ingredient per line, read by the food parser ("200 g chicken breast")',
    ),
]


class _RecipeFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="after")
    def _one_ingredient_form(self) -> _RecipeFields:
        given = self.model_fields_set
        if "ingredients" in given and "ingredients_text" in given:
            raise ValueError("give either ingredients or ingredients_text, not both")
        for name in ("name", "meal_types", "servings", "prep_minutes", "steps", "tags"):
            if name in given and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class CustomRecipeIn(_RecipeFields):
    """A private recipe. Give the ingredients as foods and grams, or as text, one per line.
    Nutrients are computed from the ingredients; `tags` you claim are checked against them
    (a "vegan" recipe with milk is refused), and every tag that holds is added."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Overnight oats",
                    "meal_types": ["breakfast"],
                    "servings": 2,
                    "prep_minutes": 5,
                    "ingredients_text": "80 g rolled oats\n300 ml milk\n1 banana",
                    "steps": ["Mix everything.", "Leave in the fridge overnight."],
                    "tags": ["vegetarian"],
                }
            ]
        }
    )

    name: Name
    cuisine: Cuisine | None = None
    meal_types: Annotated[list[MealType], Field(min_length=1, max_length=4)]
    servings: Annotated[int, Field(ge=1, le=50)] = 1
    prep_minutes: Annotated[int, Field(ge=0, le=1440)] = 0
    steps: Annotated[list[Step], Field(max_length=50)] = []
    ingredients: Ingredients | None = None
    ingredients_text: IngredientsText | None = None
    tags: Annotated[list[RecipeTag], Field(max_length=20)] = []

    @model_validator(mode="after")
    def _has_ingredients(self) -> CustomRecipeIn:
        if self.ingredients is None and self.ingredients_text is None:
            raise ValueError("ingredients or ingredients_text is required")
        return self


class CustomRecipePatch(_RecipeFields):
    """Only the fields sent change; new ingredients (either form) replace the old ones."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"servings": 3}, {"ingredients_text": "2 eggs"}]}
    )

    name: Name | None = None
    cuisine: Cuisine | None = None
    meal_types: Annotated[list[MealType], Field(min_length=1, max_length=4)] | None = None
    servings: Annotated[int, Field(ge=1, le=50)] | None = None
    prep_minutes: Annotated[int, Field(ge=0, le=1440)] | None = None
    steps: Annotated[list[Step], Field(max_length=50)] | None = None
    ingredients: Ingredients | None = None
    ingredients_text: IngredientsText | None = None
    tags: Annotated[list[RecipeTag], Field(max_length=20)] | None = None


# --- plans -----------------------------------------------------------------------------------


class Macros(BaseModel):
    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float


class PlanIngredient(BaseModel):
    food_id: uuid.UUID
    food: str
    grams: float = Field(description="For the servings of this option")


class PlanOption(BaseModel):
    recipe_id: uuid.UUID
    name: str
    custom: bool
    servings: float = Field(description="A multiple of 0.25")
    grams: float
    nutrients: Nutrients = Field(description="For these servings")
    day_totals: Macros = Field(description="The day's totals if this option is eaten here")
    within_tolerance: bool
    ingredients: list[PlanIngredient]


class PlanSlot(BaseModel):
    slot: MealType
    chosen: int = Field(description="Index of the chosen option (0 unless you chose another)")
    options: list[PlanOption]


class PlanOut(BaseModel):
    date: dt.date
    targets: Macros
    targets_source: Literal["profile", "goal"] = Field(
        description="From your profile (with yesterday's activity when opted in) or your goal"
    )
    slots: list[PlanSlot]
    snack_options: list[PlanOption] = Field(description="Extra snacks for a hungry day")
    totals: Macros = Field(description="The first option of every slot")
    chosen_totals: Macros = Field(description="The chosen option of every slot")
    deviations: dict[str, float] = Field(
        description="|total - target| / allowed band per nutrient; <= 1 is within tolerance"
    )
    met: bool
    reason: str | None
    fallback_from: dt.date | None = Field(
        default=None,
        description="Set when generation failed and this is a copy of that earlier day's plan",
    )
    text: str | None = Field(description="Words only; every number is in the fields above")
    text_source: Literal["llm", "template"] | None
    created_at: dt.datetime
    updated_at: dt.datetime


class GenerateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"start": "2024-05-01", "days": 3}]}
    )

    start: dt.date | None = Field(default=None, description="First local date; default today")
    days: Annotated[int, Field(ge=1, le=7)] = 1


class GenerateOut(BaseModel):
    plans: list[PlanOut]


class ChooseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"option": 1}]})

    option: Annotated[int, Field(ge=0, le=2)]


class LogPlanIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{}, {"slots": ["breakfast", "lunch"]}]}
    )

    slots: Annotated[list[MealType], Field(min_length=1, max_length=4)] | None = Field(
        default=None, description="Slots to log; default every slot of the plan"
    )


class LogPlanOut(BaseModel):
    entries: list[LogOut]


class ShoppingItem(BaseModel):
    food_id: uuid.UUID
    food: str
    ingredient: str = Field(
        description="Ingredient key; every food with it counts (any preparation or salt level)"
    )
    needed_g: float = Field(description="What the chosen options use over the range")
    inventory_g: float = Field(
        description="In your inventory and not expired by `start`, as grams of `food` "
        "(raw and cooked forms converted by the cooked/raw yield)"
    )
    grams: float = Field(description="To buy: needed minus inventory, never negative")


class UsedUpItem(BaseModel):
    food_id: uuid.UUID
    food: str
    ingredient: str
    since: dt.datetime = Field(description="When it reached zero")


class ShoppingList(BaseModel):
    start: dt.date
    end: dt.date
    plans: int = Field(description="Days of the range that have a plan")
    items: list[ShoppingItem] = Field(description="Foods to buy, most grams first")
    covered: list[ShoppingItem] = Field(description="Foods the inventory already covers")
    used_up: list[UsedUpItem] = Field(
        default_factory=list,
        description="Inventory items eaten up that the plans do not ask for: to buy again?",
    )


class FeedbackIn(BaseModel):
    rating: Annotated[int, Field(ge=1, le=5, description="1 = never again ... 5 = more of this")]
    comment: Annotated[str | None, Field(default=None, max_length=1000)] = None
    slot: MealType | None = Field(
        default=None, description="Rate this slot's recipe (the chosen option unless recipe_id)"
    )
    recipe_id: uuid.UUID | None = Field(
        default=None, description="A recipe offered in the plan; none with no slot: the day"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"rating": 2, "slot": "dinner", "comment": "Too much fennel"},
                {"rating": 5, "comment": "Great day"},
            ]
        },
    )

    @field_validator("comment")
    @classmethod
    def _no_nul(cls, v: str | None) -> str | None:
        if v is not None and "\x00" in v:
            raise ValueError("NUL characters are not allowed")
        return v.strip() or None if v is not None else None


class FeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    date: dt.date
    slot: str | None
    recipe_id: uuid.UUID | None
    rating: int
    comment: str | None
    created_at: dt.datetime
