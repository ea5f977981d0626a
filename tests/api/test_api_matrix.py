"""The API's permission matrix: every address under /api/v1/towns/<town>/ × every method × every role of town A,
against town B's rows (closed) and against town A's own (open exactly to the roles the rule names).

The addresses are read from the resolver, so a new endpoint joins the matrix by existing; one with a parameter
needs a sample below, or the test fails and says so."""

import json

import pytest
from django.urls import URLPattern, URLResolver

from accounts import permissions
from accounts.models import Role
from api.urls import urlpatterns
from tests import factories

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "delete")


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and "<slug:town_slug>" in prefix + str(entry.pattern):
            yield prefix + str(entry.pattern), entry


TOWN_ROUTES = list(_walk(urlpatterns))

SAMPLES = {
    **{
        name: lambda town: {"slug": factories.project_with_rows(town)["slug"]}
        for name in ("project", "project-updates", "project-indicators")
    },
    **{
        name: lambda town: {"slug": factories.process_with_idea_and_comment(town)["slug"]}
        for name in ("process", "process-ideas", "process-results", "process-ballot", "process-paper-ballots")
    },
    **{
        name: lambda town: {"slug": factories.process_with_survey(town)["slug"]}
        for name in ("process-survey", "process-survey-results", "process-survey-paper-responses")
    },
    # A survey for signed-in citizens: the audience that makes the rule the view declares (participate) apply;
    # one open to everyone or to holders of a code answers anyone (test_vote_and_survey_writes_answer_each_role).
    "process-survey-responses": lambda town: {"slug": _citizens_survey(town)},
    **{
        name: lambda town: {"pk": factories.process_with_idea_and_comment(town)["pk"]}
        for name in (
            "idea",
            "idea-comments",
            "idea-support",
            "idea-report",
            "idea-answers",
            "idea-assessment",
            "moderate-idea",
        )
    },
    **{
        name: lambda town: {"pk": factories.process_with_idea_and_comment(town)["comment"]}
        for name in ("comment-report", "moderate-comment")
    },
    **{
        name: lambda town: {"pk": factories.finished_town_report(town)["pk"]}
        for name in ("report", "report-download")
    },
    **{
        name: lambda town: {"pk": factories.grant_with_rows(town)["pk"]}
        for name in ("grant", "grant-budget", "grant-disbursements", "grant-milestones", "grant-proofs")
    },
}


def _citizens_survey(municipality) -> str:
    from municipalities.scoping import town_scope
    from surveys.models import Survey

    sample = factories.process_with_survey(municipality)
    with town_scope(municipality):
        Survey.objects.filter(pk=sample["survey"].pk).update(audience="citizens")
    return sample["slug"]


def _url(route: str, pattern: URLPattern, town) -> str:
    values = {"town_slug": town.slug}
    params = [p for p in pattern.pattern.converters if p != "town_slug"]
    if params:
        sample = SAMPLES.get(pattern.name)  # type: ignore[arg-type]  # named routes only
        if sample is None and set(params) <= {"dataset", "format", "ext"}:
            sample = lambda town: {"dataset": "projects", "format": "json", "ext": "json"}  # noqa: E731
        assert sample, f"Add a sample for API address {route!r} (name {pattern.name!r}) to SAMPLES"
        values.update(sample(town))
    url = "/api/" + route
    for key, value in values.items():
        for converter in ("slug", "int", "str"):
            url = url.replace(f"<{converter}:{key}>", str(value))
    assert "<" not in url, url
    return url


def _users(town_a):
    users = {"anonymous": None, "citizen": factories.UserFactory(email="apimatrix-citizen@example.org")}
    for role in Role:
        users[f"{role}-of-A"] = factories.staff_member(
            municipality=town_a, role=role, email=f"apimatrix-{role}@example.org"
        )
    return users


def _call(client, method, url):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data=json.dumps({}), content_type="application/json")


def _rule(pattern, method):
    rules = getattr(pattern.callback, "rules", {})
    return rules.get(method, rules.get("*"))


@pytest.mark.parametrize("route,pattern", TOWN_ROUTES, ids=[r for r, _ in TOWN_ROUTES])
def test_town_b_is_closed_to_every_role_of_town_a(client, town_a, town_b, catalogue, route, pattern):
    factories.membership(
        user=factories.UserFactory(email="apimatrix-admin-b@example.org"),
        municipality=town_b,
        role=Role.ADMIN,
    )
    url = _url(route, pattern, town_b)
    for label, user in _users(town_a).items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for method in METHODS:
            response = _call(client, method, url)
            where = f"{label} {method.upper()} {url}: {response.status_code}"
            assert response.status_code < 500, where
            rule = _rule(pattern, method)
            if rule is None:
                continue  # public, or the method does not exist
            if user is None:
                assert response.status_code == 401, where
            elif rule in permissions.PRIVILEGED_RULES:
                # Nobody of town A is related to town B: not allowed looks like not found.
                assert response.status_code == 404, where


# The answer to a user whom the town rule allows, by endpoint and method (the matrix sends an empty JSON body:
# a write answers 400 for it; a method the endpoint lacks, 405, after the rule has let the user through).
ALLOWED_ANSWERS: dict[tuple[str, str], int] = {
    **{
        (name, "get"): 200
        for name in (
            "grants",
            "grant",
            "grant-budget",
            "grant-disbursements",
            "grant-milestones",
            "grant-proofs",
            "moderation",
            "reports",
            "report",
            "report-download",
        )
    },
    ("reports", "post"): 400,
    ("reports", "put"): 405,
    ("reports", "delete"): 405,
    ("idea-answers", "post"): 400,
    ("idea-assessment", "post"): 400,
    ("moderate-idea", "post"): 400,
    ("moderate-comment", "post"): 400,
    ("process-paper-ballots", "post"): 400,
    ("process-survey-paper-responses", "post"): 400,
}


@pytest.mark.parametrize("route,pattern", TOWN_ROUTES, ids=[r for r, _ in TOWN_ROUTES])
def test_own_town_opens_to_exactly_the_roles_the_rule_names(client, town_a, catalogue, route, pattern):
    url = _url(route, pattern, town_a)
    for label, user in _users(town_a).items():
        if user is None:
            continue
        client.force_login(user)
        for method in METHODS:
            rule = _rule(pattern, method)
            if rule is None or rule not in permissions.PRIVILEGED_RULES:
                continue
            response = _call(client, method, url)
            where = f"{label} {method.upper()} {url}: {response.status_code}"
            if permissions.has_perm(user, rule, town_a):
                answer = ALLOWED_ANSWERS.get((pattern.name, method))
                assert answer, f"Add the answer to an allowed {method.upper()} {route!r} to ALLOWED_ANSWERS"
                assert response.status_code == answer, where
            else:
                # The town's staff learn that their role is too low; everyone else, that there is nothing here.
                assert response.status_code == (403 if label.endswith("-of-A") else 404), where


def test_the_matrix_sees_the_protected_endpoints():
    names = {pattern.name for _, pattern in TOWN_ROUTES}
    assert {
        "moderation",
        "moderate-idea",
        "reports",
        "report-download",
        "idea-answers",
        "idea-support",
    } <= names
    assert any(_rule(pattern, "get") in permissions.PRIVILEGED_RULES for _, pattern in TOWN_ROUTES)


# The vote's and the surveys' writes (issue 18), each role's exact answer to an empty JSON body in its own town (A)
# and in another (B): citizens' writes are open to every signed-in person with a confirmed address, in every town
# (the rule ``participation.participate``), so the body is judged (400) and a citizen's own ballot read (200); the
# staff's paper entries are the editors' of the process's towns (403 for a viewer of the town, 404 for everyone else).
ROLES = ("anonymous", "citizen", "viewer-of-A", "editor-of-A", "admin-of-A")
VOTE_AND_SURVEY_WRITES = {
    ("process-ballot", "get"): {"A": (401, 200, 200, 200, 200), "B": (401, 200, 200, 200, 200)},
    ("process-ballot", "post"): {"A": (401, 400, 400, 400, 400), "B": (401, 400, 400, 400, 400)},
    ("process-paper-ballots", "post"): {"A": (401, 404, 403, 400, 400), "B": (401, 404, 404, 404, 404)},
    ("process-survey-responses", "post"): {"A": (401, 400, 400, 400, 400), "B": (401, 400, 400, 400, 400)},
    ("process-survey-paper-responses", "post"): {
        "A": (401, 404, 403, 400, 400),
        "B": (401, 404, 404, 404, 404),
    },
}


@pytest.mark.parametrize("name, method", list(VOTE_AND_SURVEY_WRITES), ids="-".join)
def test_vote_and_survey_writes_answer_each_role(client, town_a, town_b, catalogue, name, method):
    users = _users(town_a)
    assert tuple(users) == ROLES
    pattern = next(p for _, p in TOWN_ROUTES if p.name == name)
    route = next(r for r, p in TOWN_ROUTES if p.name == name)
    for town_label, town in (("A", town_a), ("B", town_b)):
        url = _url(route, pattern, town)
        answers = []
        for user in users.values():
            client.logout()
            if user is not None:
                client.force_login(user)
            answers.append(_call(client, method, url).status_code)
        assert tuple(answers) == VOTE_AND_SURVEY_WRITES[(name, method)][town_label], (
            town_label,
            url,
            answers,
        )
