"""Phone numbers: parsing and normalisation to E.164 with Google's libphonenumber rules."""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, Field


def normalise_phone(value: str) -> str:
    """ "+49 151 1234-5678" -> "+4915112345678". Only international numbers (with "+" and the
    country code) are accepted: there is no default region to guess from."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(
            "not a phone number; use the international form, e.g. +4915112345678"
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


Phone = Annotated[
    str,
    Field(min_length=4, max_length=32, examples=["+4915112345678"]),
    AfterValidator(normalise_phone),
]
