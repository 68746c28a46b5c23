"""Imports products from an Open Food Facts export as shared foods (`nexfitra foods import-off`).

Formats: OFF's CSV export (tab-separated, as published; comma-separated also read) and its JSONL
export (one product object a line, nutrients under "nutriments"); either may be gzipped. Values
are OFF's per-100 g fields (`proteins_100g` ...); OFF gives minerals and vitamins in grams and we
store mg/µg as the names say.

Imported foods are shared (no owner) with source "off" and code = the product's 14-digit GTIN,
so `GET /foods/barcode/{code}` and search find them for everyone and a user's own custom food
with the same barcode still comes first. The import is idempotent by barcode: a product seen
again replaces the stored values. It is one transaction: all of the file or none of it.

The file is untrusted: its size, line length, row count and values are bounded; rows with NUL
bytes, a missing or invalid barcode, a missing name or macros, or implausible numbers (more than
900 kcal or more than 100 g of protein, carbs and fat per 100 g) are skipped and counted.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import logging
import math
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.foods.dataset import COLUMN_FIELDS, NUTRIENT_FIELDS
from app.foods.gtin import InvalidGTIN, normalize_gtin
from app.foods.models import Food, FoodPortion

log = logging.getLogger("nexfitra.foods")

MAX_PRODUCTS = 100_000
MAX_BYTES = 2 * 1024**3  # decompressed: a gzip bomb stops here
MAX_LINE = 1024 * 1024
_BATCH = 500

# OFF per-100 g field -> (our field, factor from OFF's unit to ours).
_FIELDS: dict[str, tuple[str, float]] = {
    "energy-kcal_100g": ("kcal", 1.0),
    "proteins_100g": ("protein_g", 1.0),
    "carbohydrates_100g": ("carbs_g", 1.0),
    "fat_100g": ("fat_g", 1.0),
    "fiber_100g": ("fiber_g", 1.0),
    "sugars_100g": ("sugars_g", 1.0),
    "saturated-fat_100g": ("sat_fat_g", 1.0),
    "monounsaturated-fat_100g": ("mono_fat_g", 1.0),
    "polyunsaturated-fat_100g": ("poly_fat_g", 1.0),
    "trans-fat_100g": ("trans_fat_g", 1.0),
    "cholesterol_100g": ("cholesterol_mg", 1e3),
    "sodium_100g": ("sodium_mg", 1e3),
    "potassium_100g": ("potassium_mg", 1e3),
    "calcium_100g": ("calcium_mg", 1e3),
    "iron_100g": ("iron_mg", 1e3),
    "magnesium_100g": ("magnesium_mg", 1e3),
    "zinc_100g": ("zinc_mg", 1e3),
    "phosphorus_100g": ("phosphorus_mg", 1e3),
    "copper_100g": ("copper_mg", 1e3),
    "manganese_100g": ("manganese_mg", 1e3),
    "selenium_100g": ("selenium_ug", 1e6),
    "vitamin-a_100g": ("vitamin_a_ug", 1e6),
    "vitamin-c_100g": ("vitamin_c_mg", 1e3),
    "vitamin-d_100g": ("vitamin_d_ug", 1e6),
    "vitamin-e_100g": ("vitamin_e_mg", 1e3),
    "vitamin-k_100g": ("vitamin_k_ug", 1e6),
    "vitamin-b1_100g": ("thiamin_mg", 1e3),
    "vitamin-b2_100g": ("riboflavin_mg", 1e3),
    "vitamin-pp_100g": ("niacin_mg", 1e3),
    "vitamin-b6_100g": ("vitamin_b6_mg", 1e3),
    "vitamin-b9_100g": ("folate_total_ug", 1e6),
    "vitamin-b12_100g": ("vitamin_b12_ug", 1e6),
    "pantothenic-acid_100g": ("pantothenic_acid_mg", 1e3),
    "caffeine_100g": ("caffeine_mg", 1e3),
}
assert {f for f, _ in _FIELDS.values()} <= set(NUTRIENT_FIELDS)
_MACROS = ("kcal", "protein_g", "carbs_g", "fat_g")
# Per 100 g nothing holds more than 100 g of anything, 900 kcal, or 100 g (= 1e5 mg, 1e8 µg).
_LIMITS = {"kcal": 900.0, "_g": 100.0, "_mg": 1e5, "_ug": 1e8}


class ImportFileError(ValueError):
    pass


@dataclass
class ImportReport:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    truncated: bool = False  # stopped at the product or byte limit


def _limit(name: str) -> float:
    if name == "kcal":
        return _LIMITS["kcal"]
    return _LIMITS["_" + name.rsplit("_", 1)[-1]]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        out = float(value)
    elif isinstance(value, str) and 0 < len(value) <= 32:
        try:
            out = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return out if math.isfinite(out) else None


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    # Control characters (NUL included) never belong in a name.
    clean = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    return clean[:limit] or None


@dataclass(frozen=True)
class Product:
    gtin: str
    name: str
    brand: str | None
    category: str | None
    nutrients: dict[str, float]
    serving_g: float | None


def product_from(row: Mapping[str, Any]) -> Product | str:
    """A Product, or the reason the row is skipped."""
    code = row.get("code")
    if not isinstance(code, str | int) or isinstance(code, bool):
        return "no barcode"
    try:
        gtin = normalize_gtin(str(code))
    except InvalidGTIN:
        return "invalid barcode"
    name = _text(row.get("product_name"), 200)
    if name is None or len(name) < 2:
        return "no name"
    source = row.get("nutriments")
    values: Mapping[str, Any] = source if isinstance(source, Mapping) else row
    nutrients: dict[str, float] = {}
    for key, (ours, factor) in _FIELDS.items():
        v = _number(values.get(key))
        if v is not None:
            nutrients[ours] = v * factor
    if "kcal" not in nutrients:
        kj = _number(values.get("energy-kj_100g"))
        kj = kj if kj is not None else _number(values.get("energy_100g"))
        if kj is not None:
            nutrients["kcal"] = kj / 4.184
    if "sodium_mg" not in nutrients:
        salt = _number(values.get("salt_100g"))
        if salt is not None:
            nutrients["sodium_mg"] = salt / 2.5 * 1e3  # salt is 2.5 times its sodium by weight
    if any(k not in nutrients for k in _MACROS):
        return "missing macros"
    for k, v in list(nutrients.items()):
        if not 0.0 <= v <= _limit(k):
            if k in _MACROS:
                return "implausible values"
            del nutrients[k]  # one bad micronutrient does not sink the product
    if nutrients["protein_g"] + nutrients["carbs_g"] + nutrients["fat_g"] > 100.5:
        return "implausible values"
    serving = _number(row.get("serving_quantity"))
    return Product(
        gtin=gtin,
        name=name,
        brand=_text(row.get("brands"), 120),
        category=_text(row.get("main_category_en") or row.get("main_category"), 80),
        nutrients={k: round(v, 6) for k, v in nutrients.items()},
        serving_g=serving if serving is not None and 0 < serving <= 5000 else None,
    )


class _Bounded(io.RawIOBase):
    """Reads at most `limit` bytes from `raw`, then reports the end of the file."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self.raw, self.left, self.hit = raw, limit, False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self.left <= 0:
            self.hit = True
            return 0
        view = memoryview(b)[: min(len(b), self.left)]
        n = self.raw.readinto(view) if hasattr(self.raw, "readinto") else 0
        self.left -= n or 0
        return n or 0


def _lines(stream: IO[str], report: ImportReport) -> Iterator[str]:
    while True:
        line = stream.readline(MAX_LINE)
        if not line:
            return
        if len(line) >= MAX_LINE and not line.endswith("\n"):
            report.skipped["line too long"] += 1
            while line and not line.endswith("\n"):  # skip the rest of that line
                line = stream.readline(MAX_LINE)
            continue
        yield line


def rows(
    path: Path, report: ImportReport, max_bytes: int = MAX_BYTES
) -> Iterator[Mapping[str, Any]]:
    raw: IO[bytes] = path.open("rb")
    try:
        if raw.read(2) == b"\x1f\x8b":
            raw.seek(0)
            raw = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        else:
            raw.seek(0)
        bounded = _Bounded(raw, max_bytes)
        text = io.TextIOWrapper(io.BufferedReader(bounded), encoding="utf-8", errors="replace")
        lines = _lines(text, report)
        first = next(lines, "").lstrip("\ufeff")
        if first.lstrip().startswith("{"):
            for line in itertools.chain([first], lines):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except (ValueError, RecursionError):
                    obj = None
                if isinstance(obj, dict):
                    yield obj
                else:
                    report.skipped["invalid JSON"] += 1
        elif first:
            # OFF's own export is tab-separated and unquoted; a comma-separated file is quoted.
            tabs = "\t" in first
            dialect: dict[str, Any] = (
                {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if tabs else {"delimiter": ","}
            )
            header = [h.strip() for h in next(csv.reader([first], **dialect))]
            if "code" not in header:
                raise ImportFileError("the CSV header has no 'code' column")
            for line in lines:
                if "\0" in line:
                    report.skipped["NUL byte"] += 1
                    continue
                try:
                    values = next(csv.reader([line], **dialect))
                except (csv.Error, StopIteration):
                    report.skipped["invalid CSV"] += 1
                    continue
                yield dict(zip(header, values, strict=False))
        report.truncated |= bounded.hit
    finally:
        raw.close()


def _food_row(p: Product) -> dict[str, Any]:
    return {
        "name": p.name,
        "brand": p.brand,
        "food_group": p.category,
        "nutrients": p.nutrients,
        **{k: p.nutrients.get(k) for k in COLUMN_FIELDS},
    }


async def _write(conn: AsyncConnection, batch: dict[str, Product], report: ImportReport) -> None:
    foods = Food.__table__  # type: ignore[attr-defined]
    portions = FoodPortion.__table__  # type: ignore[attr-defined]
    existing = {
        gtin: fid
        for gtin, fid in await conn.execute(
            sa.select(foods.c.gtin, foods.c.id).where(
                foods.c.owner_id.is_(None), foods.c.gtin.in_(list(batch))
            )
        )
    }
    new = [
        {
            "id": uuid.uuid4(),
            "source": "off",
            "code": gtin,
            "gtin": gtin,
            "owner_id": None,
            **_food_row(p),
        }
        for gtin, p in batch.items()
        if gtin not in existing
    ]
    if new:
        await conn.execute(sa.insert(foods), new)
    if existing:
        await conn.execute(
            sa.update(foods)
            .where(foods.c.id == sa.bindparam("b_id"))
            .values({k: sa.bindparam("b_" + k) for k in _food_row(next(iter(batch.values())))}),
            [
                {"b_id": fid, **{"b_" + k: v for k, v in _food_row(batch[gtin]).items()}}
                for gtin, fid in existing.items()
            ],
        )
        await conn.execute(
            sa.delete(portions).where(portions.c.food_id.in_(list(existing.values())))
        )
    ids = {**existing, **{r["gtin"]: r["id"] for r in new}}
    serving = [
        {
            "food_id": ids[gtin],
            "seq": 1,
            "amount": 1.0,
            "unit": "serving",
            "grams": p.serving_g,
            "description": f"1 serving ({p.serving_g:g} g)",
        }
        for gtin, p in batch.items()
        if p.serving_g is not None
    ]
    if serving:
        await conn.execute(sa.insert(portions), serving)
    report.inserted += len(new)
    report.updated += len(existing)


async def import_off(
    engine: AsyncEngine,
    path: Path,
    *,
    limit: int = MAX_PRODUCTS,
    max_bytes: int = MAX_BYTES,
) -> ImportReport:
    """Reads up to `limit` products from the export and stores them in one transaction."""
    report = ImportReport()
    seen: set[str] = set()
    batch: dict[str, Product] = {}
    async with engine.begin() as conn:
        for row in rows(path, report, max_bytes):
            if report.read >= limit:
                report.truncated = True
                break
            report.read += 1
            product = product_from(row)
            if isinstance(product, str):
                report.skipped[product] += 1
                continue
            if product.gtin in seen and product.gtin not in batch:
                # Seen in an earlier batch: write that one first so this one replaces it.
                await _write(conn, batch, report)
                batch = {}
            if product.gtin in batch:
                report.skipped["duplicate barcode (last one kept)"] += 1
            seen.add(product.gtin)
            batch[product.gtin] = product
            if len(batch) >= _BATCH:
                await _write(conn, batch, report)
                batch = {}
        if batch:
            await _write(conn, batch, report)
    log.info("Open Food Facts import from %s: %s", path.name, report)
    return report


async def import_off_cli(file: Path, limit: int) -> int:
    from app.core.config import get_settings
    from app.core.db import create_engine

    path = file.name
    engine = create_engine(get_settings())
    try:
        report = await import_off(engine, file, limit=limit)
    except ImportFileError as exc:
        print(f"cannot import {path}: {exc}")
        return 2
    finally:
        await engine.dispose()
    print(
        f"Open Food Facts: {report.read} products read, {report.inserted} added, "
        f"{report.updated} updated, {sum(report.skipped.values())} skipped"
        + (" (stopped at the limit)" if report.truncated else "")
    )
    for reason, n in report.skipped.most_common():
        print(f"  skipped {n}: {reason}")
    return 0
