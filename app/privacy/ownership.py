"""Which rows belong to a user, worked out from the SQLAlchemy metadata alone.

A table is the user's when it has a foreign key to `users`, or to a table that is the user's
(a custom food's portions, a notification's deliveries). New tables join the export and the
erasure without anyone editing a list; tests/privacy checks that they do.

A foreign key declared ON DELETE SET NULL marks a row that mentions the user without being
theirs (an audit entry of an operator's action): it is exported, and erasure only detaches it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa
from sqlmodel import SQLModel

Condition = Callable[[uuid.UUID], sa.ColumnElement[bool]]

# Columns never exported: credentials and the digests of tokens and codes.
_SECRET_NAMES = frozenset({"password_hash", "secret", "webhook_secret"})
_SECRET_SUFFIXES = ("_hash", "_secret", "_enc")  # _enc: encrypted tracker tokens


def is_secret(column: sa.Column[object]) -> bool:
    return bool(
        column.info.get("secret")
        or column.name in _SECRET_NAMES
        or column.name.endswith(_SECRET_SUFFIXES)
    )


@dataclass
class UserTable:
    table: sa.Table
    owns: list[Condition] = field(default_factory=list)
    mentions: list[Condition] = field(default_factory=list)

    def owned(self, user_id: uuid.UUID) -> sa.ColumnElement[bool]:
        return sa.or_(sa.false(), *(c(user_id) for c in self.owns))

    def exported(self, user_id: uuid.UUID) -> sa.ColumnElement[bool]:
        return sa.or_(sa.false(), *(c(user_id) for c in self.owns + self.mentions))


def _direct(column: sa.Column[object]) -> Condition:
    return lambda uid: column == uid


def _through(column: sa.Column[object], parent: UserTable, target: sa.Column[object]) -> Condition:
    return lambda uid: column.in_(sa.select(target).where(parent.owned(uid)))


def user_tables(metadata: sa.MetaData | None = None) -> list[UserTable]:
    """Every table holding the user's rows (the users table first), parents before children."""
    metadata = metadata or SQLModel.metadata
    return list(_user_tables(metadata))


@lru_cache(maxsize=4)
def _user_tables(metadata: sa.MetaData) -> tuple[UserTable, ...]:
    users = metadata.tables["users"]
    (pk,) = users.primary_key.columns
    found: list[UserTable] = [UserTable(users, owns=[_direct(pk)])]
    # Tables whose rows the user owns; rows referencing those are the user's too.
    owners: dict[str, UserTable] = {"users": found[0]}
    # sorted_tables puts every referenced table before the tables referencing it.
    for table in metadata.sorted_tables:
        if table is users:
            continue
        entry = UserTable(table)
        for fk in table.foreign_keys:
            parent = owners.get(fk.column.table.name)
            if parent is None:
                continue
            if fk.constraint is not None and len(fk.constraint.columns) != 1:
                raise NotImplementedError(f"composite foreign key on {table.name}")
            cond = (
                _direct(fk.parent)
                if fk.column.table is users
                else _through(fk.parent, parent, fk.column)
            )
            if (fk.ondelete or "").upper() == "SET NULL":
                if fk.column.table is users:
                    entry.mentions.append(cond)
            else:
                entry.owns.append(cond)
        if entry.owns:
            owners[table.name] = entry
        if entry.owns or entry.mentions:
            found.append(entry)
    return tuple(found)
