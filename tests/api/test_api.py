"""The read-only API: the same town scope and rules as the HTML pages, no hidden or internal rows for anyone not
allowed, bounded queries, and filters validated by the HTML filter form."""

import pytest
from django.urls import reverse

from accounts.models import Role
from municipalities.models import AuditEntry
from municipalities.scoping import scopes_disabled, town_scope
from participation.services import moderation as moderation_services
from tests import factories

pytestmark = pytest.mark.django_db


def _url(name, municipality=None, **kwargs):
    if municipality is not None:
        kwargs["town_slug"] = municipality.slug
    return reverse(f"api:{name}", kwargs=kwargs)


@pytest.fixture
def content(town_a, town_b):
    """Town A: a public and an internal project, a process with a published and a hidden idea; town B the same."""
    rows = {}
    for label, town in (("a", town_a), ("b", town_b)):
        editor = factories.staff_member(
            municipality=town, role=Role.EDITOR, email=f"api-editor-{label}@example.org"
        )
        rows[f"public_{label}"] = factories.project(municipality=town, title=f"Offen {label}")
        rows[f"internal_{label}"] = factories.project(
            municipality=town, title=f"Intern {label}", visibility="internal"
        )
        process = factories.process(municipality=town)
        rows[f"process_{label}"] = process
        rows[f"idea_{label}"] = factories.idea(process=process, title=f"Sichtbar {label}")
        hidden = factories.idea(process=process, title=f"Versteckt {label}")
        with town_scope(town):
            moderation_services.moderation_hide(
                target=hidden, by=editor, acting_town=town, reason="Beleidigung"
            )
        rows[f"hidden_{label}"] = hidden
    return rows


def _users(town_a, town_b, citizen, moderator):
    return {
        "anonymous": None,
        "citizen": citizen,
        "viewer of A": factories.staff_member(
            municipality=town_a, role=Role.VIEWER, email="api-viewer-a@example.org"
        ),
        "admin of B": factories.staff_member(
            municipality=town_b, role=Role.ADMIN, email="api-admin-b@example.org"
        ),
        "viewer of A without MFA": factories.staff_member(
            municipality=town_a, role=Role.VIEWER, mfa=False, email="api-nomfa-a@example.org"
        ),
        "moderator": moderator,
    }


# Who sees town A's internal project in the list (staff rule with MFA) and on its detail (project rule).
SEES_INTERNAL_LIST = {"viewer of A", "moderator"}
SEES_INTERNAL_DETAIL = {"viewer of A", "viewer of A without MFA", "moderator"}


def test_towns_lists_active_towns_without_contact_addresses(client, town_a, town_b):
    factories.MunicipalityFactory(name="Alt", slug="alt", is_active=False)
    response = client.get(_url("towns"))
    assert response.status_code == 200
    body = response.json()
    assert [town["slug"] for town in body["results"]] == ["arnsberg", "soest"]
    assert "@" not in response.content.decode()


def test_unknown_or_inactive_town_is_404(client, town_a):
    factories.MunicipalityFactory(name="Alt", slug="alt", is_active=False)
    # An unknown or inactive town, and addresses no URL converter accepts (a line break, non-ASCII letters).
    for slug in ("nirgendwo", "alt", "%0A", "%C3%A7j%0As"):
        response = client.get(f"/api/v1/towns/{slug}/projects/")
        assert response.status_code == 404, slug
        assert response["Content-Type"] == "application/json", slug


def test_permission_matrix(client, town_a, town_b, citizen, moderator, content):
    for label, user in _users(town_a, town_b, citizen, moderator).items():
        client.logout()
        if user is not None:
            client.force_login(user)
        projects = {p["slug"] for p in client.get(_url("projects", town_a)).json()["results"]}
        assert content["public_a"].slug in projects, label
        assert (content["internal_a"].slug in projects) == (label in SEES_INTERNAL_LIST), label
        assert content["public_b"].slug not in projects and content["internal_b"].slug not in projects, label

        detail = client.get(_url("project", town_a, slug=content["internal_a"].slug))
        assert detail.status_code == (200 if label in SEES_INTERNAL_DETAIL else 404), label
        # Another town's project is not found under town A's address, whoever asks.
        assert client.get(_url("project", town_a, slug=content["public_b"].slug)).status_code == 404, label

        ideas = client.get(_url("ideas", town_a))
        titles = {idea["title"] for idea in ideas.json()["results"]}
        assert titles == {"Sichtbar a"}, label
        assert client.get(_url("idea", town_a, pk=content["hidden_a"].pk)).status_code == 404, label
        assert client.get(_url("idea", town_a, pk=content["idea_b"].pk)).status_code == 404, label
        assert client.get(_url("idea", town_a, pk=content["idea_a"].pk)).status_code == 200, label
        processes = [p["slug"] for p in client.get(_url("processes", town_a)).json()["results"]]
        assert processes == [content["process_a"].slug], label
        for response in (ideas, detail):
            assert "@example.org" not in response.content.decode(), label


def test_moderator_reading_internal_rows_is_audited(client, town_a, moderator, content):
    client.force_login(moderator)
    client.get(_url("projects", town_a))
    with scopes_disabled():
        assert AuditEntry.objects.filter(
            user=moderator, purpose="agentur:town-staff-page", municipality_slugs=[town_a.slug]
        ).exists()


def test_idea_shows_display_name_only(client, town_a, content):
    idea = client.get(_url("idea", town_a, pk=content["idea_a"].pk)).json()
    assert idea["author_name"] == content["idea_a"].author.display_name
    assert "author" not in idea and "email" not in str(idea)


def test_idea_filters_match_the_html_form(client, town_a, content, catalogue):
    url = _url("ideas", town_a)
    assert client.get(url, {"q": "Sichtbar"}).json()["count"] == 1
    assert client.get(url, {"q": "gibtsnicht"}).json()["count"] == 0
    assert (
        client.get(
            url, {"process": content["process_a"].slug, "sort": "supported", "status": "submitted"}
        ).json()["count"]
        == 1
    )
    assert client.get(url, {"answered": "yes"}).json()["count"] == 0


@pytest.mark.parametrize(
    "params,field",
    [
        ({"status": "erfunden"}, "status"),
        ({"sort": "x"}, "sort"),
        ({"field_of_action": "gibtsnicht"}, "field_of_action"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_filter_values_are_400_with_field_errors(client, town_a, content, params, field):
    response = client.get(_url("ideas", town_a), params)
    assert response.status_code == 400
    assert field in response.json()


def test_an_empty_choice_is_no_filter_as_the_schema_says(client, town_a, content):
    """``?joint=`` (and every other empty choice of the lists) is no filter, as on the HTML list whose form offers
    "All" as the empty choice; the schema lists the empty value with the choices. A value outside them is a 400."""
    factories.project(municipality=town_a, title="Gemeinsam a", partners=[content["public_b"].municipality])
    url = _url("projects", town_a)
    every = client.get(url).json()["count"]
    assert every == 2  # the town's public project and the joint one
    assert client.get(url, {"joint": ""}).json()["count"] == every
    assert client.get(url, {"joint": "ja"}).json()["count"] == 1
    assert client.get(url, {"joint": "nein"}).json()["count"] == 1
    for name in ("status", "phase", "visibility"):
        assert client.get(url, {name: ""}).json()["count"] == every, name
    for name in ("status", "answered", "sort"):
        response = client.get(_url("ideas", town_a), {name: ""})
        assert response.status_code == 200 and response.json()["count"] == 1, name
    bad = client.get(url, {"joint": "vielleicht"})
    assert bad.status_code == 400 and "joint" in bad.json()

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, names in (
        ("/api/v1/towns/{town_slug}/projects/", {"status", "phase", "joint", "visibility"}),
        ("/api/v1/towns/{town_slug}/ideas/", {"status", "answered", "sort"}),
    ):
        parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        for name in names:
            assert "" in parameters[name]["schema"]["enum"], (path, name)
            assert "* `` - " in parameters[name]["description"], (path, name)
    joint = {
        p["name"]: p for p in schema["paths"]["/api/v1/towns/{town_slug}/projects/"]["get"]["parameters"]
    }
    assert joint["joint"]["schema"]["enum"] == ["", "ja", "nein"]


def test_process_of_another_town_is_a_bad_filter(client, town_a, content):
    response = client.get(_url("ideas", town_a), {"process": content["process_b"].slug})
    assert response.status_code == 400
    assert "process" in response.json()


def test_bad_page_is_404(client, town_a, content):
    assert client.get(_url("ideas", town_a), {"page": 99}).status_code == 404


def test_list_queries_are_bounded(client, town_a, viewer_a, django_assert_max_num_queries):
    for number in range(8):
        factories.project(municipality=town_a, title=f"Viele {number}")
    process = factories.process(municipality=town_a)
    for number in range(8):
        factories.idea(process=process, title=f"Idee {number}")
    client.force_login(viewer_a)
    for name in ("projects", "processes", "ideas"):
        with django_assert_max_num_queries(14):
            assert client.get(_url(name, town_a)).status_code == 200


def test_anonymous_requests_are_throttled(client, town_a, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    assert set(api_settings.DEFAULT_THROTTLE_RATES) == {"anon", "user"}
    limit, _period = AnonRateThrottle().parse_rate(AnonRateThrottle.THROTTLE_RATES["anon"])
    for _ in range(limit):
        client.get(_url("towns"))
    response = client.get(_url("towns"))
    assert response.status_code == 429


def test_schema_documents_every_endpoint_with_its_errors(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    documented = {
        (path, method)
        for path, operations in paths.items()
        for method in operations
        if method in {"get", "post", "put", "delete"}
    }
    # Every API address is in the schema (all but the schema itself and the JSON 404 for unknown addresses).
    from django.urls import URLPattern

    from api.urls import urlpatterns

    routes = [
        p for p in urlpatterns if isinstance(p, URLPattern) and p.name not in ("schema", "not-found", "docs")
    ]
    assert len({path for path, _method in documented}) >= len(routes)
    for path, method in documented:
        responses = paths[path][method]["responses"]
        assert {"401", "403", "404", "429"} <= set(responses), (path, method)
        if method != "get":
            assert "400" in responses, (path, method)
    assert "400" in paths["/api/v1/towns/{town_slug}/ideas/"]["get"]["responses"]
