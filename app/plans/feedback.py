"""Plan feedback: users rate planned days and recipes; the planner and operators read it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.cache import Cache, user_scope
from app.core.errors import NotFound, Unprocessable
from app.plans.models import CustomRecipe, MealPlan, PlanFeedback, SharedRecipe
from app.plans.recipes import recipes_by_id

AVOID_AT_MOST = 2  # ratings 1-2: the recipe is not offered again
FAVOUR_AT_LEAST = 4  # ratings 4-5: the recipe is preferred


class FeedbackNotInPlan(Unprocessable):
    code, title = "feedback-not-in-plan", "Not part of the plan"


def _plan_recipes(plan: dict[str, Any]) -> dict[str, set[uuid.UUID]]:
    """Slot -> every recipe offered in it (any option: the user may have eaten another one)."""
    out: dict[str, set[uuid.UUID]] = {}
    for slot in plan.get("slots", []):
        out[slot["slot"]] = {uuid.UUID(str(o["recipe_id"])) for o in slot.get("options") or []}
    extra = {uuid.UUID(str(o["recipe_id"])) for o in plan.get("snack_options") or []}
    out.setdefault("snack", set()).update(extra)
    return out


def _chosen(plan: dict[str, Any], slot: str) -> uuid.UUID | None:
    for s in plan.get("slots", []):
        options = s.get("options") or []
        if s["slot"] == slot and options:
            idx = s.get("chosen", 0)
            return uuid.UUID(str(options[idx if 0 <= idx < len(options) else 0]["recipe_id"]))
    return None


async def add(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    day: dt.date,
    rating: int,
    comment: str | None,
    slot: str | None,
    recipe_id: uuid.UUID | None,
) -> PlanFeedback:
    """Stores a rating of the day's plan, of a slot's recipe (the chosen one unless
    `recipe_id` names another option) or of a recipe anywhere in the plan (or rated before)."""
    plan = await session.scalar(
        sa.select(col(MealPlan.plan)).where(
            col(MealPlan.user_id) == user_id, col(MealPlan.date) == day
        )
    )
    if plan is None:
        raise NotFound(f"No plan for {day}")
    offered = _plan_recipes(plan)
    if slot is not None:
        if slot not in offered:
            raise FeedbackNotInPlan(f"The plan for {day} has no {slot} slot")
        if recipe_id is None:
            recipe_id = _chosen(plan, slot)
        elif recipe_id not in offered[slot]:
            raise FeedbackNotInPlan(f"Recipe {recipe_id} was not offered for {slot} on {day}")
    elif recipe_id is not None and not any(recipe_id in ids for ids in offered.values()):
        # A recipe rated 1-2 is never planned again; rating it anew must stay possible.
        rated_before = await session.scalar(
            sa.select(col(PlanFeedback.id))
            .where(col(PlanFeedback.user_id) == user_id, col(PlanFeedback.recipe_id) == recipe_id)
            .limit(1)
        )
        if rated_before is None:
            raise FeedbackNotInPlan(f"Recipe {recipe_id} is not in the plan for {day}")
    row = PlanFeedback(
        user_id=user_id, date=day, slot=slot, recipe_id=recipe_id, rating=rating, comment=comment
    )
    session.add(row)
    await session.commit()
    await cache.invalidate(user_scope(user_id))
    return row


async def preferences_many(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[frozenset[uuid.UUID], frozenset[uuid.UUID]]]:
    """Per user, (recipes to avoid, recipes to favour) from each recipe's latest rating."""
    latest: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    rows = await session.execute(
        sa.select(col(PlanFeedback.user_id), col(PlanFeedback.recipe_id), col(PlanFeedback.rating))
        .where(col(PlanFeedback.user_id).in_(user_ids), col(PlanFeedback.recipe_id).is_not(None))
        .order_by(col(PlanFeedback.created_at), col(PlanFeedback.id))
    )
    for uid, rid, rating in rows.all():
        if rid is not None:
            latest[(uid, rid)] = rating  # later rows win: a user may change their mind
    avoid: dict[uuid.UUID, set[uuid.UUID]] = {}
    favour: dict[uuid.UUID, set[uuid.UUID]] = {}
    for (uid, rid), rating in latest.items():
        if rating <= AVOID_AT_MOST:
            avoid.setdefault(uid, set()).add(rid)
        elif rating >= FAVOUR_AT_LEAST:
            favour.setdefault(uid, set()).add(rid)
    return {
        uid: (frozenset(avoid.get(uid, ())), frozenset(favour.get(uid, ()))) for uid in user_ids
    }


@dataclass(frozen=True)
class RecipeFeedback:
    recipe_id: uuid.UUID
    name: str | None
    source: str
    ratings: int
    average: float
    low: int
    high: int
    users: int
    last_at: dt.datetime


async def aggregate(
    session: AsyncSession, limit: int, offset: int, min_ratings: int = 1
) -> tuple[list[RecipeFeedback], int]:
    """Per recipe: how many ratings, their average, how many 1-2 and 4-5, by how many users;
    most rated first. Packaged and operators' shared recipes are named (retired ones too);
    custom recipes are private: counted, never named."""
    fb = PlanFeedback
    grouped = (
        sa.select(
            col(fb.recipe_id).label("recipe_id"),
            sa.func.count().label("ratings"),
            sa.func.avg(col(fb.rating)).label("average"),
            sa.func.sum(sa.case((col(fb.rating) <= AVOID_AT_MOST, 1), else_=0)).label("low"),
            sa.func.sum(sa.case((col(fb.rating) >= FAVOUR_AT_LEAST, 1), else_=0)).label("high"),
            sa.func.count(sa.distinct(col(fb.user_id))).label("users"),
            sa.func.max(col(fb.created_at)).label("last_at"),
        )
        .where(col(fb.recipe_id).is_not(None))
        .group_by(col(fb.recipe_id))
        .having(sa.func.count() >= min_ratings)
    ).subquery()
    total = await session.scalar(sa.select(sa.func.count()).select_from(grouped))
    rows = (
        await session.execute(
            sa.select(grouped)
            .order_by(grouped.c.ratings.desc(), grouped.c.average, grouped.c.recipe_id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    library = recipes_by_id()
    custom_ids = set(
        await session.scalars(
            sa.select(col(CustomRecipe.id)).where(
                col(CustomRecipe.id).in_([r.recipe_id for r in rows])
            )
        )
    )
    shared = dict(
        (
            await session.execute(
                sa.select(col(SharedRecipe.id), col(SharedRecipe.name)).where(
                    col(SharedRecipe.id).in_([r.recipe_id for r in rows])
                )
            )
        ).all()
    )
    out = []
    for r in rows:
        rid = uuid.UUID(str(r.recipe_id))
        recipe = library.get(rid)
        name = recipe.name if recipe else shared.get(rid)
        source = (
            "library"
            if recipe
            else "shared"
            if rid in shared
            else "custom"
            if rid in custom_ids
            else "deleted"
        )
        out.append(
            RecipeFeedback(
                recipe_id=rid,
                name=name,
                source=source,
                ratings=int(r.ratings),
                average=round(float(r.average), 2),
                low=int(r.low or 0),
                high=int(r.high or 0),
                users=int(r.users),
                last_at=r.last_at,
            )
        )
    return out, int(total or 0)
