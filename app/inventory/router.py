from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.core.deps import CurrentUserId, SessionDep
from app.core.errors import problem_responses
from app.inventory import service
from app.inventory.models import InventoryItem
from app.inventory.schemas import (
    InventoryIn,
    InventoryOut,
    InventoryPage,
    InventoryPatch,
    ReceiptIn,
    ReceiptLineOut,
    ReceiptOut,
)

router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])
_errors = problem_responses(401, 404, 422)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _out(item: InventoryItem, name: str) -> InventoryOut:
    return InventoryOut(
        id=item.id,
        food_id=item.food_id,
        food=name,
        grams=item.grams,
        expires_on=item.expires_on,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


@router.get("", response_model=InventoryPage, operation_id="inventory_list", responses=_errors)
async def list_inventory(
    user_id: CurrentUserId,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> InventoryPage:
    """Your kitchen, soonest-expiring first (items without an expiry date last)."""
    rows, total = await service.list_items(session, user_id, limit, offset)
    return InventoryPage(
        items=[_out(item, name) for item, name in rows],
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InventoryOut,
    operation_id="inventory_create",
    responses=_errors,
)
async def create_inventory_item(
    body: InventoryIn, user_id: CurrentUserId, session: SessionDep
) -> InventoryOut:
    """Add a food you have, in grams, with an optional expiry date."""
    item, name = await service.create_item(
        session, user_id, body.food_id, body.grams, body.expires_on
    )
    return _out(item, name)


@router.post(
    "/receipt",
    status_code=status.HTTP_201_CREATED,
    response_model=ReceiptOut,
    operation_id="inventory_add_receipt",
    responses=_errors,
)
async def add_receipt(body: ReceiptIn, user_id: CurrentUserId, session: SessionDep) -> ReceiptOut:
    """Add the items of a shopping receipt or list, one per line ("2 lb chicken breast",
    "milk 1 gallon"), all in one go. Lines no food could be read from are returned in
    `unrecognised` and not added; a text with no readable line at all answers 422."""
    result = await service.add_receipt(session, user_id, body.text, body.expires_on)
    return ReceiptOut(
        added=[
            ReceiptLineOut(line=line, item=_out(item, name)) for line, item, name in result.added
        ],
        unrecognised=result.unrecognised,
    )


@router.get(
    "/{item_id}", response_model=InventoryOut, operation_id="inventory_get", responses=_errors
)
async def get_inventory_item(
    item_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep
) -> InventoryOut:
    return _out(*await service.get_item(session, user_id, item_id))


@router.patch(
    "/{item_id}", response_model=InventoryOut, operation_id="inventory_update", responses=_errors
)
async def update_inventory_item(
    item_id: uuid.UUID, body: InventoryPatch, user_id: CurrentUserId, session: SessionDep
) -> InventoryOut:
    """Change the amount or the expiry date; only the fields sent change."""
    changes = body.model_dump(exclude_unset=True)
    return _out(*await service.update_item(session, user_id, item_id, changes))


@router.delete(
    "/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="inventory_delete",
    responses=_errors,
)
async def delete_inventory_item(
    item_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep
) -> None:
    await service.delete_item(session, user_id, item_id)
