"""Receipt photos: rendered here with Pillow, read by Tesseract (or the LLM's vision input),
previewed line by line, then confirmed; hostile images refused early."""

from __future__ import annotations

import io
import os
import shutil
import struct
import zlib

import pytest
from PIL import Image, ImageDraw, ImageFont

from app.foods.dataset import food_uuid
from tests.conftest import assert_problem, create_user
from tests.inventory.helpers import inventory_by_food
from tests.llm.fake_openai import FakeOpenAI

LENTILS_RAW = str(food_uuid("16069"))
EGG = str(food_uuid("01123"))
URL = "/api/v1/inventory/receipt"

requires_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None and not os.environ.get("CI"),
    reason="tesseract-ocr is not installed (CI installs it)",
)


def receipt_image(lines: list[str], fmt: str = "JPEG", size: int = 40) -> bytes:
    """A clean receipt: black words on white, a font size apart so OCR keeps the spaces."""
    font = ImageFont.load_default(size=size)
    step = int(size * 1.8)
    im = Image.new("L", (1200, step * len(lines) + 60), 255)
    draw = ImageDraw.Draw(im)
    for i, line in enumerate(lines):
        x = 40
        for word in line.split():
            draw.text((x, 30 + step * i), word, fill=0, font=font)
            x += int(draw.textlength(word, font=font)) + size
    out = io.BytesIO()
    im.save(out, format=fmt)
    return out.getvalue()


RECEIPT = ["FRESH MART", "2 lb lentils 3.49", "12 eggs 2.99", "TOTAL 6.48"]


@requires_tesseract
async def test_photo_is_read_previewed_and_confirmed(client, user):
    files = {"image": ("receipt.jpg", receipt_image(RECEIPT), "image/jpeg")}
    r = await client.post(URL, files=files, data={"expires_on": "2030-03-01"}, headers=user.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "pending" and body["read_by"] == "tesseract"
    assert "2 lb lentils" in body["text"]
    matched = [line for line in body["lines"] if line["status"] == "matched"]
    assert [(m["food_id"], m["grams"]) for m in matched] == [(LENTILS_RAW, 907.2), (EGG, 528.0)]
    assert all(0 < m["confidence"] <= 1 for m in matched)
    assert "TOTAL 6.48" in body["unrecognised"]
    # The shop's name is no food: shown, never stored by default.
    assert body["lines"][0]["line"] == "FRESH MART"
    assert body["lines"][0]["status"] in ("unrecognised", "uncertain")
    # Nothing stored until confirmed.
    assert await inventory_by_food(client, user) == {}
    r = await client.post(f"{URL}/{body['receipt_id']}/confirm", headers=user.headers)
    assert r.status_code == 201, r.text
    stock = await inventory_by_food(client, user)
    assert stock[LENTILS_RAW]["grams"] == 907.2
    assert stock[EGG]["expires_on"] == "2030-03-01"


@requires_tesseract
async def test_raw_png_body(client, user):
    png = receipt_image(["12 eggs"], fmt="PNG")
    r = await client.post(URL, content=png, headers={**user.headers, "Content-Type": "image/png"})
    assert r.status_code == 200, r.text
    (line,) = r.json()["lines"]
    assert (line["food_id"], line["grams"]) == (EGG, 528.0)


async def test_without_ocr_answers_415_saying_what_to_install(client_factory):
    async with client_factory(tesseract_cmd="/nonexistent/tesseract") as c:
        user = await create_user(c)
        files = {"image": ("r.png", receipt_image(["12 eggs"], "PNG"), "image/png")}
        body = assert_problem(
            await c.post(URL, files=files, headers=user.headers), 415, "ocr-unavailable"
        )
        assert "apt-get install tesseract-ocr" in body["detail"]
        assert "LLM_VISION" in body["detail"]
        # Text receipts still work.
        r = await c.post(URL, json={"text": "12 eggs"}, headers=user.headers)
        assert r.status_code == 201, r.text


async def test_llm_vision_reads_the_photo_when_tesseract_is_missing(client_factory):
    fake = FakeOpenAI(content="2 lb lentils 3.49\n12 eggs 2.99")
    await fake.start()
    try:
        async with client_factory(
            tesseract_cmd="/nonexistent/tesseract",
            llm_base_url=fake.base_url,
            llm_vision=True,
            llm_max_retries=0,
        ) as c:
            user = await create_user(c)
            files = {"image": ("r.png", receipt_image(RECEIPT, "PNG"), "image/png")}
            r = await c.post(URL, files=files, headers=user.headers)
    finally:
        await fake.close()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["read_by"] == "llm"
    assert [line["food_id"] for line in body["lines"]] == [LENTILS_RAW, EGG]
    (request,) = fake.requests
    parts = request.body["messages"][1]["content"]
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@requires_tesseract
async def test_hostile_images_are_refused_early(client, user):
    def post(data: bytes, kind: str = "image/png"):
        return client.post(URL, content=data, headers={**user.headers, "Content-Type": kind})

    # 60000 x 60000 pixels claimed: refused from the header, before decoding.
    body = assert_problem(await post(png_header_only(60_000, 60_000)), 413, "image-too-large")
    assert "60000x60000" in body["detail"] or "pixels" in body["detail"]
    # Over the byte limit.
    assert_problem(await post(b"\x89PNG\r\n\x1a\n" + b"\x00" * (11 * 1024 * 1024)), 413)
    # Not a JPEG or PNG, whatever the header says.
    assert_problem(await post(b"GIF89a" + b"\x00" * 100), 415, "unsupported-media-type")
    assert_problem(await post(b"hello", "text/plain"), 415)
    # A truncated JPEG.
    jpeg = receipt_image(["12 eggs"])
    assert_problem(await post(jpeg[:200], "image/jpeg"), 422, "unreadable-image")
    # A multipart body without the image field.
    r = await client.post(
        URL, data={"expires_on": "2030-01-01"}, files={"x": ("a", b"b")}, headers=user.headers
    )
    assert_problem(r, 422)
    assert await inventory_by_food(client, user) == {}


async def test_json_receipt_validation_still_problem_json(client, user):
    r = await client.post(URL, json={"text": ""}, headers=user.headers)
    assert_problem(r, 422)
    r = await client.post(URL, json={"text": "12 eggs", "bogus": 1}, headers=user.headers)
    assert_problem(r, 422)
