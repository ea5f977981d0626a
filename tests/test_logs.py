"""Log lines: JSON in production, readable text in development, each with the request id (echoed in the
X-Request-ID header) or the Celery task id."""

import io
import json
import logging
import sys

import pytest

from smartcity5.celery import app as celery_app
from smartcity5.logs import (
    ContextFilter,
    JsonFormatter,
    TextFormatter,
    logging_config,
    request_id_var,
    task_id_var,
)


@pytest.fixture(autouse=True)
def _no_context():
    """Start outside any request: the test client sends request_finished (which clears the id) only when a test
    reads a streamed response to its end, so an earlier test may have left one behind in this thread."""
    request_id_var.set(None)
    task_id_var.set(None)


@pytest.fixture
def lines():
    """What the root logger writes through the production handler (context filter + JSON formatter)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_line_is_one_json_object_with_the_exception():
    logger = logging.getLogger("smartcity5.test")
    try:
        raise ValueError("kaputt\nzweite Zeile")
    except ValueError:
        record = logger.makeRecord(
            "smartcity5.test",
            logging.ERROR,
            __file__,
            1,
            "Bericht %s fehlgeschlagen",
            ("42",),
            exc_info=sys.exc_info(),
        )
    ContextFilter().filter(record)
    text = JsonFormatter().format(record)
    assert "\n" not in text  # a message cannot forge a second line
    entry = json.loads(text)
    assert entry["level"] == "ERROR" and entry["logger"] == "smartcity5.test"
    assert entry["message"] == "Bericht 42 fehlgeschlagen"
    assert entry["request_id"] is None and entry["task_id"] is None
    assert entry["time"].endswith("+00:00")
    assert "ValueError: kaputt" in entry["exception"] and "Traceback" in entry["exception"]


def test_the_settings_choose_json_in_production_and_text_in_development():
    production = logging_config(json_lines=True, level="INFO")
    assert production["handlers"]["console"]["formatter"] == "json"
    assert logging_config(json_lines=False, level="INFO")["handlers"]["console"]["formatter"] == "text"
    record = logging.LogRecord("reports.tasks", logging.INFO, __file__, 1, "Bericht fertig", (), None)
    ContextFilter().filter(record)
    assert TextFormatter().format(record).endswith(" INFO reports.tasks [-] Bericht fertig")


@pytest.mark.django_db
def test_every_line_of_a_request_carries_its_id_and_the_response_echoes_it(client, lines):
    response = client.get("/keine-stadt-hier/")
    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    not_found = [e for e in lines() if e["logger"] == "django.request"]
    assert not_found and not_found[-1]["request_id"] == request_id and "Not Found" in not_found[-1]["message"]
    # After the request, lines carry no stale id.
    logging.getLogger("smartcity5.test").warning("zwischen zwei Anfragen")
    assert lines()[-1]["request_id"] is None
    assert client.get("/")["X-Request-ID"] != request_id  # a new one per request


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxies", "given", "kept"),
    [
        (1, "3f2a9c1e-7d44-4b1a-9a0e-2b5c6d7e8f90", True),
        (1, "kurz", False),
        (1, "a" * 200, False),
        (1, "abc123456\r\nX-Evil: 1", False),
        (
            0,
            "3f2a9c1e-7d44-4b1a-9a0e-2b5c6d7e8f90",
            False,
        ),  # without a trusted proxy the header is the client's
    ],
)
def test_a_sane_request_id_of_the_proxy_is_kept(client, settings, proxies, given, kept):
    settings.TRUSTED_PROXY_COUNT = proxies
    echoed = client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"]
    assert (echoed == given) is kept
    assert len(echoed) <= 128 and "\n" not in echoed


@celery_app.task(name="tests.test_logs.log_something")
def log_something(word):
    logging.getLogger("smartcity5.test").info("Aufgabe sagt %s", word)


def test_lines_of_a_task_carry_its_id(lines):
    result = log_something.apply(args=["hallo"], task_id="task-0001")
    assert result.successful()
    [entry] = [e for e in lines() if e["message"] == "Aufgabe sagt hallo"]
    assert entry["task_id"] == "task-0001" and entry["request_id"] is None
    logging.getLogger("smartcity5.test").info("danach")
    assert lines()[-1]["task_id"] is None
