"""Logging: LOG_FORMAT=json (one object per line, python-json-logger) or text.

Every record carries the request id and user id of the request it was written in (context
variables set by the HTTP middleware and the auth dependency), so a line can be traced back to a
request without passing either around. The serve command hands `logging_config()` to uvicorn, so
its own loggers format the same way in every worker.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import logging.config
import math
import os
import sys
import threading
import time
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

REQUEST_ID: ContextVar[str | None] = ContextVar("nexfitra_request_id", default=None)
USER_ID: ContextVar[Any] = ContextVar("nexfitra_user_id", default=None)

JSON_FIELDS = ("levelname", "name", "message")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class ContextFilter(logging.Filter):
    """Adds `request_id` and `user_id` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        if not hasattr(record, "user_id"):
            uid = USER_ID.get()
            record.user_id = None if uid is None else str(uid)
        return True


# Set by the HTTP middleware on its access records: the line's own fields, all JSON scalars.
ACCESS_FIELDS = "access_fields"
_UTC = dt.UTC


class JsonFormatter(_LibraryJsonFormatter):
    """python-json-logger's formatter, with a short path for the access line of every request.

    The library builds each line generically (every record attribute checked against its
    reserved names, renames looked up per field, a datetime through its default hook); that was a
    third of what NexFitra added to a `/health` request. An access record carries its fields
    ready (`ACCESS_FIELDS`), has no exception and a plain message, so its line is assembled
    directly, with the same keys in the same order as the library writes them."""

    def format(self, record: logging.LogRecord) -> str:
        fields = record.__dict__.get(ACCESS_FIELDS)
        if fields is None or record.exc_info or record.stack_info:
            return super().format(record)
        return _access_line(
            record.levelname,
            record.name,
            record.getMessage(),
            fields,
            getattr(record, "request_id", None),
            getattr(record, "user_id", None),
            record.created,
        )


def _access_line(
    levelname: str,
    name: str,
    message: str,
    fields: dict[str, Any],
    request_id: Any,
    user_id: Any,
    created: float,
) -> str:
    """The JSON formatter's line for an access record (`JsonFormatter.format`)."""
    text = _json_text
    line = f'{{"level": {text(levelname)}, "logger": {text(name)}, "message": {text(message)}'
    for key, value in fields.items():
        line += f", {text(key)}: {_json_scalar(value)}"
    return (
        f'{line}, "request_id": {_json_scalar(request_id)}, "user_id": '
        f'{_json_scalar(user_id)}, "time": "{_iso_utc(created)}"}}'
    )


_second: list[Any] = [None, ""]  # the last whole second formatted, and its text


def _iso_utc(created: float) -> str:
    """`datetime.fromtimestamp(created, UTC).isoformat()`, with the text of the second reused
    between lines: the same rounding (half to even, to the microsecond) and the same omission
    of a zero fraction, at a third of the cost."""
    sec = math.floor(created)
    us = round((created - sec) * 1e6)
    if us >= 1_000_000:
        sec, us = sec + 1, us - 1_000_000
    if _second[0] != sec:
        _second[1] = dt.datetime.fromtimestamp(sec, _UTC).isoformat()[:19]
        _second[0] = sec
    if us:
        return f"{_second[1]}.{us:06d}+00:00"
    return f"{_second[1]}+00:00"


# json.dumps spelled out for the scalars of an access line: the same text (ASCII, `": "` and
# `", "` separators) at a third of the cost of encoding a dict.
_json_text = json.encoder.encode_basestring_ascii


def _json_scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _json_text(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)  # what json.dumps writes for a finite float
    return json.dumps(value)


_LogRecord = logging.LogRecord


def access_record(
    logger: logging.Logger,
    pathname: str,
    msg: str,
    args: tuple[Any, ...],
    fields: dict[str, Any],
) -> logging.LogRecord:
    """The INFO record `logger.info(msg, *args, extra=fields)` would make, from the
    middleware (one per request), with `ACCESS_FIELDS` set for the formatter's short path.

    `Logger.makeRecord` spends most of its time on what is the same for every access record
    (the level's name, the source path split into file and module); those attributes are
    copied from a record made once, and only the time, the arguments and the fields are new.
    With a record factory other than `LogRecord` installed, the factory makes the record."""
    if not _SAME_RECORD or logging.getLogRecordFactory() is not _LogRecord:
        record = logger.makeRecord(logger.name, logging.INFO, pathname, 0, msg, args, None)
        record.__dict__.update(fields)
        record.__dict__[ACCESS_FIELDS] = fields
        return record
    record = _LogRecord.__new__(_LogRecord)
    d = record.__dict__
    d.update(_constant_fields(logger.name, pathname, msg))
    d["args"] = args
    ct = time.time()  # LogRecord's own formulas (3.11 and 3.12; 3.13 changed them)
    d["created"] = ct
    d["msecs"] = int((ct - int(ct)) * 1000) + 0.0
    d["relativeCreated"] = (ct - logging._startTime) * 1000  # type: ignore[attr-defined]
    # What LogRecord records of the thread, process and task, by the same switches.
    if logging.logThreads:
        d["thread"] = threading.get_ident()
        d["threadName"] = threading.current_thread().name
    else:
        d["thread"] = d["threadName"] = None
    d["processName"] = _process_name() if logging.logMultiprocessing else None
    d["process"] = os.getpid() if logging.logProcesses else None
    if _HAS_TASK_NAME:
        d["taskName"] = _task_name() if getattr(logging, "logAsyncioTasks", False) else None
    d.update(fields)
    d[ACCESS_FIELDS] = fields
    return record


def write_access(
    logger: logging.Logger,
    pathname: str,
    msg: str,
    args: tuple[Any, ...],
    fields: dict[str, Any],
) -> None:
    """`logger.handle(access_record(logger, pathname, msg, args, fields))` for an INFO record
    the caller checked `logger` is enabled for: the same line, written the same way.

    Under the serve configuration (one StreamHandler with the JSON formatter and the context
    filter, reached from `logger` through no filter) the line is formatted and written straight
    to that handler's stream, under its lock, flushed: the record, the trip through
    Logger.handle, callHandlers, Handler.handle, the filter and emit cost each request several
    microseconds for a line fixed by this module. Any other configuration (another handler, a
    filter, the text format, a test's capture) takes the usual path."""
    handler = _sole_json_handler(logger)
    if handler is None or "request_id" in fields or "user_id" in fields:
        logger.handle(access_record(logger, pathname, msg, args, fields))
        return
    uid = USER_ID.get()
    line = _access_line(
        logging.getLevelName(logging.INFO),
        logger.name,
        msg % args,
        fields,
        REQUEST_ID.get(),
        None if uid is None else str(uid),
        time.time(),
    )
    handler.acquire()
    try:
        handler.stream.write(line + handler.terminator)
        handler.flush()
    except RecursionError:
        raise
    except Exception:
        handler.handleError(access_record(logger, pathname, msg, args, fields))
    finally:
        handler.release()


def _sole_json_handler(logger: logging.Logger) -> logging.StreamHandler[Any] | None:
    """The only handler an INFO record of `logger` reaches, when that is the serve
    configuration's (`logging_config("json", ...)`); None otherwise."""
    if logger.filters:
        return None
    found = None
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if found is not None:
                return None
            found = handler
        current = current.parent if current.propagate else None
    if (
        type(found) is not logging.StreamHandler
        or found.level > logging.INFO
        or type(found.formatter) is not JsonFormatter
        or len(found.filters) != 1
        or type(found.filters[0]) is not ContextFilter
    ):
        return None
    return found


# The Python versions whose LogRecord.__init__ this replays; elsewhere makeRecord is used.
_SAME_RECORD = sys.version_info < (3, 13)
_HAS_TASK_NAME = "taskName" in _LogRecord("", 0, "", 0, "", (), None).__dict__  # 3.12 on
_PER_RECORD = frozenset(
    ("args", "created", "msecs", "relativeCreated", "thread", "threadName", "process")
) | {"processName", "taskName"}


def _process_name() -> str:
    mp = sys.modules.get("multiprocessing")
    if mp is not None:
        try:
            return str(mp.current_process().name)
        except Exception:  # noqa: S110  (LogRecord's own fallback, as it does)
            pass
    return "MainProcess"


def _task_name() -> str | None:
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return None
    return None if task is None else task.get_name()


_constant: dict[tuple[str, str, str], dict[str, Any]] = {}


def _constant_fields(name: str, pathname: str, msg: str) -> dict[str, Any]:
    fields = _constant.get((name, pathname, msg))
    if fields is None:
        # A record made the usual way, less what changes per record.
        base = _LogRecord(name, logging.INFO, pathname, 0, msg, (), None).__dict__
        fields = {k: v for k, v in base.items() if k not in _PER_RECORD}
        _constant[(name, pathname, msg)] = fields
    return fields


def effective_format(log_format: str | None, environment: str) -> str:
    return log_format or ("json" if environment == "production" else "text")


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A dictConfig for the root logger and uvicorn's loggers."""
    formatters: dict[str, Any] = {
        "json": {
            "()": "app.core.logconfig.JsonFormatter",
            "fmt": list(JSON_FIELDS),
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
        "text": {"format": TEXT_FORMAT},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["context"],
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure(log_format: str | None, environment: str, level: str) -> dict[str, Any]:
    config = logging_config(effective_format(log_format, environment), level)
    logging.config.dictConfig(config)
    # No format used here shows the thread or process names; looking them up cost every record
    # (one per request) a few microseconds.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    return config
