from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUpload

from app.core.deps import CacheDep, CurrentUserId, SessionDep
from app.core.errors import Unprocessable, problem_responses
from app.foods.ingredients import ingredient_key
from app.inventory import ocr, service
from app.inventory.models import InventoryItem, Receipt
from app.inventory.schemas import (
    InventoryIn,
    InventoryOut,
    InventoryPage,
    InventoryPatch,
    LedgerEntryOut,
    LedgerPage,
    ReceiptConfirmIn,
    ReceiptIn,
    ReceiptLineOut,
    ReceiptMatchOut,
    ReceiptOut,
)
from app.llm.client import LLMDep

router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])
_errors = problem_responses(401, 404, 422)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _out(item: InventoryItem, name: str) -> InventoryOut:
    return InventoryOut(
        id=item.id,
        food_id=item.food_id,
        food=name,
        ingredient=ingredient_key(name),
        grams=item.grams,
        used_up=item.grams <= 0,
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
    """Your kitchen, soonest-expiring first (items without an expiry date last). Items eaten
    up are listed with `used_up: true` and 0 grams."""
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
    body: InventoryIn, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> InventoryOut:
    """Add a food you have, in grams, with an optional expiry date. A food withdrawn from the
    shared catalogue answers 422 `food-retired` (items stocked before keep it)."""
    item, name = await service.create_item(
        session, cache, user_id, body.food_id, body.grams, body.expires_on
    )
    return _out(item, name)


def _receipt_out(
    receipt: Receipt,
    added: list[tuple[str, InventoryItem, str]] | None = None,
) -> ReceiptOut:
    return ReceiptOut(
        receipt_id=receipt.id,
        status=receipt.status,
        read_by=receipt.read_by,
        text=receipt.text,
        lines=[ReceiptMatchOut(index=i, **line) for i, line in enumerate(receipt.lines)],
        added=[
            ReceiptLineOut(line=line, item=_out(item, name)) for line, item, name in added or []
        ],
        unrecognised=[line["line"] for line in receipt.lines if line["status"] == "unrecognised"],
    )


_RECEIPT_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": ReceiptIn.model_json_schema()},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["image"],
                "properties": {
                    "image": {"type": "string", "format": "binary"},
                    "expires_on": {"type": "string", "format": "date"},
                },
            }
        },
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "image/png": {"schema": {"type": "string", "format": "binary"}},
    },
}
# A JSON receipt is at most 10,000 characters; an image at most ocr.MAX_IMAGE_BYTES.
_MAX_JSON_BYTES = 64 * 1024
_MAX_BODY_BYTES = ocr.MAX_IMAGE_BYTES + 64 * 1024


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` (whatever the
    Content-Length says), so an endless upload never fills memory."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ocr.ImageTooLarge(f"The request body may be at most {limit:,} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ocr.ImageTooLarge(f"The request body may be at most {limit:,} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    # Starlette re-reads a cached body when parsing the form.
    request._body = body
    return body


async def _image_upload(request: Request, kind: str) -> tuple[bytes, dt.date | None]:
    body = await _read_body(request, _MAX_BODY_BYTES)
    if kind.startswith("image/"):
        return body, None
    try:
        form = await request.form(max_files=1, max_fields=4, max_part_size=1024)
    except Exception as exc:  # the multipart parser's own errors: a malformed body
        raise Unprocessable(f"Malformed multipart body: {exc}") from exc
    image = form.get("image")
    if not isinstance(image, StarletteUpload):
        raise Unprocessable('Send the photo as the multipart field "image"')
    data = await image.read(_MAX_BODY_BYTES + 1)
    raw = form.get("expires_on")
    try:
        expires = dt.date.fromisoformat(raw) if isinstance(raw, str) and raw else None
    except ValueError as exc:
        raise Unprocessable(f"expires_on: {exc}") from exc
    return data, expires


@router.post(
    "/receipt",
    status_code=status.HTTP_201_CREATED,
    response_model=ReceiptOut,
    operation_id="inventory_add_receipt",
    responses={
        **problem_responses(401, 413, 415, 422),
        200: {"model": ReceiptOut, "description": "Previewed, not stored"},
    },
    openapi_extra={"requestBody": _RECEIPT_BODY},
)
async def add_receipt(
    request: Request,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    llm: LLMDep,
    response: Response,
) -> ReceiptOut:
    """Add the items of a shopping receipt, one per line ("2 lb chicken breast", "milk 1
    gallon"). Each line answers with its match (the food in the form shops sell it) and the
    parser's confidence; lines no food could be read from are in `unrecognised`, and a receipt
    with no readable line at all answers 422.

    - JSON `{"text": ...}` stores at once (201), or with `confirm: false` only previews.
    - A photo (JPEG or PNG, at most 10 MB and 50 megapixels), as multipart field `image` or as
      the raw body with `Content-Type: image/jpeg|png`, is read by Tesseract OCR (or the LLM's
      vision input) and always previewed first (200, status `pending`): store the lines you
      accept with POST /inventory/receipt/{receipt_id}/confirm. Without OCR on the server:
      415 `ocr-unavailable`, saying what to install."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("multipart/form-data", "image/jpeg", "image/png"):
        data, expires = await _image_upload(request, kind)
        settings = request.app.state.settings
        read = await ocr.read_receipt(
            data,
            tesseract_cmd=settings.tesseract_cmd,
            llm=llm,
            llm_vision=settings.llm_vision,
        )
        if not read.text.strip():
            raise service.NothingRecognised(
                "No text could be read from the image", extra={"unrecognised": []}
            )
        receipt = await service.preview_receipt(
            session, user_id, read.text[:10_000], read.read_by, expires
        )
        response.status_code = status.HTTP_200_OK
        return _receipt_out(receipt)
    if kind not in ("application/json", ""):
        raise ocr.UnsupportedImage(f"Send a receipt as JSON text, or a JPEG/PNG photo (not {kind})")
    raw = await _read_body(request, _MAX_JSON_BYTES)
    try:
        body = ReceiptIn.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    if not body.confirm:
        receipt = await service.preview_receipt(
            session, user_id, body.text, "text", body.expires_on
        )
        response.status_code = status.HTTP_200_OK
        return _receipt_out(receipt)
    stored = await service.add_receipt(session, cache, user_id, body.text, body.expires_on)
    return _receipt_out(stored.receipt, stored.added)


@router.post(
    "/receipt/{receipt_id}/confirm",
    status_code=status.HTTP_201_CREATED,
    response_model=ReceiptOut,
    operation_id="inventory_confirm_receipt",
    responses=problem_responses(401, 404, 409, 422),
)
async def confirm_receipt(
    receipt_id: uuid.UUID,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    body: ReceiptConfirmIn | None = None,
) -> ReceiptOut:
    """Store a previewed receipt: all matched lines, or those listed in `lines`. 409 when it
    was already stored."""
    body = body or ReceiptConfirmIn()
    stored = await service.confirm_receipt(
        session, cache, user_id, receipt_id, body.lines, body.expires_on
    )
    return _receipt_out(stored.receipt, stored.added)


@router.get(
    "/ledger",
    response_model=LedgerPage,
    operation_id="inventory_ledger",
    responses=_errors,
)
async def ledger(
    user_id: CurrentUserId,
    session: SessionDep,
    item_id: uuid.UUID | None = None,
    source: Annotated[Literal["manual", "receipt", "log"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> LedgerPage:
    """Every change to your inventory, newest first: grams added or taken, what was left,
    why (bought, log, corrected ...) and by what (`source_id`: the receipt or log entry)."""
    rows, total = await service.list_ledger(
        session, user_id, item_id=item_id, source=source, limit=limit, offset=offset
    )
    return LedgerPage(
        items=[LedgerEntryOut.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
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
    item_id: uuid.UUID,
    body: InventoryPatch,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
) -> InventoryOut:
    """Change the amount or the expiry date; only the fields sent change."""
    changes = body.model_dump(exclude_unset=True)
    return _out(*await service.update_item(session, cache, user_id, item_id, changes))


@router.delete(
    "/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="inventory_delete",
    responses=_errors,
)
async def delete_inventory_item(
    item_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> None:
    await service.delete_item(session, cache, user_id, item_id)
