"""Operators' work on accounts; every change writes an audit row in the same transaction."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.admin.audit import Written, record
from app.admin.exceptions import SelfLockout, UserNotFound
from app.admin.models import AuditEntry
from app.admin.schemas import CatalogRecipeOut
from app.auth import service as auth_service
from app.auth.models import Role, User
from app.auth.phone import normalise_phone
from app.core.config import Settings
from app.core.revocation import FOREVER, Revocations
from app.core.types import utcnow
from app.foods import shared as foods_shared
from app.foods.schemas import FoodOut, SharedFoodIn
from app.plans import catalog
from app.plans import service as plans_service
from app.plans.schemas import CustomRecipeIn, Nutrients, RecipeOut
from app.training import service as training_service
from app.training.schemas import ExerciseOut, SharedExerciseIn


async def audit_view(
    session: AsyncSession, actor: User, action: str, detail: dict[str, Any] | None = None
) -> None:
    """Records that an operator looked at something (a view has no target)."""
    record(session, actor, action, "view", None, detail)
    await session.commit()


def _search(q: str | None) -> list[sa.ColumnElement[bool]]:
    if not q:
        return []
    q = q.strip().lower()
    # autoescape: a `%` or `_` typed by the operator is matched literally.
    found = [
        col(User.email).contains(q, autoescape=True),
        col(User.phone).contains(q.replace(" ", ""), autoescape=True),
    ]
    return [sa.or_(*found)]


async def list_users(
    session: AsyncSession, q: str | None, limit: int, offset: int
) -> tuple[list[User], int]:
    where = _search(q)
    total = await session.scalar(sa.select(sa.func.count()).select_from(User).where(*where))
    rows = await session.scalars(
        sa.select(User)
        .where(*where)
        .order_by(col(User.created_at), col(User.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"No user {user_id}")
    return user


async def set_active(
    session: AsyncSession,
    revocations: Revocations,
    settings: Settings,
    actor: User,
    user_id: uuid.UUID,
    active: bool,
) -> User:
    user = await get_user(session, user_id)
    if user.id == actor.id and not active:
        raise SelfLockout("You cannot deactivate your own account")
    changed = user.is_active != active
    user.is_active, user.updated_at = active, utcnow()
    session.add(user)
    revoked = 0
    if not active:
        revoked = await auth_service.revoke_refresh_tokens(session, user.id)
    record(
        session,
        actor,
        "user.activate" if active else "user.deactivate",
        "user",
        user.id,
        {"changed": changed, "refresh_tokens_revoked": revoked},
    )
    await session.flush()
    # Deactivating refuses every access token before the commit: if the shared list cannot be
    # written the request fails and nothing changes. Reactivating lifts the refusal: tokens
    # carry whole-second issue times, so "refuse those issued before now" would also refuse a
    # login made in the same second. The refresh tokens stay revoked, so the old sessions end
    # when their access token expires.
    not_before = FOREVER if not active else 0.0
    await auth_service.revoke_access_tokens(revocations, settings, user.id, not_before)
    await session.commit()
    return user


async def set_role(
    session: AsyncSession,
    actor: User | None,
    user: User,
    role: Role,
    actor_label: str | None = None,
) -> User:
    if actor is not None and actor.id == user.id and role != "admin":
        raise SelfLockout("You cannot remove your own admin role")
    before = user.role
    user.is_admin, user.updated_at = role == "admin", utcnow()
    session.add(user)
    record(
        session,
        actor,
        "user.role",
        "user",
        user.id,
        {"from": before, "to": role},
        actor_label=actor_label,
    )
    await session.commit()
    return user


async def find_user(session: AsyncSession, identifier: str) -> User | None:
    """An account by email (case-blind) or phone number (any international spelling)."""
    ident = identifier.strip()
    if "@" in ident:
        return await session.scalar(sa.select(User).where(col(User.email) == ident.lower()))
    try:
        phone = normalise_phone(ident)
    except ValueError:
        return None
    return await session.scalar(sa.select(User).where(col(User.phone) == phone))


async def list_audit(
    session: AsyncSession,
    limit: int,
    offset: int,
    action: str | None = None,
    target_id: str | None = None,
) -> tuple[list[AuditEntry], int]:
    where: list[sa.ColumnElement[bool]] = []
    if action:
        where.append(col(AuditEntry.action) == action)
    if target_id:
        where.append(col(AuditEntry.target_id) == target_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(*where))
    rows = await session.scalars(
        sa.select(AuditEntry)
        .where(*where)
        .order_by(col(AuditEntry.created_at).desc(), col(AuditEntry.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


# --------------------------------------------------------------------------------------------
# The shared catalogue: foods, recipes and exercises every user sees. Each function below is
# one operator write: it flushes (never commits) and answers `Written` (result, target id,
# audit detail); routes run it through `audit.audited`, which adds the audit row and commits
# the change, its entry (and the recipe library's new stamp) together.
# --------------------------------------------------------------------------------------------


async def create_food(session: AsyncSession, data: SharedFoodIn) -> Written[FoodOut]:
    food, portions = await foods_shared.create(session, data)
    out = foods_shared.shared_out(food, portions)
    return out, food.id, {"name": food.name, "gtin": food.gtin}


async def update_food(
    session: AsyncSession, food_id: uuid.UUID, changes: dict[str, Any]
) -> Written[FoodOut]:
    food, portions, sent = await foods_shared.update(session, food_id, changes)
    out = foods_shared.shared_out(food, portions)
    return out, food.id, {"name": food.name, "source": food.source, "fields": sent}


async def retire_food(session: AsyncSession, food_id: uuid.UUID) -> Written[None]:
    return None, food_id, await foods_shared.retire(session, food_id)


def catalog_recipe_out(entry: catalog.CatalogEntry) -> CatalogRecipeOut:
    r, row = entry.recipe, entry.row
    return CatalogRecipeOut(
        id=r.id,
        name=r.name,
        source="shared" if row is not None else "packaged",
        meal_types=list(r.meal_types),
        cuisine=r.cuisine or None,
        servings=r.servings,
        prep_minutes=r.prep_minutes,
        tags=sorted(r.derived_tags),
        allergens=sorted(r.allergens),
        per_serving=Nutrients(
            **{k: round(r.per_serving.get(k, 0.0), 1) for k in Nutrients.model_fields}
        ),
        created_at=row.created_at if row is not None else None,
        updated_at=row.updated_at if row is not None else None,
        retired_at=entry.retired_at,
    )


def _recipe_detail(entry: catalog.CatalogEntry) -> dict[str, Any]:
    return {"name": entry.recipe.name, "source": "shared" if entry.row is not None else "packaged"}


async def create_recipe(
    session: AsyncSession, actor: User, body: CustomRecipeIn
) -> Written[RecipeOut]:
    row, recipe = await plans_service.new_shared(session, actor.id, body)
    return plans_service.recipe_out(recipe, row), row.id, {"name": row.name}


async def update_recipe(
    session: AsyncSession, recipe_id: uuid.UUID, changes: dict[str, Any]
) -> Written[RecipeOut]:
    sent = sorted(changes)
    row, recipe = await plans_service.change_shared(session, recipe_id, changes)
    return plans_service.recipe_out(recipe, row), row.id, {"name": row.name, "fields": sent}


async def retire_recipe(session: AsyncSession, actor: User, recipe_id: uuid.UUID) -> Written[None]:
    entry = await catalog.retire(session, actor.id, recipe_id)
    return None, recipe_id, _recipe_detail(entry)


async def restore_recipe(session: AsyncSession, recipe_id: uuid.UUID) -> Written[CatalogRecipeOut]:
    entry = await catalog.restore(session, recipe_id)
    return catalog_recipe_out(entry), recipe_id, _recipe_detail(entry)


async def create_exercise(session: AsyncSession, data: SharedExerciseIn) -> Written[ExerciseOut]:
    ex = await training_service.add_exercise(session, None, data)
    return training_service.exercise_out(ex), ex.id, {"name": ex.name}


async def update_exercise(
    session: AsyncSession, exercise_id: uuid.UUID, changes: dict[str, Any]
) -> Written[ExerciseOut]:
    ex, sent = await training_service.update_shared_exercise(session, exercise_id, changes)
    return training_service.exercise_out(ex), ex.id, {"name": ex.name, "fields": sent}


async def delete_exercise(session: AsyncSession, exercise_id: uuid.UUID) -> Written[None]:
    ex = await training_service.remove_shared_exercise(session, exercise_id)
    return None, exercise_id, {"name": ex.name}
