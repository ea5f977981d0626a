"""Log lines: one JSON object per line in production, readable text in development, each with its request id
(web) or task id (worker).

The request id comes from :class:`smartcity5.middleware.RequestIdMiddleware`, the task id from Celery's
``task_prerun``/``task_postrun`` signals (connected in smartcity5/celery.py); both are kept in context variables,
so every line logged while a request or task runs carries them, whichever logger writes it.
"""

import contextvars
import json
import logging
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
task_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)


class ContextFilter(logging.Filter):
    """Puts ``request_id`` and ``task_id`` on every record ("-" when there is none), for both formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        record.task_id = task_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, task_id and, when
    there is one, the exception with its traceback. Line breaks inside values are escaped by JSON, so a
    message can never forge a second log line."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        task_id = getattr(record, "task_id", None) or task_id_var.get()
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None if request_id in (None, "-") else request_id,
            "task_id": None if task_id in (None, "-") else task_id,
        }
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int):
            entry["status_code"] = status_code
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Readable lines for development: ``… INFO reports.tasks [req 3f2a…] message``."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", "-")
        task_id = getattr(record, "task_id", "-")
        label = f"req {request_id}" if request_id != "-" else (f"task {task_id}" if task_id != "-" else "-")
        line = f"{self.formatTime(record)} {record.levelname} {record.name} [{label}] {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def logging_config(*, json_lines: bool, level: str) -> dict:
    """The ``LOGGING`` setting: one console handler with the context filter and the chosen formatter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "smartcity5.logs.ContextFilter"}},
        "formatters": {
            "json": {"()": "smartcity5.logs.JsonFormatter"},
            "text": {"()": "smartcity5.logs.TextFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context"],
                "formatter": "json" if json_lines else "text",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # WeasyPrint (PDF reports) and fontTools log every step of every document at INFO.
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }


def task_started(task_id=None, **kwargs) -> None:
    """Celery ``task_prerun``: lines logged by the task carry its id."""
    task_id_var.set(task_id)


def task_finished(**kwargs) -> None:
    """Celery ``task_postrun``."""
    task_id_var.set(None)


def request_done(**kwargs) -> None:
    """Django's ``request_finished``: lines logged between requests carry no stale id."""
    request_id_var.set(None)
