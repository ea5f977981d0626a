"""Pages of the progress review: who sees and does what, the audited Agentur list, bounded queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from municipalities.models import AuditEntry
from municipalities.scoping import town_scope
from reviews import services
from reviews.models import ProgressReport
from tests import factories

pytestmark = pytest.mark.django_db

LIST = "/arnsberg/verwaltung/fortschrittsberichte/"
REPORT = LIST + "2025-q4/"
REVIEW = "/agentur/fortschrittsberichte/arnsberg/2025-q4/"


def _submitted(municipality, editor, year=2025, quarter=4):
    with town_scope(municipality):
        report = services.report_create(municipality=municipality, year=year, quarter=quarter, by=editor)
        return services.report_submit(report=report, by=editor)


def test_an_editor_generates_and_submits_the_report(client, town_a, editor_a, catalogue):
    client.force_login(editor_a)
    response = client.post(LIST, {"year": 2025, "quarter": 4})
    assert response.status_code == 302 and response["Location"] == REPORT
    from projects.models import FieldOfAction

    first = FieldOfAction.objects.order_by("position", "name").first()
    assert client.get(REPORT + "texte/").status_code == 200
    assert client.post(REPORT + "texte/", {f"field_{first.pk}": "Läuft."}).status_code == 302
    assert client.post(REPORT + "einreichen/").status_code == 302
    page = client.get(REPORT)
    assert page.status_code == 200 and b"L\xc3\xa4uft." in page.content
    assert b'data-status="submitted"' in page.content
    # Texts are fixed now.
    assert client.get(REPORT + "texte/").status_code == 302
    # A second report for the same quarter is refused on the form.
    again = client.post(LIST, {"year": 2025, "quarter": 4})
    assert again.status_code == 200 and again.context["form"].errors["quarter"]


def test_viewers_read_but_do_not_prepare(client, town_a, editor_a, viewer_a):
    _submitted(town_a, editor_a)
    client.force_login(viewer_a)
    assert client.get(LIST).status_code == 200
    assert client.get(REPORT).status_code == 200
    assert client.post(LIST, {"year": 2025, "quarter": 3}).status_code == 403
    assert client.post(REPORT + "aktualisieren/").status_code == 403


def test_other_towns_and_citizens_never_see_reports(client, town_a, town_b, editor_a, citizen):
    _submitted(town_a, editor_a)
    admin_b = factories.staff_member(municipality=town_b, role="admin", email="admin-b@example.org")
    for user in (admin_b, citizen):
        client.force_login(user)
        assert client.get(REPORT).status_code == 404
        assert client.get(LIST).status_code == 404
        assert client.get(REVIEW).status_code == 404
        assert client.get("/agentur/fortschrittsberichte/").status_code == 404
    # Town B's own list does not show town A's report.
    client.force_login(admin_b)
    page = client.get("/soest/verwaltung/fortschrittsberichte/")
    assert page.status_code == 200 and list(page.context["reports"]) == []


def test_moderators_review_with_audit(client, town_a, town_b, editor_a, moderator):
    _submitted(town_a, editor_a)
    editor_b = factories.staff_member(municipality=town_b, role="editor", email="editor-b@example.org")
    _submitted(town_b, editor_b)
    with town_scope(town_a):  # a draft stays with the town
        services.report_create(municipality=town_a, year=2025, quarter=3, by=editor_a)
    client.force_login(moderator)
    before = AuditEntry.objects.count()
    page = client.get("/agentur/fortschrittsberichte/")
    assert page.status_code == 200
    assert [(r.municipality.slug, r.label) for r in page.context["reports"]] == [
        ("arnsberg", "Q4/2025"),
        ("soest", "Q4/2025"),
    ]
    entry = AuditEntry.objects.order_by("-pk").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry.purpose == "agentur:progress-reports" and entry.user == moderator
    assert set(entry.municipality_slugs) == {"arnsberg", "soest"}

    assert client.get(REVIEW).status_code == 200
    assert AuditEntry.objects.order_by("-pk").first().municipality_slugs == ["arnsberg"]
    assert client.get("/agentur/fortschrittsberichte/arnsberg/2025-q3/").status_code == 404  # draft
    assert client.post(REVIEW + "kommentar/", {"body": "Gut gegliedert."}).status_code == 302
    refused = client.post(REVIEW + "entscheidung/", {"decision": "returned", "remarks": ""})
    assert refused.status_code == 200 and refused.context["decision_form"].errors["remarks"]
    assert (
        client.post(
            REVIEW + "entscheidung/", {"decision": "returned", "remarks": "Bitte ergänzen."}
        ).status_code
        == 302
    )
    with town_scope(town_a):
        report = ProgressReport.objects.get(year=2025, quarter=4)
        assert report.status == "returned" and report.remarks == "Bitte ergänzen."
        assert report.comments.count() == 1
    # The town sees the remark and the comment on its page.
    client.force_login(editor_a)
    page = client.get(REPORT)
    assert "Bitte ergänzen." in page.content.decode() and "Gut gegliedert." in page.content.decode()
    assert client.post(REPORT + "ueberarbeiten/").status_code == 302


def test_moderators_cannot_write_the_towns_report(client, town_a, editor_a, moderator):
    _submitted(town_a, editor_a)
    client.force_login(moderator)
    assert client.get(REPORT).status_code == 200  # reading a town's page is allowed (and audited)
    assert client.post(LIST, {"year": 2025, "quarter": 3}).status_code == 403
    assert client.post(REPORT + "einreichen/").status_code == 403


def test_the_agentur_list_takes_a_fixed_number_of_queries(client, moderator):
    towns = [factories.MunicipalityFactory() for _ in range(3)]

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/agentur/fortschrittsberichte/?status=all").status_code == 200
        return len(queries)

    client.force_login(moderator)
    editor = factories.staff_member(municipality=towns[0], role="editor")
    _submitted(towns[0], editor)
    small = count()
    for town in towns[1:]:
        editor = factories.staff_member(municipality=town, role="editor")
        _submitted(town, editor, quarter=3)
        _submitted(town, editor, quarter=4)
    assert count() == small


def test_the_town_pages_take_a_fixed_number_of_queries(client, town_a, editor_a, moderator, catalogue):
    report = _submitted(town_a, editor_a)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.force_login(editor_a)
    count(LIST)  # what a worker keeps (the footer's towns, the consortium) is read once, on its first page
    small = (count(LIST), count(REPORT))
    for quarter in (1, 2, 3):
        _submitted(town_a, editor_a, quarter=quarter)
    with town_scope(town_a):
        for _ in range(5):
            services.review_comment_add(report=report, by=moderator, body="Anmerkung")
    assert (count(LIST), count(REPORT)) == small


def test_the_town_answers_the_agentur_on_its_report_page(client, town_a, editor_a, viewer_a, moderator):
    report = _submitted(town_a, editor_a)
    with town_scope(town_a):
        services.review_comment_add(report=report, by=moderator, body="Wie viele Sensoren laufen?")
    client.force_login(viewer_a)
    page = client.get(REPORT)
    assert page.context["reply_form"] is None and 'id="review-reply"' not in page.content.decode()
    assert client.post(REPORT + "antworten/", {"body": "Ich darf nicht"}).status_code == 403

    client.force_login(editor_a)
    assert 'id="review-reply"' in client.get(REPORT).content.decode()
    refused = client.post(REPORT + "antworten/", {"body": ""})
    assert refused.status_code == 400 and refused.context["reply_form"].errors["body"]
    sent = client.post(REPORT + "antworten/", {"body": "Zwölf, zwei sind in Wartung."})
    assert sent.status_code == 302 and sent["Location"] == REPORT + "#review-comments"
    page = client.get(REPORT).content.decode()
    assert 'data-from="town"' in page and "Zwölf, zwei sind in Wartung." in page
    assert 'data-from="agentur"' in page
    # The moderator reads the answer on the review page.
    client.force_login(moderator)
    assert "Zwölf, zwei sind in Wartung." in client.get(REVIEW).content.decode()

    # Once the report is accepted, the form is gone and a late post is refused with the reason.
    with town_scope(town_a):
        services.review_decide(report=report, by=moderator, decision="accepted")
    client.force_login(editor_a)
    assert client.get(REPORT).context["reply_form"] is None
    late = client.post(REPORT + "antworten/", {"body": "Noch etwas"})
    assert late.status_code == 400 and late.context["reply_form"].non_field_errors()
