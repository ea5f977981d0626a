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
from tests import factories

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
TOWN_PATTERNS = [(route, p) for route, p in ALL_PATTERNS if route.startswith("<slug:town>/")]


def _name(pattern: URLPattern) -> str:
    """The URL's name, with the app namespace for apps other than the first ones (``funding:detail``)."""
    name = pattern.name or pattern.lookup_str
    namespace = NAMESPACES.get(id(pattern), "")
    return f"{namespace}:{name}" if namespace in {"funding", "participation", "reports", "reviews"} else name


def _project_sample(town, **extra):
    """A public project led by ``town``, with one of everything hanging off it."""
    import datetime

    from django.core.files.base import ContentFile

    from municipalities.scoping import town_scope
    from projects import services

    project = factories.project(municipality=town, title=f"Matrix {town.slug}")
    update = factories.progress_update(project=project)
    with town_scope(town):
        indicator = services.indicator_create(project=project, by=None, acting_town=town, fields={"name": "KPI"})
        measurement = services.measurement_record(indicator=indicator, by=None, acting_town=town,
                                                  measured_on=datetime.date(2026, 1, 1), value=1)
        item = services.project_file_add(project=project, by=None, acting_town=town,
                                         upload=ContentFile(b"%PDF-1.4\n%%EOF\n", name="m.pdf"), kind="document",
                                         title="Datei", content_type="application/pdf")
    return {"slug": project.slug, "update": update.pk, "indicator": indicator.pk, "measurement": measurement.pk,
            "file": item.pk}


def _strategy_sample(town):
    from django.core.files.base import ContentFile

    from municipalities.scoping import town_scope
    from projects import services

    with town_scope(town):
        services.strategy_save(municipality=town, kind="town", fields={"title": "Strategie"},
                               document=ContentFile(b"%PDF-1.4\n%%EOF\n", name="s.pdf"))
    return {"kind": "town"}


def _funding_sample(town):
    """A grant of ``town`` with one row of each kind; the milestone is done (evidence), the proof submitted, the
    rate an exception with the funder's decision."""
    import datetime
    from decimal import Decimal

    from funding import services
    from municipalities.scoping import town_scope

    grant = factories.grant(municipality=town)
    line = factories.budget_line(grant=grant, year=2025, amount="10000.00")
    past = datetime.date(2025, 3, 1)
    with town_scope(town):
        spending = services.spending_record(grant=grant, by=None, fields={
            "spent_on": past, "cost_type": "material", "amount": Decimal("100.00"), "description": "Matrix"})
        request = services.disbursement_prepare(grant=grant, by=None, fields={"year": 2025, "amount": Decimal("50")})
        milestone = services.milestone_save(grant=grant, by=None, fields={"title": "Matrix", "due_on": past})
        services.milestone_mark_done(milestone=milestone, by=None, done_on=past, evidence=factories.evidence_pdf())
        proof = services.proof_save(grant=grant, by=None, fields={"kind": "final", "due_on": past})
        services.proof_submit(proof=proof, by=None, submitted_on=past, document=factories.evidence_pdf())
        services.grant_change(grant=grant, by=None, fields={"funding_rate": Decimal("80.00")}, reason="Matrix",
                              rate_exception_document=factories.evidence_pdf())
    return {"pk": grant.pk, "budget-line": line.pk, "spending-edit": spending.pk, "disbursement": request.pk,
            "milestone": milestone.pk, "proof": proof.pk}


def _report_sample(town):
    """A finished town report of ``town`` with its file."""
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from municipalities.scoping import town_scope
    from reports.models import ReportRequest

    with town_scope(town):
        report = ReportRequest(municipality=town, kind="town", format="pdf", status="done", progress=100,
                               finished_at=timezone.now(), expires_at=timezone.now() + datetime.timedelta(days=1))
        report.file.save("report.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        report.save()
    return {"pk": report.pk}


def _review_sample(town):
    """A draft progress report of ``town`` for Q4/2025 (its figures generated from the town's data)."""
    from municipalities.scoping import town_scope
    from reviews.models import ProgressReport
    from reviews.selectors import quarter_figures

    with town_scope(town):
        ProgressReport.objects.get_or_create(municipality=town, year=2025, quarter=4, defaults={
            "figures": quarter_figures(municipality=town, year=2025, quarter=4)})
    return {"year": 2025, "quarter": 4}


def _participation_sample(town):
    """A published process of ``town`` (collecting ideas), one idea with a comment."""
    process = factories.process(municipality=town)
    idea = factories.idea(process=process, image=factories.image_upload())
    comment = factories.comment(idea=idea)
    return {"slug": process.slug, "pk": idea.pk, "comment": comment.pk}


def _finished_process_sample(town):
    """A process whose vote is over, so that its results are public."""
    import datetime

    today = datetime.date.today()
    process = factories.process(municipality=town, phases=[
        {"kind": "vote", "starts_on": today - datetime.timedelta(days=20),
         "ends_on": today - datetime.timedelta(days=2)},
        {"kind": "results", "starts_on": today - datetime.timedelta(days=1), "ends_on": None}])
    return {"slug": process.slug}


def _invitation_sample(town) -> int:
    return StaffInvitation.objects.with_scope(municipality=town.pk).create(
        municipality=town, email=f"eingeladen-{town.slug}@example.org", role=Role.VIEWER, nonce="x",
        expires_at=timezone.now() + datetime.timedelta(days=7)).pk


def _lesson_sample(town):
    """A lessons-learned note written for ``town``."""
    from knowledge import services

    return services.lesson_note_create(by=None, municipality=town, fields={"title": "Matrix", "body": "Notiz"}).pk


def _participation_param(key):
    def sample(town):
        values = _participation_sample(town)
        return {"slug": values["slug"]} if key == "slug" else {"pk": values[key]}
    return sample


def _funding_param(row):
    def sample(town):
        values = _funding_sample(town)
        return {"pk": values["pk"], **({"item": values[row]} if row else {})}
    return sample


def _project_param(key):
    def sample(town):
        values = _project_sample(town)
        return {"slug": values["slug"], "pk": values[key], **({"measurement": values["measurement"]}
                                                                if key == "indicator" else {})}
    return sample


# Sample values for URL parameters other than the town, created in the given town.
SAMPLES: dict[str, Callable] = {
    "detail": lambda town: {"slug": _project_sample(town)["slug"]},
    "file": _project_param("file"),
    "strategy-document": lambda town: _strategy_sample(town),
    "staff-detail": lambda town: {"slug": _project_sample(town)["slug"]},
    "staff-edit": lambda town: {"slug": _project_sample(town)["slug"]},
    "staff-status": lambda town: {"slug": _project_sample(town)["slug"]},
    "staff-history": lambda town: {"slug": _project_sample(town)["slug"]},
    "staff-update-create": lambda town: {"slug": _project_sample(town)["slug"]},
    "staff-update-edit": _project_param("update"),
    "staff-update-delete": _project_param("update"),
    "staff-indicator-create": lambda town: {"slug": _project_sample(town)["slug"]},
    "staff-indicator": _project_param("indicator"),
    "staff-indicator-delete": _project_param("indicator"),
    "staff-measurement-delete": _project_param("indicator"),
    "staff-files": lambda town: {"slug": _project_sample(town)["slug"]},
    "staff-file-delete": _project_param("file"),
    **{f"funding:{name}": _funding_param(None) for name in (
        "detail", "edit", "history", "export", "budget", "spending", "disbursements", "milestones", "proofs",
        "rate-exception-document")},
    **{name: _funding_param(row) for row, names in {
        "budget-line": ("budget-line", "budget-line-delete"),
        "spending-edit": ("spending-edit", "spending-delete"),
        "disbursement": ("disbursement", "disbursement-action", "disbursement-delete"),
        "milestone": ("milestone", "milestone-status", "milestone-delete", "milestone-evidence"),
        "proof": ("proof", "proof-status", "proof-delete", "proof-document"),
    }.items() for name in (f"funding:{n}" for n in names)},
    **{f"participation:{name}": _participation_param("slug") for name in (
        "process", "idea-create", "vote", "staff-process", "staff-process-edit", "staff-offline")},
    "participation:results": _finished_process_sample,
    "participation:results-csv": _finished_process_sample,
    **{f"participation:{name}": _participation_param("pk") for name in (
        "idea", "idea-image", "idea-support", "comment-create", "idea-report", "staff-moderate-idea", "staff-idea",
        "staff-idea-answer", "staff-idea-project", "staff-idea-shortlist", "staff-privacy-edit-idea")},
    **{f"participation:{name}": _participation_param("comment") for name in (
        "comment-report", "staff-moderate-comment", "staff-privacy-edit-comment")},
    "reports:status": _report_sample,
    "reports:download": _report_sample,
    **{f"reviews:{name}": _review_sample for name in ("detail", "texts", "refresh", "submit", "reopen", "reply")},
    "lesson": lambda town: {"pk": _lesson_sample(town)},
    "lesson-edit": lambda town: {"pk": _lesson_sample(town)},
    "staff-feedback-handled": lambda town: {"pk": factories.feedback(municipality=town).pk},
    "role": lambda town: {"pk": Membership.objects.with_scope(municipality=town.pk).first().pk},
    "remove": lambda town: {"pk": Membership.objects.with_scope(municipality=town.pk).first().pk},
    "invitation-resend": lambda town: {"pk": _invitation_sample(town)},
    "invitation-revoke": lambda town: {"pk": _invitation_sample(town)},
}


def _url(route: str, pattern: URLPattern, town) -> str:
    params = [p for p in pattern.pattern.converters if p != "town"]
    prefix_params = [p for p in ("pk",) if f"<int:{p}>" in route and p not in params]
    needed = set(params) | set(prefix_params)
    values = {"town": town.slug}
    if needed:
        sample = SAMPLES.get(_name(pattern))
        assert sample, f"Add a sample for URL {route!r} (name {_name(pattern)!r}) to SAMPLES"
        values.update(sample(town))
    url = "/" + route
    for key, value in values.items():
        url = url.replace(f"<slug:{key}>", str(value)).replace(f"<int:{key}>", str(value)).replace(
            f"<str:{key}>", str(value))
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
        f"{route}: decorate the view with public / personal / town_permission_required / agentur_required")


def _users(town_a):
    """One user per role of town A (with MFA, so that MFA is not what stops them)."""
    users = {"anonymous": None, "citizen": factories.UserFactory(email="matrix-citizen@example.org")}
    for role in Role:
        users[f"{role}-of-A"] = factories.staff_member(municipality=town_a, role=role,
                                                       email=f"matrix-{role}@example.org")
    return users


@pytest.mark.parametrize("route,pattern", TOWN_PATTERNS, ids=[r for r, _ in TOWN_PATTERNS])
def test_town_b_pages_are_closed_to_every_role_of_town_a(client, town_a, town_b, route, pattern):
    access = pattern.callback.access
    # Town B needs an admin for the team samples; that admin is not one of the users tested.
    admin_b = factories.UserFactory(email="matrix-admin-b@example.org")
    factories.membership(user=admin_b, municipality=town_b, role=Role.ADMIN)
    url = _url(route, pattern, town_b)
    for label, user in _users(town_a).items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            where = f"{label} {method.upper()} {url}"
            if access == PUBLIC:
                assert response.status_code in (200, 302, 405), where
                continue
            if access == CITIZEN and user is not None:
                continue  # everyone with an account takes part in every town, staff of town A included
            if user is None:
                assert response.status_code == 405 or (
                    response.status_code == 302 and "/accounts/login/" in response["Location"]), where
            else:
                assert response.status_code in (403, 404, 405), f"{where} answered {response.status_code}"


@pytest.mark.parametrize("route,pattern", [(r, p) for r, p in TOWN_PATTERNS if p.callback.access == STAFF],
                         ids=[r for r, p in TOWN_PATTERNS if p.callback.access == STAFF])
def test_staff_pages_of_own_town_are_reachable_by_the_right_role(client, town_a, route, pattern):
    """The other side of the matrix: the rule that closes B must still open A to the right people."""
    from accounts import permissions

    users = _users(town_a)
    url = _url(route, pattern, town_a)
    for label, user in users.items():
        if user is None:
            continue
        client.force_login(user)
        allowed = permissions.has_perm(user, pattern.callback.rule, town_a)
        response = client.get(url)
        if allowed:
            assert response.status_code in (200, 302, 405), f"{label} GET {url}: {response.status_code}"
        else:
            assert response.status_code in (403, 404, 405), f"{label} GET {url}: {response.status_code}"


def test_moderators_cannot_use_town_only_actions(client, town_b, moderator):
    """Moderators read every town, but team management and editing stay with the town."""
    factories.membership(user=factories.UserFactory(), municipality=town_b, role=Role.ADMIN)
    client.force_login(moderator)
    assert client.get("/soest/verwaltung/").status_code == 200
    assert client.get("/soest/verwaltung/team/").status_code == 403
    item = factories.feedback(municipality=town_b)
    assert client.post(f"/soest/verwaltung/barrierefreiheit/{item.pk}/erledigt/").status_code == 403
