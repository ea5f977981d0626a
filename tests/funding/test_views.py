"""Funding pages: forms with German amounts, refused requests, roles, moderators read only, files, query counts."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from funding import services
from funding.models import DisbursementRequest, Grant, Milestone, Spending
from municipalities.models import AuditEntry
from municipalities.scoping import town_scope
from tests import factories, helpers

pytestmark = pytest.mark.django_db

BASE = "/arnsberg/verwaltung/foerderung/"
PAST = datetime.date(2025, 3, 1)


@pytest.fixture
def grant(town_a):
    grant = factories.grant(municipality=town_a)
    factories.budget_line(grant=grant, year=2025, amount="100000.00")
    return grant


def _count(model, municipality):
    with town_scope(municipality):
        return model.objects.count()


def test_an_admin_records_a_grant_with_german_amounts(client, admin_a, town_a):
    client.force_login(admin_a)
    response = client.post(
        BASE + "neu/",
        {
            "title": "Zuwendung Phase B",
            "programme": "Modellprojekte Smart Cities",
            "funder": "KfW",
            "recipient": "town",
            "approved_on": "2021-10-01",
            "period_start": "2022-01-01",
            "period_end": "2026-12-31",
            "eligible_costs": "2.500.000,50 €",
            "funding_rate": "90",
            "notes": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with town_scope(town_a):
        grant = Grant.objects.get()
    assert grant.eligible_costs == Decimal("2500000.50")
    assert grant.federal_share == Decimal("2250000.45")
    page = client.get(response["Location"]).content.decode()
    assert "2.250.000,45 €" in page and "250.000,05 €" in page


@pytest.mark.parametrize("typed", ["12.5", "1.2345,00", "zwölf", "1,2,3", "-5"])
def test_unreadable_amounts_get_a_clear_message_and_nothing_is_saved(client, editor_a, grant, typed):
    client.force_login(editor_a)
    response = client.post(
        f"{BASE}{grant.pk}/ausgaben/",
        {"spent_on": "2025-03-01", "amount": typed, "cost_type": "material", "description": "Sensoren"},
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert _count(Spending, grant.municipality) == 0


def test_spending_is_recorded_and_listed_with_its_total(client, editor_a, grant):
    client.force_login(editor_a)
    for amount in ("1.250,50", "749,50"):
        response = client.post(
            f"{BASE}{grant.pk}/ausgaben/",
            {"spent_on": "2025-03-01", "amount": amount, "cost_type": "material", "description": "Sensoren"},
        )
        assert response.status_code == 302
    page = client.get(f"{BASE}{grant.pk}/ausgaben/").content.decode()
    assert "2.000,00 €" in page and "1.250,50 €" in page


def test_a_request_above_the_limit_is_refused_with_a_message(client, editor_a, grant):
    client.force_login(editor_a)
    response = client.post(f"{BASE}{grant.pk}/mittelabrufe/", {"year": "2025", "amount": "65.000,01"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "65.000,00 €" in page and 'aria-invalid="true"' in page
    assert _count(DisbursementRequest, grant.municipality) == 0
    response = client.post(f"{BASE}{grant.pk}/mittelabrufe/", {"year": "2025", "amount": "65.000,00"})
    assert response.status_code == 302


def test_only_admins_submit_requests_and_editors_record_the_payment(client, editor_a, admin_a, grant):
    with town_scope(grant.municipality):
        item = services.disbursement_prepare(
            grant=grant, by=editor_a, fields={"year": 2025, "amount": Decimal("10")}
        )
    url = f"{BASE}{grant.pk}/mittelabrufe/{item.pk}/status/"
    client.force_login(editor_a)
    assert client.post(url, {"action": "submit", "on": "2025-03-01"}).status_code == 403
    client.force_login(admin_a)
    assert client.post(url, {"action": "submit", "on": "2025-03-01"}).status_code == 302
    client.force_login(editor_a)
    response = client.post(url, {"action": "paid", "on": "2025-02-01"}, follow=True)
    assert (
        "vor der Einreichung" in response.content.decode()
        or "before the submission" in response.content.decode()
    )
    assert client.post(url, {"action": "paid", "on": "2025-04-01"}).status_code == 302
    with town_scope(grant.municipality):
        item.refresh_from_db()
    assert item.status == "paid" and item.submitted_by == admin_a


def test_viewers_read_but_cannot_post(client, viewer_a, grant):
    client.force_login(viewer_a)
    page = client.get(f"{BASE}{grant.pk}/ausgaben/").content.decode()
    assert "add-spending" not in page
    assert (
        client.post(
            f"{BASE}{grant.pk}/ausgaben/",
            {"spent_on": "2025-03-01", "amount": "1", "cost_type": "material", "description": "x"},
        ).status_code
        == 403
    )


def test_moderators_read_every_page_audited_and_change_nothing(client, moderator, grant):
    client.force_login(moderator)
    for section in (
        "",
        "haushaltsplan/",
        "ausgaben/",
        "mittelabrufe/",
        "meilensteine/",
        "nachweise/",
        "verlauf/",
    ):
        assert client.get(f"{BASE}{grant.pk}/{section}").status_code == 200, section
    assert AuditEntry.objects.filter(user=moderator, purpose="agentur:town-staff-page").count() == 7
    assert client.post(f"{BASE}{grant.pk}/mittelabrufe/", {"year": "2025", "amount": "1"}).status_code == 403
    assert client.get(f"{BASE}{grant.pk}/bearbeiten/").status_code == 403


def test_citizens_and_other_towns_do_not_see_that_funding_exists(client, citizen, town_b, grant):
    client.force_login(citizen)
    assert client.get(f"{BASE}{grant.pk}/").status_code == 404
    other = factories.staff_member(municipality=town_b, role="admin")
    client.force_login(other)
    assert client.get(f"{BASE}{grant.pk}/").status_code == 404
    assert client.get(f"/soest/verwaltung/foerderung/{grant.pk}/").status_code == 404


def test_marking_a_milestone_done_with_evidence_updates_the_timeline(
    client, editor_a, viewer_a, grant, town_b
):
    with town_scope(grant.municipality):
        milestone = services.milestone_save(
            grant=grant,
            by=None,
            fields={"title": "Open-Data-Portal online", "due_on": datetime.date(2025, 6, 30)},
        )
    client.force_login(editor_a)
    url = f"{BASE}{grant.pk}/meilensteine/{milestone.pk}/status/"
    response = client.post(url, {"action": "done", "done_on": "2025-06-01"})
    assert response.status_code == 400  # no evidence
    exe = SimpleUploadedFile("tool.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(url, {"action": "done", "done_on": "2025-06-01", "evidence": exe})
    assert response.status_code == 400 and "nicht angenommen" in response.content.decode()
    pdf = SimpleUploadedFile("Protokoll Müller.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = client.post(url, {"action": "done", "done_on": "2025-06-01", "evidence": pdf})
    assert response.status_code == 302
    timeline = client.get(f"{BASE}{grant.pk}/meilensteine/").content.decode()
    assert "sc5-timeline__item--done" in timeline and "nachweis/" in timeline
    client.force_login(viewer_a)
    evidence = client.get(f"{BASE}{grant.pk}/meilensteine/{milestone.pk}/nachweis/")
    assert evidence.status_code == 200 and evidence["Content-Type"] == "application/pdf"
    assert evidence["Cache-Control"] == "private, no-store"
    client.force_login(factories.staff_member(municipality=town_b, role="admin"))
    assert (
        client.get(
            f"/soest/verwaltung/foerderung/{grant.pk}/meilensteine/{milestone.pk}/nachweis/"
        ).status_code
        == 404
    )


def test_a_waived_milestone_needs_a_reason(client, editor_a, grant):
    with town_scope(grant.municipality):
        milestone = services.milestone_save(grant=grant, by=None, fields={"title": "M", "due_on": PAST})
    client.force_login(editor_a)
    url = f"{BASE}{grant.pk}/meilensteine/{milestone.pk}/status/"
    assert client.post(url, {"action": "waive", "waive-reason": ""}).status_code == 400
    assert (
        client.post(url, {"action": "waive", "waive-reason": "Vom Fördergeber gestrichen"}).status_code == 302
    )
    with town_scope(grant.municipality):
        assert Milestone.objects.get().status == "waived"


def test_pages_stay_within_a_bounded_number_of_queries(
    client, editor_a, grant, django_assert_max_num_queries
):
    projects = [factories.project(municipality=grant.municipality) for _ in range(3)]
    with town_scope(grant.municipality):
        for i in range(30):
            services.spending_record(
                grant=grant,
                by=editor_a,
                fields={
                    "spent_on": PAST,
                    "cost_type": "material",
                    "amount": Decimal(10 + i),
                    "description": f"Posten {i}",
                    "project": projects[i % 3],
                },
            )
        for i in range(8):
            services.milestone_save(
                grant=grant, by=editor_a, fields={"title": f"M{i}", "due_on": PAST}, projects=projects
            )
            services.disbursement_prepare(
                grant=grant, by=editor_a, fields={"year": 2025, "amount": Decimal(10)}
            )
    client.force_login(editor_a)
    for section, limit in (
        ("", 22),
        ("ausgaben/", 20),
        ("meilensteine/", 20),
        ("mittelabrufe/", 20),
        ("haushaltsplan/", 20),
        ("verlauf/", 20),
    ):
        with django_assert_max_num_queries(limit):
            assert client.get(f"{BASE}{grant.pk}/{section}").status_code == 200


def test_the_grant_list_shows_totals_and_overdue_milestones(client, viewer_a, grant):
    with town_scope(grant.municipality):
        services.milestone_save(grant=grant, by=None, fields={"title": "M", "due_on": PAST})
    client.force_login(viewer_a)
    page = client.get(BASE).content.decode()
    assert "650.000,00 €" in page and "1 überfällig" in page


def test_the_milestone_page_filters_by_state(client, viewer_a, grant):
    today = helpers.today()
    with town_scope(grant.municipality):
        services.milestone_save(grant=grant, by=None, fields={"title": "Überfällig", "due_on": PAST})
        for title, days in (("Bald", 5), ("Später", 90)):
            services.milestone_save(
                grant=grant, by=None, fields={"title": title, "due_on": today + datetime.timedelta(days=days)}
            )
    client.force_login(viewer_a)
    url = f"/{grant.municipality.slug}/verwaltung/foerderung/{grant.pk}/meilensteine/"
    titles = {
        state: [m.title for m in client.get(f"{url}?state={state}").context["timeline"]]
        for state in ("overdue", "at_risk", "open", "done")
    }
    assert titles == {"overdue": ["Überfällig"], "at_risk": ["Bald"], "open": ["Später"], "done": []}
    unknown = client.get(f"{url}?state=nonsense")
    assert unknown.status_code == 200 and len(unknown.context["timeline"]) == 3
    assert unknown.context["counts"]["total"] == 3  # the counts always cover every milestone
