"""LOG_FORMAT=json: one JSON object per line with the request's id, user, route, status and
duration; text for people."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest

from app.core import logconfig


@pytest.fixture
def captured():
    """The serve command's logging configuration, writing to a buffer instead of stdout."""

    def install(fmt: str) -> io.StringIO:
        config = logconfig.logging_config(fmt, "info")
        buf = io.StringIO()
        config["handlers"]["default"]["stream"] = buf
        logging.config.dictConfig(config)
        return buf

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield install
    root.handlers, root.level = saved[0], saved[1]


async def test_json_access_line_has_request_user_route_status_duration(captured, client, user):
    buf = captured("json")
    r = await client.get("/api/v1/users/me", headers={**user.headers, "X-Request-Id": "req-42"})
    assert r.status_code == 200
    logging.getLogger("nexfitra.test").warning("outside a request")
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "nexfitra.access"]
    assert len(access) == 1, lines
    line = access[0]
    assert line["level"] == "INFO"
    assert line["message"] == "GET /api/v1/users/me 200"
    assert line["request_id"] == "req-42"
    assert line["user_id"] == user.id
    assert line["route"] == "/api/v1/users/me"
    assert line["status"] == 200 and line["method"] == "GET"
    assert 0 < line["duration_ms"] < 10_000
    assert line["time"].endswith("+00:00") and line["time"][:2] == "20"
    other = lines[-1]
    assert other["message"] == "outside a request" and other["level"] == "WARNING"


async def test_json_line_of_an_anonymous_unmatched_request(captured, client):
    buf = captured("json")
    assert (await client.get("/nowhere")).status_code == 404
    lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    (line,) = [x for x in lines if x["logger"] == "nexfitra.access"]
    assert (line["route"], line["status"], line["user_id"]) == ("<unmatched>", 404, None)
    assert len(line["request_id"]) == 32


async def test_text_format(captured, client):
    buf = captured("text")
    r = await client.get("/health", headers={"X-Request-Id": "abc"})
    assert r.headers["x-request-id"] == "abc"
    (line,) = [x for x in buf.getvalue().splitlines() if "nexfitra.access" in x]
    assert line.endswith("INFO nexfitra.access [abc] GET /health 200"), line


def test_json_is_the_production_default():
    assert logconfig.effective_format(None, "production") == "json"
    assert logconfig.effective_format(None, "development") == "text"
    assert logconfig.effective_format("text", "production") == "text"
