"""What the schemathesis tests share (tests/api/test_schema_fuzz.py, tests/api/test_schema_fuzz_in_process.py): the
API's schema as /api/schema/ serves it, its operations, the checks, and how many examples to draw."""

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis import checks

from smartcity5.wsgi import application


def _load_schema():
    """The schema that /api/schema/ serves, built at collection time without a request: the view runs in a
    transaction (ATOMIC_REQUESTS) and the database is not open before a test starts. Requests go in-process
    to the WSGI application, as with ``schemathesis.openapi.from_wsgi``."""
    raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = application
    return loaded


schema = _load_schema()
# One pytest test per operation, each drawing its cases with hypothesis. Not ``schema.parametrize()``: that runs
# the operations as subtests of one test, and under pytest-xdist (make test) those subtests neither ran nor failed.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]
# Every call asks for uncompressed answers: schemathesis hands its checks the body as it came over the wire and
# would read gzip as JSON. That answers are compressed is tested in tests/test_front_assets.py.
UNCOMPRESSED = {"Accept-Encoding": "identity"}


@pytest.fixture
def keep_connection():
    # Like Django's test client, keep the test's connection open across the WSGI requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


# Derandomized: CI explores the same inputs every run, so main stays reproducible; for a wider search run
# `SCHEMATHESIS_EXPLORE=1 pytest tests/api/test_schema_fuzz*.py` (random inputs, more examples) by hand.
EXPLORE = os.environ.get("SCHEMATHESIS_EXPLORE") == "1"


def each_operation(test):
    return pytest.mark.parametrize(
        "operation", OPERATIONS, ids=[operation.label for operation in OPERATIONS]
    )(test)


def examples(usual: int, exploring: int, **more) -> settings:
    """Hypothesis's settings for a fuzz test: ``usual`` examples, derandomized (the same inputs every run), or
    ``exploring`` random ones with ``SCHEMATHESIS_EXPLORE=1``; no deadline, no health checks."""
    return settings(
        max_examples=exploring if EXPLORE else usual,
        derandomize=not EXPLORE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        **more,
    )
