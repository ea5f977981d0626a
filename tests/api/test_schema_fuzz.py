"""schemathesis over the whole API schema with an editor's personal token, against a live test server: no 5xx, and
every answer matches the schema; anonymous and in-process in tests/api/test_schema_fuzz_in_process.py."""

import json

import pytest
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import checks

from smartcity5.celery import app as celery_app
from tests import factories

from .fuzz import CHECKS, OPERATIONS, UNCOMPRESSED, each_operation, examples, keep_connection, schema

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(keep_connection.__name__)]


def test_every_operation_is_fuzzed():
    assert len(OPERATIONS) > 40, "the schema lost its operations, or they were not collected"


# --- With a personal token, against a live test server -------------------------------------------------------


@pytest.fixture
def editor_token(request, live_server, town_a, town_b):
    """An editor of town A with a personal token, and content in both towns (committed: the server is a thread
    with its own connection).

    Made in one transaction, as one change: each commit of a write hands over the open data builds (run at once
    here, eager), so the writes one by one built the datasets a dozen times per test, about 2,000 queries, for
    the ~45 operations of the token fuzz; committed together they are built once, from the same rows.

    Those builds (three datasets, two thirds of this fixture's CPU) are run only for the operations that serve
    open data, and for the stateful test, which may reach them. For every other operation the commit hands them to
    the real broker, as production does, where no worker takes them in this test (the next test empties its Redis
    database): the rows the operation answers with are the same, and no answer of theirs reads the built files.
    The builds themselves are tested in tests/api/test_opendata.py."""
    from accounts.models import Role
    from accounts.services import api_token_create

    operation = getattr(request.node, "callspec", None) and request.node.callspec.params.get("operation")
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = operation is None or "/opendata/" in operation.path
    try:
        with transaction.atomic():
            for town in (town_a, town_b):
                factories.project(municipality=town)
                factories.project(municipality=town, visibility="internal")
                factories.idea(process=factories.process(municipality=town))
            editor = factories.staff_member(
                municipality=town_a, role=Role.EDITOR, email="fuzz-editor@example.org"
            )
            _token, secret = api_token_create(user=editor, name="schemathesis")
    finally:
        celery_app.conf.task_always_eager = previous
    return live_server.url, secret


@pytest.mark.django_db(transaction=True)
@each_operation
@examples(8, 60)
@given(data=st.data())
def test_api_with_a_token_against_a_live_server(operation, data, editor_token):
    """The protected parts too: the staff rules, the writes and the token door, over real HTTP."""
    base_url, secret = editor_token
    case = data.draw(operation.as_strategy())
    case.call_and_validate(
        base_url=base_url, headers={"Authorization": f"Bearer {secret}", **UNCOMPRESSED}, checks=CHECKS
    )


# --- Stateful: chains of calls that use what earlier answers returned --------------------------------------

# Beyond the checks above: a request that violates the schema must be refused (e.g. an empty ``?page=``), a
# deleted resource must be gone and a created one there, and answers' headers must match. Not
# ``positive_data_acceptance``: the list filters take slugs of rows (field of action, process), and a well-formed
# slug that names nothing is a documented 400. Not ``ignored_auth``: most operations are public as well (anonymous
# access is declared), so a replaced credential is rightly ignored there; tests/security covers who may do what.
STATEFUL_CHECKS = CHECKS + [
    checks.negative_data_rejection,
    checks.response_headers_conformance,
    checks.use_after_free,
    checks.ensure_resource_availability,
]


@pytest.mark.django_db(transaction=True)
def test_api_stateful_against_a_live_server(editor_token):
    """schemathesis's stateful phase: ``schema.as_state_machine()`` links the operations (ids and slugs that
    answers return, used in the addresses of later calls) and runs sequences of calls as an editor with a token."""
    base_url, secret = editor_token
    machine = schema.as_state_machine()
    links = [name for name in vars(machine) if "__200_" in name]  # one rule per link: operation → operation
    assert len(links) > 20, "schemathesis inferred (almost) no links; the stateful phase would test nothing"
    answered = []

    class EditorWorkflow(machine):
        def get_call_kwargs(self, case):
            return {"base_url": base_url, "headers": {"Authorization": f"Bearer {secret}", **UNCOMPRESSED}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            answered.append((case.operation.path, response.status_code))
            case.validate_response(response, checks=STATEFUL_CHECKS, transport_kwargs=kwargs)

    EditorWorkflow.run(settings=examples(12, 60, stateful_step_count=6))
    # Chains reached the towns' own data with slugs and ids taken from earlier answers.
    assert any(path.startswith("/api/v1/towns/{town_slug}/") and status == 200 for path, status in answered)


def test_the_schema_declares_what_the_answers_hold(client, town_a):
    process = factories.process(municipality=town_a)
    factories.idea(process=process)
    detail = client.get(f"/api/v1/towns/{town_a.slug}/processes/{process.slug}/").json()
    assert detail["idea_count"] == 1
    components = json.loads(
        OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
    )
    components = components["components"]["schemas"]
    assert "idea_count" in components["ProcessDetail"]["required"]
    assert components["Report"]["properties"]["grant"]["nullable"] is True
    assert components["CreatedComment"]["properties"]["parent"]["nullable"] is True
    # An empty page number is no page number: refused like any other page that is not there.
    assert client.get(f"/api/v1/towns/{town_a.slug}/projects/?page=").status_code == 404
    assert client.get(f"/api/v1/towns/{town_a.slug}/projects/?page=1").status_code == 200
