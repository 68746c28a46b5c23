from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class DeleteAccountIn(BaseModel):
    password: Annotated[str | None, Field(default=None, max_length=128)] = None
    code: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[0-9]{6}$",
            description="For accounts without a password: a code sent to the account's phone",
        ),
    ] = None

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"password": "correct horse"}]}
    )
