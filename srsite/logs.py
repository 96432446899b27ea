"""Structured logging: JSON lines in production, a readable line in development, and the ids of
the submission/result being handled on every record (contextvars + a handler filter).

Django-free on purpose: gunicorn.conf.py uses the formatter before Django is set up.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

# The ids bound to the current job or request; copied into every log record.
CONTEXT_FIELDS = ("submission_id", "result_id")
_context: dict[str, contextvars.ContextVar[str | None]] = {
    name: contextvars.ContextVar(f"srsite_log_{name}", default=None) for name in CONTEXT_FIELDS
}

# Attributes every LogRecord has: anything else on a record was passed with `extra=`.
_RECORD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "context"}


def log_context_bind(**ids) -> None:
    """Bind ids (submission_id=..., result_id=...) to the current context; None unbinds."""
    for name, value in ids.items():
        _context[name].set(None if value is None else str(value))


def log_context_clear() -> None:
    for var in _context.values():
        var.set(None)


def log_context_get() -> dict[str, str]:
    return {name: value for name, var in _context.items() if (value := var.get()) is not None}


@contextmanager
def log_context(**ids) -> Iterator[None]:
    """Bind ids for the duration of a block, then restore what was bound before."""
    tokens = [(_context[name], _context[name].set(None if v is None else str(v))) for name, v in ids.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class ContextFilter(logging.Filter):
    """Copies the bound ids onto each record (as attributes, and as `context` for text lines).

    Attach it to handlers, not loggers: a handler filter sees the records of every logger.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        bound = log_context_get()
        for name in CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, bound.get(name))
        parts = [f"{name.removesuffix('_id')}={getattr(record, name)}" for name in CONTEXT_FIELDS
                 if getattr(record, name, None)]
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, bound ids, `extra=` fields,
    and the traceback. uvicorn's access records become method/path/status/client fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, http_version, status = record.args
            entry.update(client=client, method=method, path=path, http_version=http_version, status=status)
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and not key.startswith("_") and value is not None:
                entry[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"


def logging_config(*, fmt: str, level: str) -> dict:
    """The LOGGING dict for Django (and gunicorn's logconfig_dict): fmt is "json" or "text"."""
    if fmt not in ("json", "text"):
        raise ValueError(f"log format must be 'json' or 'text', not {fmt!r}")
    formatter = {"()": JsonFormatter} if fmt == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {"main": formatter},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["context"]}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }


def logging_from_env(*, default_format: str) -> dict:
    """logging_config from DJANGO_LOG_FORMAT (the environment's default_format when unset or
    empty) and DJANGO_LOG_LEVEL (INFO): the one place that reads them, for the settings of each
    environment and for gunicorn.conf.py (which runs before Django, hence os.environ)."""
    fmt = os.environ.get("DJANGO_LOG_FORMAT") or default_format
    level = os.environ.get("DJANGO_LOG_LEVEL") or "INFO"
    return logging_config(fmt=fmt, level=level.upper())
