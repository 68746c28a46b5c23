"""Barcodes: UPC-A, EAN-8, EAN-13 (and GTIN-14) validated by their check digit and stored as
the 14-digit GTIN, so "036000291452" (UPC-A) and "0036000291452" (EAN-13) are one product."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s-]")
GTIN_LENGTHS = (8, 12, 13, 14)


class InvalidGTIN(ValueError):
    pass


def check_digit(body: str) -> int:
    """GS1 check digit for the digits before it: weights 3, 1, 3 ... from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize_gtin(code: str) -> str:
    """The 14-digit GTIN of a UPC-A/EAN-8/EAN-13/GTIN-14 code; raises InvalidGTIN."""
    digits = _SEPARATORS.sub("", code)
    if not digits.isascii() or not digits.isdigit() or len(digits) not in GTIN_LENGTHS:
        raise InvalidGTIN("a barcode is 8, 12, 13 or 14 digits (EAN-8, UPC-A, EAN-13, GTIN-14)")
    if check_digit(digits[:-1]) != int(digits[-1]):
        raise InvalidGTIN(f"check digit of {digits} is wrong (expected {check_digit(digits[:-1])})")
    if set(digits) == {"0"}:
        raise InvalidGTIN("all-zero barcode")
    return digits.zfill(14)
