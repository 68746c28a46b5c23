"""What the relay publishes is `outbox.envelope` of each row, on every backend: on PostgreSQL
the database renders the events as text, and that text must read back as the same events."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import sqlalchemy as sa

from app.core.eventbus import RS, US, split_lines
from app.events import outbox
from app.events.models import OutboxEvent
from tests.events.helpers import app_of, fresh_runtime, outbox_rows

# Strings the text form must carry intact: JSON's whitespace, quotes, backslashes, non-ASCII.
AWKWARD = 'tab\there, line\nbreak, "quoted" \\ back, crème brûlée, 🍣, \u2028'


async def test_relayed_events_are_the_rows_envelopes(client, user):
    res = app_of(client).state.resources
    user_id = uuid.UUID(user.id)
    made = [
        outbox.event_row(
            outbox.FOOD_LOGGED,
            user_id,
            {"description": AWKWARD, "kcal": 12.5, "n": 3, "none": None, "list": [1, "a"]},
            occurred_at=dt.datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=dt.UTC),
        ),
        outbox.event_row(
            outbox.FOOD_LOGGED,
            user_id,
            {"description": "second"},
            occurred_at=dt.datetime(2026, 3, 4, 5, 6, 8, tzinfo=dt.UTC),
        ),
    ]
    async with res.sessionmaker() as s:
        await s.execute(sa.insert(OutboxEvent), made)
        if s.get_bind().dialect.name == "postgresql":
            # A payload the database stored as written, with JSON's own whitespace (a SQL
            # function may build one): the text form must not be cut at its line breaks.
            await s.execute(
                sa.text(
                    "INSERT INTO event_outbox (id, type, version, user_id, occurred_at, payload) "
                    "VALUES (:id, 'FoodLogged', 1, :user_id, :at, CAST(:payload AS json))"
                ).bindparams(sa.bindparam("payload", type_=sa.String)),
                {
                    "id": uuid.uuid4(),
                    "user_id": user_id,
                    "at": dt.datetime(2026, 3, 4, 5, 6, 9, tzinfo=dt.UTC),
                    "payload": '{\n  "pretty": "yes",\n\t"n": 1\n}',
                },
            )
        await s.commit()
    rows = await outbox_rows(client)
    want = [outbox.envelope(r) for r in rows]
    rt = fresh_runtime(client)
    try:
        await rt.bus.ensure_group("probe")
        assert await rt.relay_now() == len(rows)
        seen = [d.event for d in await rt.bus.read("probe", "c1", count=10, block_ms=0)]
    finally:
        await rt.bus.close()
    assert len(seen) == len(rows) >= 2
    for got, expected in zip(seen, want, strict=True):
        # The instant, whatever the number of fraction digits it is written with.
        assert dt.datetime.fromisoformat(got.pop("occurred_at")) == dt.datetime.fromisoformat(
            expected.pop("occurred_at")
        )
        assert got == json.loads(json.dumps(expected))
    assert seen[0]["payload"]["description"] == AWKWARD


def test_split_lines_reads_the_text_form():
    body = {"id": "e1", "user_id": "u1", "payload": {"s": AWKWARD}}
    text = f"e1{US}u1{US}{json.dumps(body, indent=1)}{RS}e2{US}u2{US}{json.dumps({'id': 'e2'})}"
    assert split_lines(text) == [body, {"id": "e2"}]
    assert split_lines("") == []
