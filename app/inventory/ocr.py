"""Receipt photos to text: Tesseract OCR when installed, else the LLM's vision input.

Every image is hostile until proven otherwise: its bytes are bounded before decoding, its
format is sniffed (only JPEG and PNG), its pixel count is checked from the header before any
pixel is decoded (Pillow's decompression-bomb guard is turned into an error, not a warning),
and decoding runs off the event loop. Tesseract runs as a subprocess with a timeout.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.errors import AppError, Unprocessable
from app.llm.client import LLMClient, LLMError

if TYPE_CHECKING:
    from PIL import Image

# Pillow and pytesseract are imported where an image is read, not with the app: together they
# cost about 0.1 s of CPU at every start, for a route few requests take.

MAX_IMAGE_BYTES = 10 * 1024 * 1024
# A phone photo is 12-50 MP; a receipt needs far less. Beyond this: refused before decoding.
MAX_PIXELS = 50_000_000
# Long side the image is scaled down to before OCR (a receipt line stays legible).
OCR_MAX_SIDE = 3000
OCR_TIMEOUT_S = 60
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
_MAGIC = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"))
# OCR is CPU work: at most this many images at once per process.
_OCR_SLOTS = asyncio.Semaphore(2)


class UnsupportedImage(AppError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"


class OcrUnavailable(AppError):
    status, code, title = 415, "ocr-unavailable", "Receipt photos cannot be read here"


class ImageTooLarge(AppError):
    status, code, title = 413, "image-too-large", "Image too large"


class UnreadableImage(Unprocessable):
    code, title = "unreadable-image", "Unreadable image"


def sniff(data: bytes) -> str | None:
    for magic, fmt in _MAGIC:
        if data.startswith(magic):
            return fmt
    return None


def load_image(data: bytes) -> Image.Image:
    """A decoded, grey-scale, upright image of at most OCR_MAX_SIDE pixels a side."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_IMAGE_BYTES:
        raise ImageTooLarge(f"An image may be at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    fmt = sniff(data)
    if fmt is None:
        raise UnsupportedImage("Receipt images must be JPEG or PNG")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = opened.size  # from the header: nothing decoded yet
            if width * height > MAX_PIXELS:
                raise ImageTooLarge(
                    f"The image is {width}x{height} pixels; at most {MAX_PIXELS:,} are read"
                )
            opened.draft("L", (OCR_MAX_SIDE, OCR_MAX_SIDE))  # JPEG: decode at a reduced scale
            opened.load()
            im: Image.Image = ImageOps.exif_transpose(opened) or opened
            im = im.convert("L")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(f"The image has too many pixels: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImage(f"The {fmt} image could not be decoded: {exc}") from exc
    im.thumbnail((OCR_MAX_SIDE, OCR_MAX_SIDE))
    return im


# OCR's usual confusions in receipt units, only right after a number: "2 Ib" and "2 |b" are
# "2 lb", "12 0z" is "12 oz".
_OCR_UNITS = (
    (re.compile(r"(?<=\d)(\s*)[I|1l][bB]s?\b"), r"\1lb"),
    (re.compile(r"(?<=\d)(\s*)[0O][zZ]\b"), r"\1oz"),
)


def clean_ocr_text(text: str) -> str:
    for rx, repl in _OCR_UNITS:
        text = rx.sub(repl, text)
    return text


@dataclass
class ReadText:
    text: str
    read_by: str  # "tesseract" or "llm"


def tesseract_path(configured: str | None) -> str | None:
    return shutil.which(configured or "tesseract")


def _tesseract(im: Image.Image, cmd: str) -> str:
    import pytesseract

    pytesseract.pytesseract.tesseract_cmd = cmd
    try:
        # psm 6: one uniform block of text, which is what a receipt is.
        return str(pytesseract.image_to_string(im, config="--psm 6", timeout=OCR_TIMEOUT_S))
    except (RuntimeError, pytesseract.TesseractError) as exc:
        raise UnreadableImage(f"OCR failed: {exc}") from exc


def _png(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, format="PNG", optimize=True)
    return out.getvalue()


async def read_receipt(
    data: bytes, *, tesseract_cmd: str | None, llm: LLMClient | None, llm_vision: bool
) -> ReadText:
    """The text of a receipt photo. 415 `ocr-unavailable` naming what to install when neither
    Tesseract nor an LLM with vision is available."""
    cmd = tesseract_path(tesseract_cmd)
    vision = llm if llm is not None and llm_vision else None
    if cmd is None and vision is None:
        raise OcrUnavailable(
            "Reading receipt photos needs Tesseract OCR on the server (Debian/Ubuntu: "
            "`apt-get install tesseract-ocr`; or set TESSERACT_CMD to its path), or an LLM with "
            "vision input (LLM_BASE_URL or LLM_API_KEY, and LLM_VISION=true). Receipts as text "
            'work without either: POST {"text": ...} as JSON.'
        )
    async with _OCR_SLOTS:
        im = await asyncio.to_thread(load_image, data)
        if cmd is not None:
            text = await asyncio.to_thread(_tesseract, im, cmd)
            return ReadText(clean_ocr_text(text), "tesseract")
        assert vision is not None
        png = await asyncio.to_thread(_png, im)
    try:
        return ReadText(await vision.read_receipt_image(png), "llm")
    except LLMError as exc:
        raise UnreadableImage(f"The LLM could not read the image ({exc.reason}): {exc}") from exc
