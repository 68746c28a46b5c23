"""Time-ordered ids (app/core/ids.py): RFC 9562 version 7, the time first."""

from __future__ import annotations

import time
import uuid

from app.core.ids import uuid7


def test_uuid7_layout_and_order() -> None:
    before_ms = time.time_ns() // 1_000_000
    first = [uuid7() for _ in range(200)]
    time.sleep(0.002)
    later = uuid7()
    after_ms = time.time_ns() // 1_000_000
    assert {i.version for i in first} == {7}
    assert {i.variant for i in first} == {uuid.RFC_4122}
    assert all(before_ms <= i.int >> 80 <= after_ms for i in first)
    assert len(set(first)) == 200  # 74 random bits per id
    assert max(first) < later  # a later millisecond sorts after
    # The text form is a plain UUID, read back the same.
    assert uuid.UUID(str(later)) == later
