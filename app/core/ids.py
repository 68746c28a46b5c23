"""Time-ordered ids for rows written in bulk (RFC 9562 UUID version 7).

A random (version 4) primary key puts each new row at a random leaf of its index; a logged
workout's 20 sets touched 20 scattered leaves of `workout_sets_pkey` and, through the
workout's id, a random leaf of `ix_workout_sets_workout`. Once those indexes outgrow shared
buffers every such touch may be a read, and after each checkpoint a full page image in the
WAL. Ids that start with the time land on the indexes' right edges instead. Nothing reads a
time or an order from them: they are still opaque UUIDs. PostgreSQL's `workout_log` makes
its set ids with the same layout (`nexfitra_uuid7()`, migration 0018).
"""

from __future__ import annotations

import os
import time
import uuid

_RAND_A = 0xFFF  # 12 random bits after the version
_RAND_B = (1 << 62) - 1  # 62 random bits after the variant


def uuid7() -> uuid.UUID:
    """48 bits of Unix time in milliseconds, version 7, 74 random bits."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        (ms & 0xFFFF_FFFF_FFFF) << 80
        | 0x7 << 76
        | ((rand >> 64) & _RAND_A) << 64
        | 0b10 << 62
        | (rand & _RAND_B)
    )
    return uuid.UUID(int=value)
