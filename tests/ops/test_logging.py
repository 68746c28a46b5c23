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


def test_access_record_is_the_record_logger_info_makes():
    """The middleware's cheap record (logconfig.access_record) carries what makeRecord would,
    under the switches configure() turns off and with them on."""
    logger = logging.getLogger("nexfitra.access")
    fields = {"method": "GET", "path": "/x", "route": "/x", "status": 200, "duration_ms": 1.5}
    saved = logging.logThreads, logging.logProcesses, logging.logMultiprocessing
    try:
        for switches in ((True, True, True), (False, False, False)):
            logging.logThreads, logging.logProcesses, logging.logMultiprocessing = switches
            usual = logger.makeRecord(
                logger.name,
                logging.INFO,
                __file__,
                0,
                "%s %s %d",
                ("GET", "/x", 200),
                None,
                extra=fields,
            ).__dict__
            cheap = logconfig.access_record(
                logger, __file__, "%s %s %d", ("GET", "/x", 200), fields
            ).__dict__
            assert cheap.pop(logconfig.ACCESS_FIELDS) == fields
            timing = ("created", "msecs", "relativeCreated")
            assert {k: v for k, v in cheap.items() if k not in timing} == {
                k: v for k, v in usual.items() if k not in timing
            }
            assert 0 <= cheap["created"] - usual["created"] < 5
    finally:
        logging.logThreads, logging.logProcesses, logging.logMultiprocessing = saved


@pytest.mark.parametrize(
    "created",
    [
        0.0,
        1.5,
        1733212800.0,
        1733212800.000001,
        1733212800.9999996,
        1733212859.9999999,
        1764748800.123456,
        1764748800.1234565,
        1764748800.5,
        2000000000.999999,
    ],
)
def test_access_line_time_is_isoformat(created):
    import datetime as dt

    assert logconfig._iso_utc(created) == dt.datetime.fromtimestamp(created, dt.UTC).isoformat()
    logconfig._second[0] = None  # also from a cold start of the reused second
    assert logconfig._iso_utc(created) == dt.datetime.fromtimestamp(created, dt.UTC).isoformat()


def test_access_line_time_matches_isoformat_over_many_instants():
    import datetime as dt
    import random

    rng = random.Random(16)
    for _ in range(20000):
        created = rng.uniform(1.7e9, 1.8e9)
        assert logconfig._iso_utc(created) == dt.datetime.fromtimestamp(created, dt.UTC).isoformat()


def test_direct_access_line_is_the_line_logging_writes(captured):
    """Under the serve configuration the middleware writes its line straight to the handler
    (logconfig.write_access); it is the line Logger.handle writes for the same record."""
    import uuid

    buf = captured("json")
    logger = logging.getLogger("nexfitra.access")
    assert logconfig._sole_json_handler(logger) is not None
    fields = {"method": "POST", "path": '/a "b"\u00e9', "route": "/a", "status": 201}
    fields["duration_ms"] = 0.1
    rid, uid = logconfig.REQUEST_ID.set("r\u00e9q"), logconfig.USER_ID.set(uuid.uuid4())
    try:
        logconfig.write_access(logger, __file__, "%s %s %d", ("POST", fields["path"], 201), fields)
        logger.handle(
            logconfig.access_record(
                logger, __file__, "%s %s %d", ("POST", fields["path"], 201), fields
            )
        )
    finally:
        logconfig.REQUEST_ID.reset(rid)
        logconfig.USER_ID.reset(uid)
    direct, usual = buf.getvalue().splitlines()
    cut = direct.index('"time": ')
    assert direct[:cut] == usual[:cut]
    assert json.loads(direct).keys() == json.loads(usual).keys()


def test_access_line_goes_through_logging_under_another_configuration(captured):
    """A second handler or the text format: the usual path, which every handler sees."""
    buf = captured("json")
    logger = logging.getLogger("nexfitra.access")
    fields = {"method": "GET", "path": "/x", "route": "/x", "status": 200, "duration_ms": 1.0}

    class Keep(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.records: list[logging.LogRecord] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record)

    keep = Keep()
    logging.getLogger("nexfitra").addHandler(keep)
    try:
        assert logconfig._sole_json_handler(logger) is None
        logconfig.write_access(logger, __file__, "%s %s %d", ("GET", "/x", 200), fields)
    finally:
        logging.getLogger("nexfitra").removeHandler(keep)
    assert [r.getMessage() for r in keep.records] == ["GET /x 200"]
    assert json.loads(buf.getvalue())["message"] == "GET /x 200"
    buf = captured("text")
    assert logconfig._sole_json_handler(logger) is None
    logconfig.write_access(logger, __file__, "%s %s %d", ("GET", "/x", 200), fields)
    assert buf.getvalue().rstrip().endswith("INFO nexfitra.access [None] GET /x 200")
