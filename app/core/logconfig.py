"""Logging: LOG_FORMAT=json (one object per line, python-json-logger) or text.

Every record carries the request id and user id of the request it was written in (context
variables set by the HTTP middleware and the auth dependency), so a line can be traced back to a
request without passing either around. The serve command hands `logging_config()` to uvicorn, so
its own loggers format the same way in every worker.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
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
        parts = [
            '{"level": ',
            _json_text(record.levelname),
            ', "logger": ',
            _json_text(record.name),
            ', "message": ',
            _json_text(record.getMessage()),
        ]
        for key, value in fields.items():
            parts += (", ", _json_text(key), ": ", _json_scalar(value))
        parts += (
            ', "request_id": ',
            _json_scalar(getattr(record, "request_id", None)),
            ', "user_id": ',
            _json_scalar(getattr(record, "user_id", None)),
            ', "time": "',
            dt.datetime.fromtimestamp(record.created, _UTC).isoformat(),
            '"}',
        )
        return "".join(parts)


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
    return json.dumps(value)


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
