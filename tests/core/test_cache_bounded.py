"""Redis cache hashes stay bounded, and a log write needs no Redis invalidation: readers key
their entries by users.cache_version, which the insert's own statement bumps."""

from __future__ import annotations

import uuid

import pytest

from app.core.cache import MAX_FIELDS, user_scope
from tests.conftest import BACKEND
from tests.logs.helpers import add_log

pytestmark = pytest.mark.skipif(BACKEND != "server", reason="needs the Redis of the server backend")

DAILY = "/api/v1/summaries/daily"


async def test_a_full_hash_restarts_from_its_version(app):
    cache = app.state.resources.cache
    scope = f"bounded:{uuid.uuid4()}"
    key = cache.prefix + scope
    _, version = await cache.get(scope, "k0")
    for i in range(MAX_FIELDS + 5):
        await cache.put(scope, f"k{i}", f"v{i}", version)
    fields = await cache.client.hgetall(key)
    # The version field plus at most MAX_FIELDS entries, and the newest entry survives.
    assert len(fields) <= MAX_FIELDS + 1
    assert (await cache.get(scope, f"k{MAX_FIELDS + 4}"))[0] == f"v{MAX_FIELDS + 4}"
    assert fields[b"_v"].decode() == version
    await cache.client.delete(key)


async def test_a_log_write_leaves_the_hash_yet_the_next_read_sees_it(client, app, user):
    cache = app.state.resources.cache
    key = cache.prefix + user_scope(user.id)
    await add_log(client, user, date="2024-05-06", kcal=100)
    r = await client.get(DAILY, params={"date": "2024-05-06"}, headers=user.headers)
    assert r.status_code == 200
    assert r.json()["totals"]["kcal"] == 100
    before = await cache.client.hgetall(key)
    assert before, "the summary was cached in Redis"

    await add_log(client, user, date="2024-05-06", kcal=221)
    # The write dropped nothing in Redis...
    assert await cache.client.hgetall(key) == before
    # ...and the next read still sees it, under the bumped version.
    r = await client.get(DAILY, params={"date": "2024-05-06"}, headers=user.headers)
    assert r.json()["totals"]["kcal"] == 321
