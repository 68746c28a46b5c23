"""How the Redis bus cuts `publish_lines`'s text into events (core/eventbus._PUBLISH_LINES):
every well-formed record is published once, to the main stream and its user's stream, with its
body intact; empty records and records without both separators are skipped."""

from __future__ import annotations

import json
import uuid

import pytest

from app.core.eventbus import RS, US, RedisEventBus
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "server", reason="the Redis bus's script")


async def test_publish_lines_cuts_each_record_at_its_separators(client):
    redis = client._transport.app.state.resources.redis
    tag = uuid.uuid4().hex
    bus = RedisEventBus(redis, stream=f"test:ev:{tag}")
    u1, u2 = f"u1-{tag}", f"u2-{tag}"
    first = {"id": f"a-{tag}", "user_id": u1, "payload": {"s": 'tab\t "q" \\ é 🍣', "n": [1, 2]}}
    second = {"id": f"b-{tag}", "user_id": u2, "payload": {}}
    text = RS.join(
        [
            "",  # an empty record (a leading separator)
            f"{first['id']}{US}{u1}{US}{json.dumps(first, indent=1)}",
            f"no-separators-{tag}",
            f"one-separator-{tag}{US}{u1}",
            "",
            f"{second['id']}{US}{u2}{US}{json.dumps(second)}",
        ]
    )
    try:
        assert await bus.publish_lines(text + RS) == 2
        # The same events again: already published, nothing is appended.
        assert await bus.publish_lines(text) == 0
        main = await redis.xrange(bus.stream)
        assert [json.loads(f[b"e"]) for _, f in main] == [first, second]
        assert main[0][1][b"e"].decode() == json.dumps(first, indent=1)
        for user, event in ((u1, first), (u2, second)):
            mine = await redis.xrange(f"nf:ev:u:{user}")
            assert [json.loads(f[b"e"]) for _, f in mine] == [event]
            assert await redis.ttl(f"nf:ev:u:{user}") > 0
    finally:
        await redis.delete(bus.stream, f"nf:ev:u:{u1}", f"nf:ev:u:{u2}")
