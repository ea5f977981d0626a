"""Cross-tenant matrix: every URL under /<town>/, for every role of town A, against town B.

The URL list is read from the resolver, so a new page joins the matrix by existing. A view must declare
its access level (accounts.decorators); a URL with extra parameters needs a sample below, or the test
fails and says so.
"""

import datetime
from collections.abc import Callable

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.decorators import AGENTUR, CITIZEN, PERSONAL, PUBLIC, STAFF
from accounts.models import Membership, Role, StaffInvitation
from tests import factories, helpers

pytestmark = pytest.mark.django_db

# Third-party views outside /<town>/ that bring their own access control.
THIRD_PARTY_PREFIXES = ("accounts/", "admin/", "i18n/")


NAMESPACES: dict[int, str] = {}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            NAMESPACES[id(entry)] = namespace
            yield prefix + str(entry.pattern), entry


ALL_PATTERNS = list(_walk(get_resolver().url_patterns))
TOWN_PATTERNS = [(route, p) for route, p in ALL_PATTERNS if route.startswith("<slug:town_slug>/")]


def _name(pattern: URLPattern) -> str:
    """The URL's name, with the app namespace for apps other than the first ones (``funding:detail``)."""
    name = pattern.name or pattern.lookup_str
    namespace = NAMESPACES.get(id(pattern), "")
    return (
        f"{namespace}:{name}"
        if namespace in {"funding", "participation", "surveys", "reports", "reviews"}
        else name
    )


def _strategy_sample(municipality):
    from django.core.files.base import ContentFile

    from municipalities.scoping import town_scope
    from projects import services

    with town_scope(municipality):
        services.strategy_save(
            municipality=municipality,
            kind="town",
            fields={"title": "Strategie"},
            document=ContentFile(b"%PDF-1.4\n%%EOF\n", name="s.pdf"),
        )
    return {"kind": "town"}


def _review_sample(municipality):
    """A draft progress report of ``municipality`` for Q4/2025 (its figures generated from the town's data)."""
    from municipalities.scoping import town_scope
    from reviews.models import ProgressReport
    from reviews.selectors import quarter_figures

    with town_scope(municipality):
        ProgressReport.objects.get_or_create(
            municipality=municipality,
            year=2025,
            quarter=4,
            defaults={"figures": quarter_figures(municipality=municipality, year=2025, quarter=4)},
        )
    return {"year": 2025, "quarter": 4}


def _finished_process_sample(municipality):
    """A process whose vote is over, so that its results are public."""
    import datetime

    today = helpers.today()
    process = factories.process(
        municipality=municipality,
        phases=[
            {
                "kind": "vote",
                "starts_on": today - datetime.timedelta(days=20),
                "ends_on": today - datetime.timedelta(days=2),
            },
            {"kind": "results", "starts_on": today - datetime.timedelta(days=1), "ends_on": None},
        ],
    )
    return {"slug": process.slug}


def _survey_sample(municipality):
    """A process running a survey open to everyone, with one optional question and its results shown live: a
    form posted empty is refused (400) for everyone, whatever their account."""
    import datetime

    from municipalities.scoping import town_scope
    from surveys import services

    today = helpers.today()
    process = factories.process(
        municipality=municipality,
        phases=[{"kind": "survey", "starts_on": today - datetime.timedelta(days=2), "ends_on": today}],
    )
    with town_scope(municipality):
        survey = services.survey_create(
            process=process,
            by=None,
            fields={"title": "Matrix", "audience": "everyone", "results_shown": "live"},
        )
        question = services.question_add(
            survey=survey, by=None, values=services.QuestionInput(kind="short_text", text="Was fehlt?")
        )
    return {"slug": process.slug, "pk": question.pk}


def _vote_by_codes_sample(municipality):
    """A process whose vote by codes is open today: its page is for anyone, a form posted empty is refused (400)."""
    today = helpers.today()
    process = factories.process(
        municipality=municipality,
        vote_by_codes=True,
        phases=[{"kind": "vote", "starts_on": today - datetime.timedelta(days=2), "ends_on": today}],
    )
    return {"slug": process.slug}


def _code_letters_sample(municipality):
    """A batch of voting codes of ``municipality`` whose letters are ready."""
    from django.core.files.base import ContentFile

    from municipalities.scoping import town_scope
    from participation.models import VotingCodeBatch

    process = factories.process(municipality=municipality)
    with town_scope(municipality):
        batch = VotingCodeBatch.objects.create(
            municipality=municipality,
            process=process,
            purpose="vote",
            count=1,
            status="done",
            progress=100,
            finished_at=timezone.now(),
            expires_at=timezone.now() + datetime.timedelta(days=1),
        )
        batch.file.save("briefe.pdf", ContentFile(b"%PDF-1.4 matrix"), save=True)
    return {"slug": process.slug, "pk": batch.pk}


def _invitation_sample(municipality) -> int:
    invitations = StaffInvitation.objects.with_scope(municipality=municipality.pk)
    return invitations.create(
        municipality=municipality,
        email=f"eingeladen-{invitations.count()}-{municipality.slug}@example.org",
        role=Role.VIEWER,
        nonce="x",
        expires_at=timezone.now() + datetime.timedelta(days=7),
    ).pk


def _lesson_sample(municipality):
    """A lessons-learned note written for ``municipality``."""
    from knowledge import services

    return services.lesson_note_create(
        by=None, municipality=municipality, fields={"title": "Matrix", "body": "Notiz"}
    ).pk


def _participation_param(key):
    def sample(town):
        values = factories.process_with_idea_and_comment(town)
        return {"slug": values["slug"]} if key == "slug" else {"pk": values[key]}

    return sample


def _funding_param(row):
    def sample(town):
        values = factories.grant_with_rows(town)
        return {"pk": values["pk"], **({"item": values[row]} if row else {})}

    return sample


def _project_param(key):
    def sample(town):
        values = factories.project_with_rows(town)
        return {
            "slug": values["slug"],
            "pk": values[key],
            **({"measurement": values["measurement"]} if key == "indicator" else {}),
        }

    return sample


# Sample values for URL parameters other than the town, created in the given town.
SAMPLES: dict[str, Callable] = {
    "detail": lambda town: {"slug": factories.project_with_rows(town)["slug"]},
    "file": _project_param("file"),
    "strategy-document": _strategy_sample,
    "staff-detail": lambda town: {"slug": factories.project_with_rows(town)["slug"]},
    "staff-edit": lambda town: {"slug": factories.project_with_rows(town)["slug"]},
    "staff-status": lambda town: {"slug": factories.project_with_rows(town)["slug"]},
    "staff-history": lambda town: {"slug": factories.project_with_rows(town)["slug"]},
    "staff-update-create": lambda town: {"slug": factories.project_with_rows(town)["slug"]},
    "staff-update-edit": _project_param("update"),
    "staff-update-delete": _project_param("update"),
    "staff-indicator-create": lambda town: {"slug": factories.project_with_rows(town)["slug"]},
    "staff-indicator": _project_param("indicator"),
    "staff-indicator-delete": _project_param("indicator"),
    "staff-measurement-delete": _project_param("indicator"),
    "staff-files": lambda town: {"slug": factories.project_with_rows(town)["slug"]},
    "staff-file-delete": _project_param("file"),
    **{
        f"funding:{name}": _funding_param(None)
        for name in (
            "detail",
            "edit",
            "history",
            "export",
            "budget",
            "spending",
            "disbursements",
            "milestones",
            "proofs",
            "rate-exception-document",
        )
    },
    **{
        name: _funding_param(row)
        for row, names in {
            "budget-line": ("budget-line", "budget-line-delete"),
            "spending-edit": ("spending-edit", "spending-delete"),
            "disbursement": ("disbursement", "disbursement-action", "disbursement-delete"),
            "milestone": ("milestone", "milestone-status", "milestone-delete", "milestone-evidence"),
            "proof": ("proof", "proof-status", "proof-delete", "proof-document"),
        }.items()
        for name in (f"funding:{n}" for n in names)
    },
    **{
        f"participation:{name}": _participation_param("slug")
        for name in (
            "process",
            "process-map",
            "idea-create",
            "vote",
            "staff-process",
            "staff-process-edit",
            "staff-offline",
            "staff-voting-codes",
            "staff-paper-ballot",
        )
    },
    "participation:vote-code": _vote_by_codes_sample,
    "participation:staff-voting-code-letters": _code_letters_sample,
    "participation:results": _finished_process_sample,
    **{
        f"surveys:{name}": _survey_sample
        for name in (
            "survey",
            "results",
            "staff-survey",
            "staff-question-add",
            "staff-question",
            "staff-preview",
            "staff-paper",
            "staff-texts",
            "staff-results-csv",
            "staff-results-xlsx",
            "staff-responses-csv",
            "staff-responses-xlsx",
        )
    },
    "participation:results-csv": _finished_process_sample,
    **{
        f"participation:{name}": _participation_param("pk")
        for name in (
            "idea",
            "idea-image",
            "idea-support",
            "comment-create",
            "idea-flag",
            "staff-moderate-idea",
            "staff-idea",
            "staff-idea-answer",
            "staff-idea-project",
            "staff-idea-shortlist",
            "staff-idea-assess",
            "staff-idea-make-project",
            "staff-privacy-edit-idea",
        )
    },
    **{
        f"participation:{name}": _participation_param("comment")
        for name in ("comment-flag", "staff-moderate-comment", "staff-privacy-edit-comment")
    },
    "reports:status": factories.finished_town_report,
    "reports:download": factories.finished_town_report,
    **{
        f"reviews:{name}": _review_sample
        for name in ("detail", "texts", "refresh", "submit", "reopen", "reply")
    },
    "lesson": lambda town: {"pk": _lesson_sample(town)},
    "lesson-edit": lambda town: {"pk": _lesson_sample(town)},
    "staff-feedback-handled": lambda town: {"pk": factories.feedback(municipality=town).pk},
    "role": lambda town: {"pk": Membership.objects.with_scope(municipality=town.pk).first().pk},
    "remove": lambda town: {"pk": Membership.objects.with_scope(municipality=town.pk).first().pk},
    "invitation-resend": lambda town: {"pk": _invitation_sample(town)},
    "invitation-revoke": lambda town: {"pk": _invitation_sample(town)},
}


def _url(route: str, pattern: URLPattern, municipality, rows_of=None, values: dict | None = None) -> str:
    """The route's address in ``municipality``, its other parameters naming rows of ``rows_of`` (default: the same town)
    or given as ``values``."""
    params = [p for p in pattern.pattern.converters if p != "town_slug"]
    prefix_params = [p for p in ("pk",) if f"<int:{p}>" in route and p not in params]
    needed = set(params) | set(prefix_params)
    given, values = values, {"town_slug": municipality.slug}
    if given is not None:
        values.update(given)
    elif needed:
        sample = SAMPLES.get(_name(pattern))
        assert sample, f"Add a sample for URL {route!r} (name {_name(pattern)!r}) to SAMPLES"
        values.update(sample(rows_of or municipality))
    url = "/" + route
    for key, value in values.items():
        url = (
            url.replace(f"<slug:{key}>", str(value))
            .replace(f"<int:{key}>", str(value))
            .replace(f"<str:{key}>", str(value))
        )
    assert "<" not in url, f"unfilled parameter in {url}"
    return url


def test_the_matrix_sees_the_town_pages():
    names = {_name(p) for _, p in TOWN_PATTERNS}
    assert {"home", "accessibility", "staff-dashboard", "staff-feedback", "list"} <= names


@pytest.mark.parametrize("route,pattern", ALL_PATTERNS, ids=[r for r, _ in ALL_PATTERNS])
def test_every_view_declares_its_access_level(route, pattern):
    if route.startswith(THIRD_PARTY_PREFIXES):
        return
    access = getattr(pattern.callback, "access", None)
    assert access in {PUBLIC, PERSONAL, CITIZEN, STAFF, AGENTUR}, (
        f"{route}: decorate the view with public / personal / town_permission_required / agentur_required"
    )


def _users(town_a):
    """One user per role of town A (with MFA, so that MFA is not what stops them)."""
    users = {"anonymous": None, "citizen": factories.UserFactory(email="matrix-citizen@example.org")}
    for role in Role:
        users[f"{role}-of-A"] = factories.staff_member(
            municipality=town_a, role=role, email=f"matrix-{role}@example.org"
        )
    return users


# The methods each route takes. Routes not named here take GET (and, for forms, POST); the own-town test checks
# that a POST-only route answers GET with 405, so the list cannot drift from the views.
GET_ONLY = {"reports:download", "reports:status", "participation:staff-voting-code-letters"}

# POST-only routes: what a user allowed by the route's rule sends, and the exact answer. Most actions need no
# fields (a delete, a shortlist toggle) and redirect; a form posted empty is re-shown with 400.
POST_ONLY: dict[str, tuple[dict, int]] = {
    "funding:budget-line-delete": ({}, 302),
    "funding:disbursement-action": ({"action": "paid", "on": "2025-04-01"}, 302),
    "funding:disbursement-delete": ({}, 302),
    "funding:milestone-delete": ({}, 302),
    "funding:milestone-status": ({"action": "reopen", "reopen-reason": "Matrix"}, 302),
    "funding:proof-delete": ({}, 302),
    "funding:proof-status": ({"action": "accept", "accepted_on": "2025-04-01"}, 302),
    "funding:spending-delete": ({}, 302),
    "invitation-resend": ({}, 302),
    "invitation-revoke": ({}, 302),
    "participation:staff-idea-answer": ({}, 400),
    "participation:staff-idea-project": ({}, 302),
    "participation:staff-idea-shortlist": ({}, 302),
    "participation:staff-idea-assess": ({}, 400),
    "participation:staff-idea-make-project": ({}, 302),
    "participation:staff-moderate-comment": ({}, 400),
    "participation:staff-moderate-idea": ({}, 400),
    "remove": ({}, 302),
    "reviews:refresh": ({}, 302),
    "reviews:reopen": ({}, 302),
    "reviews:reply": ({}, 400),
    "reviews:submit": ({}, 302),
    "role": ({}, 302),
    "staff-feedback-handled": ({}, 302),
    "staff-file-delete": ({}, 302),
    "staff-indicator-delete": ({}, 302),
    "staff-measurement-delete": ({}, 302),
    "staff-update-delete": ({}, 302),
    # Citizens' actions (taking part is open to everyone with an account, in every town)
    "participation:comment-create": ({}, 400),
    "participation:idea-support": ({}, 302),
}

# Public routes whose POST is a form that anyone may send: what it answers when posted empty (every other public
# route answers 200 to both methods).
PUBLIC_POST_ANSWERS: dict[str, int] = {"surveys:survey": 400, "participation:vote-code": 400}

# What a signed-in user (any role, any town) gets from the citizens' routes of a town, by method.
CITIZEN_ANSWERS: dict[str, dict[str, int]] = {
    "participation:comment-create": {"post": 400},
    "participation:comment-flag": {"get": 200, "post": 200},
    "participation:idea-create": {"get": 200, "post": 200},
    "participation:idea-flag": {"get": 200, "post": 200},
    "participation:idea-support": {"post": 302},
    "participation:vote": {"get": 302, "post": 302},
}


def _methods(pattern: URLPattern) -> tuple[str, ...]:
    name = _name(pattern)
    if name in POST_ONLY:
        return ("post",)
    if name in GET_ONLY:
        return ("get",)
    return ("get", "post")


def _send(client, method: str, url: str, pattern: URLPattern):
    if method == "post":
        return client.post(url, POST_ONLY.get(_name(pattern), ({}, None))[0])
    return client.get(url)


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("route,pattern", TOWN_PATTERNS, ids=[r for r, _ in TOWN_PATTERNS])
def test_town_b_pages_are_closed_to_every_role_of_town_a(client, town_a, town_b, route, pattern):
    """Every method the route takes, for every role of town A, on town B's address and rows: public pages open
    (200), the citizens' routes open to every account and send anonymous visitors to sign in, and staff pages
    hide (404) from everyone of town A."""
    access = pattern.callback.access
    name = _name(pattern)
    # Town B needs an admin for the team samples; that admin is not one of the users tested.
    admin_b = factories.UserFactory(email="matrix-admin-b@example.org")
    factories.membership(user=admin_b, municipality=town_b, role=Role.ADMIN)
    url = _url(route, pattern, town_b)
    for label, user in _users(town_a).items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for method in _methods(pattern):
            response = _send(client, method, url, pattern)
            where = f"{label} {method.upper()} {url} answered {response.status_code}"
            if access == PUBLIC:
                expected = PUBLIC_POST_ANSWERS.get(name, 200) if method == "post" else 200
                assert response.status_code == expected, where
            elif user is None:
                assert _is_login_redirect(response), where
            elif access == CITIZEN:
                # everyone with an account takes part in every town, staff of town A included
                assert response.status_code == CITIZEN_ANSWERS[name][method], where
            else:
                assert response.status_code == 404, where


@pytest.mark.parametrize(
    "route,pattern",
    [(r, p) for r, p in TOWN_PATTERNS if p.callback.access == STAFF],
    ids=[r for r, p in TOWN_PATTERNS if p.callback.access == STAFF],
)
def test_staff_pages_of_own_town_are_reachable_by_the_right_role(client, town_a, route, pattern):
    """The other side of the matrix: the rule that closes B must still open A to the right people, with the
    method the route takes: 200 for a page, the action's own answer for a POST-only route; 403 for the town's
    staff whose role is too low, 404 for an account outside the town, the sign-in page for anonymous visitors."""
    from accounts import permissions

    name = _name(pattern)
    method = _methods(pattern)[0]
    _data, done = POST_ONLY.get(name, ({}, 200))
    page = _url(route, pattern, town_a) if method == "get" else None
    for label, user in _users(town_a).items():
        client.logout()
        if user is not None:
            client.force_login(user)
        # A page's rows serve everyone; an action gets fresh rows for everyone: an allowed delete takes its row away.
        url = page or _url(route, pattern, town_a)
        response = _send(client, method, url, pattern)
        where = f"{label} {method.upper()} {url} answered {response.status_code}"
        if user is None:
            assert _is_login_redirect(response), where
        elif not permissions.has_perm(user, pattern.callback.rule, town_a):
            related = label.endswith("-of-A")
            assert response.status_code == (403 if related else 404), where
        else:
            assert response.status_code == done, where
            if done == 302:
                assert not response["Location"].startswith("/accounts/"), where
    if method == "post":
        assert client.get(_url(route, pattern, town_a)).status_code == 405, (
            f"{route} takes GET: not POST_ONLY"
        )


# Routes whose parameters name no row (a year and quarter, a strategy's kind): the town in the address picks it.
NO_ROW_PARAMETERS = {
    "strategy-document",
    *(f"reviews:{name}" for name in ("detail", "texts", "refresh", "submit", "reopen", "reply")),
}
# Lessons-learned notes are read by the staff of every town (knowledge), but changed only by their own town.
SHARED_ROWS = {"lesson": 200, "lesson-edit": 403}
ROW_PATTERNS = [
    (route, p) for route, p in TOWN_PATTERNS if _name(p) in SAMPLES and _name(p) not in NO_ROW_PARAMETERS
]


@pytest.mark.parametrize("route,pattern", ROW_PATTERNS, ids=[r for r, _ in ROW_PATTERNS])
def test_town_b_rows_are_not_found_under_town_a_address(client, town_a, town_b, route, pattern):
    """Town A's address with town B's row (its pk or slug): 404 for town A's admin, who may use the route in
    town A, with every method the route takes. This is what fails when a view looks a row up unscoped."""
    factories.membership(
        user=factories.UserFactory(email="matrix-admin-b@example.org"), municipality=town_b, role=Role.ADMIN
    )
    admin = factories.staff_member(municipality=town_a, role=Role.ADMIN, email="matrix-admin@example.org")
    client.force_login(admin)
    for method in _methods(pattern):
        url = _url(route, pattern, town_a, rows_of=town_b)
        response = _send(client, method, url, pattern)
        expected = SHARED_ROWS.get(_name(pattern), 404)
        assert response.status_code == expected, f"{method.upper()} {url} answered {response.status_code}"


# Routes that name a row below a parent (a grant's rows, a project's updates, KPIs, values and files): the
# parameters that name the child row.
CHILD_PARAMETERS = {
    **{
        f"funding:{name}": ("item",)
        for name in (
            "budget-line",
            "budget-line-delete",
            "spending-edit",
            "spending-delete",
            "disbursement",
            "disbursement-action",
            "disbursement-delete",
            "milestone",
            "milestone-status",
            "milestone-delete",
            "milestone-evidence",
            "proof",
            "proof-status",
            "proof-delete",
            "proof-document",
        )
    },
    **dict.fromkeys(("file", "staff-update-edit", "staff-update-delete", "staff-file-delete"), ("pk",)),
    "participation:staff-voting-code-letters": ("pk",),
    **dict.fromkeys(
        ("staff-indicator", "staff-indicator-delete", "staff-measurement-delete"), ("pk", "measurement")
    ),
}
CHILD_PATTERNS = [(route, p) for route, p in TOWN_PATTERNS if _name(p) in CHILD_PARAMETERS]


@pytest.mark.parametrize("route,pattern", CHILD_PATTERNS, ids=[r for r, _ in CHILD_PATTERNS])
def test_town_b_rows_are_not_found_below_town_a_parents(client, town_a, town_b, route, pattern):
    """Town A's address and parent (grant, project) with town B's child row: 404 for town A's admin. This is what
    fails when a view looks the child up without its parent and the town."""
    admin = factories.staff_member(municipality=town_a, role=Role.ADMIN, email="matrix-admin@example.org")
    client.force_login(admin)
    name = _name(pattern)
    for method in _methods(pattern):
        own, other = SAMPLES[name](town_a), SAMPLES[name](town_b)
        url = _url(
            route, pattern, town_a, values={**own, **{key: other[key] for key in CHILD_PARAMETERS[name]}}
        )
        response = _send(client, method, url, pattern)
        assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"


def test_moderators_cannot_use_town_only_actions(client, town_b, moderator):
    """Moderators read every town, but team management and editing stay with the town."""
    factories.membership(user=factories.UserFactory(), municipality=town_b, role=Role.ADMIN)
    client.force_login(moderator)
    assert client.get("/soest/verwaltung/").status_code == 200
    assert client.get("/soest/verwaltung/team/").status_code == 403
    item = factories.feedback(municipality=town_b)
    assert client.post(f"/soest/verwaltung/barrierefreiheit/{item.pk}/erledigt/").status_code == 403
