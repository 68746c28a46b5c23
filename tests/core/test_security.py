from __future__ import annotations

import uuid

import pytest

from app.core import security
from app.core.config import Settings
from app.core.security import InvalidToken, create_token, decode_access_token

ME = "/api/v1/users/me"


def _settings(secret: str) -> Settings:
    return Settings(environment="test", jwt_secret=secret + "x" * 40, redis_url=None)


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def test_cached_access_token_still_expires(monkeypatch):
    settings = _settings("clock")
    token, minted = create_token(settings, uuid.uuid4(), "access")
    claims = decode_access_token(settings, token)  # now cached
    assert (claims.sub, claims.jti) == (minted.sub, minted.jti)
    exp = claims.exp.timestamp()
    assert exp == int(minted.exp.timestamp())
    monkeypatch.setattr(security, "time", _Clock(exp + 0.9))
    assert decode_access_token(settings, token) == claims  # valid through its last second
    monkeypatch.setattr(security, "time", _Clock(exp + 1))
    with pytest.raises(InvalidToken, match="expired"):
        decode_access_token(settings, token)


def test_cached_access_token_is_bound_to_the_secret():
    user_id = uuid.uuid4()
    token, _ = create_token(_settings("one"), user_id, "access")
    assert decode_access_token(_settings("one"), token).sub == user_id
    with pytest.raises(InvalidToken):
        decode_access_token(_settings("two"), token)


def test_refresh_token_is_not_accepted_as_access_even_after_caching():
    settings = _settings("typ")
    refresh, _ = create_token(settings, uuid.uuid4(), "refresh")
    for _ in range(2):
        with pytest.raises(InvalidToken, match="access"):
            decode_access_token(settings, refresh)


async def test_api_refuses_a_cached_token_once_it_expired(client, user, monkeypatch):
    assert (await client.get(ME, headers=user.headers)).status_code == 200
    monkeypatch.setattr(security, "time", _Clock(2**40))
    r = await client.get(ME, headers=user.headers)
    assert r.status_code == 401, r.text
