"""Reports: the files' content (PDF text and picture, XLSX cells), the pages, who may download what, expiry, the
failure path and the monthly region report. Tasks run inline here; tests/tasks/test_reports.py uses a real worker."""

import datetime
import json
from decimal import Decimal
from io import BytesIO

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role
from municipalities.models import AuditEntry
from municipalities.scoping import town_scope
from notifications.models import Notification
from projects import services as project_services
from reports import services, tasks
from reports.models import ReportRequest
from tests import factories
from tests.helpers import file_bytes, first_page_png, pdftotext

pytestmark = pytest.mark.django_db


def _request(
    municipality, *, kind="town", format="pdf", by=None, grant=None, django_capture_on_commit_callbacks
):
    with town_scope(municipality), django_capture_on_commit_callbacks(execute=True):
        report, _created = services.report_request(
            municipality=municipality, kind=kind, format=format, by=by, grant=grant
        )
    return ReportRequest.objects.with_scope(municipality=municipality.pk).get(pk=report.pk)


# --- Content ---------------------------------------------------------------------------------------------


def test_the_town_report_pdf_shows_the_key_figures(
    demo_town, editor_a, tmp_path, django_capture_on_commit_callbacks
):
    town = demo_town["town"]
    report = _request(
        town, by=editor_a, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    assert report.status == "done" and report.progress == 100 and report.file.name.startswith("reports/")
    content = file_bytes(report)
    assert content.startswith(b"%PDF")
    text = pdftotext(content, tmp_path)
    assert "Stadt Arnsberg" in text or "Arnsberg" in text
    assert "Smart-City-Strategie Arnsberg" in text
    flow = " ".join(pdftotext(content, tmp_path, layout=False).replace("-\n", "").split())
    for title in (
        "Sensorik im Quartier",
        "Digitales Rathaus",
        "Internes Prüfprojekt",
        "Gemeinsame Datenplattform",
    ):
        assert title in flow, title  # internal and joint projects too: the report is for staff
    assert "Angeschlossene Sensoren" in text  # the KPI with its chart
    assert "Ideen für den Marktplatz" in text
    # The key figures on the cover (agentur.figures): 3 projects led and the joint one beside them, 1 KPI,
    # 1 process, 2 ideas.
    cover = " ".join(text.split("\n")[:14])
    assert "3 +1 gemeinsam" in " ".join(cover.split()), cover
    assert "Projekte (federführend oder gemeinsam)" not in text
    page = first_page_png(content, tmp_path)
    colours = page.getcolors(maxcolors=1_000_000)
    assert len(colours) > 50, "the first page is blank"
    white = sum(count for count, rgb in colours if min(rgb) > 245)
    assert white < page.width * page.height * 0.97, "the first page is (nearly) empty"
    # The town's brand colour appears on the cover band.
    brand = town.brand_colour.lstrip("#")
    want = tuple(int(brand[i : i + 2], 16) for i in (0, 2, 4))
    assert any(
        all(abs(have - wanted) < 12 for have, wanted in zip(rgb, want, strict=True)) for _c, rgb in colours
    ), town.brand_colour


def test_the_funding_report_pdf_is_a_draft_with_ledger_and_milestones(
    demo_town, viewer_a, tmp_path, django_capture_on_commit_callbacks
):
    town, grant = demo_town["town"], demo_town["grant"]
    report = _request(
        town,
        kind="funding",
        grant=grant,
        by=viewer_a,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    assert report.status == "done"
    text = pdftotext(file_bytes(report), tmp_path)
    assert grant.title in text
    assert "650.000,00 €" in text  # federal share at 65 % of 1 Mio. €
    assert "1.000.000,00 €" in text and "350.000,00 €" in text
    assert "12.500,50 €" in text and "50.000,00 €" in text  # spent, requested
    assert "Sensoren in Betrieb" in text and "Abschluss Phase B" in text
    assert "LoRaWAN-Gateways" in text


def test_the_town_report_xlsx(demo_town, editor_a, django_capture_on_commit_callbacks):
    town = demo_town["town"]
    report = _request(
        town,
        format="xlsx",
        by=editor_a,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    assert report.status == "done" and report.file.name.endswith(".xlsx")
    wb = load_workbook(BytesIO(file_bytes(report)))
    assert wb.sheetnames == ["Übersicht", "Projekte", "Kennzahlen", "Messwerte", "Beteiligung"]
    projects = wb["Projekte"]
    titles = [projects.cell(row=r, column=1).value for r in range(2, projects.max_row + 1)]
    assert sorted(titles) == sorted(
        ["Digitales Rathaus", "Gemeinsame Datenplattform", "Internes Prüfprojekt", "Sensorik im Quartier"]
    )
    assert (
        projects["E1"].value
        and projects.cell(row=titles.index("Sensorik im Quartier") + 2, column=5).value == 0.4
    )
    values = [wb["Messwerte"].cell(row=r, column=4).value for r in range(2, 5)]
    assert values == [20, 45, 70]
    overview = {
        wb["Übersicht"].cell(row=r, column=1).value: wb["Übersicht"].cell(row=r, column=2).value
        for r in range(1, wb["Übersicht"].max_row + 1)
    }
    assert (
        overview["Projekte unter Federführung der Kommune"] == 3
        and "Smart-City-Strategie Arnsberg" in overview.values()
    )
    assert (
        wb["Übersicht"]["C5"].value == 1
        and wb["Übersicht"]["A5"].value == "Projekte unter Federführung der Kommune"
    )
    assert overview["Veröffentlichte Ideen"] == 2 and overview["Veröffentlichte Verfahren"] == 1


def test_the_town_report_xlsx_holds_numbers_as_numbers_and_names_as_names(
    demo_town, town_b, editor_a, django_capture_on_commit_callbacks
):
    """Issue 15, item 13: baseline and target were text in scientific notation ("1.5E+3"), "Partnerstädte" a
    count."""
    town, sensor = demo_town["town"], demo_town["project"]
    town_c = factories.MunicipalityFactory(name="Anröchte", slug="anroechte")
    factories.project(
        municipality=town,
        title="Mobilitätsplattform",
        partners=[town_c, town_b],
        planned_budget=Decimal("1250000.50"),
    )
    with town_scope(town):
        indicator = project_services.indicator_create(
            project=sensor,
            by=editor_a,
            acting_town=town,
            fields={
                "name": "Fahrgäste",
                "unit": "pro Tag",
                "baseline": Decimal("950"),
                "target": Decimal("1500.0000"),
            },
        )
        project_services.measurement_record(
            indicator=indicator,
            by=editor_a,
            acting_town=town,
            measured_on=datetime.date(2025, 3, 1),
            value=Decimal("1250.5"),
        )
    report = _request(
        town,
        format="xlsx",
        by=editor_a,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    wb = load_workbook(BytesIO(file_bytes(report)))

    kpis = wb["Kennzahlen"]
    header = [cell.value for cell in kpis[1]]
    baseline, target = header.index("Ausgangswert") + 1, header.index("Zielwert") + 1
    rows = {kpis.cell(row=r, column=2).value: r for r in range(2, kpis.max_row + 1)}
    row = rows["Fahrgäste"]
    for column, value in ((baseline, 950), (target, 1500)):
        cell = kpis.cell(row=row, column=column)
        assert (cell.data_type, cell.value, cell.number_format) == ("n", value, "#,##0")
    sensors = kpis.cell(row=rows["Angeschlossene Sensoren"], column=target)
    assert (sensors.data_type, sensors.value, sensors.number_format) == ("n", 120, "#,##0")
    count = kpis.cell(row=row, column=header.index("Messwerte") + 1)
    assert (count.data_type, count.value, count.number_format) == ("n", 1, "#,##0")

    values = wb["Messwerte"]
    cells = {
        values.cell(row=r, column=2).value: values.cell(row=r, column=4) for r in range(2, values.max_row + 1)
    }
    assert (cells["Fahrgäste"].data_type, cells["Fahrgäste"].value, cells["Fahrgäste"].number_format) == (
        "n",
        1250.5,
        "#,##0.0",
    )

    projects = wb["Projekte"]
    header = [cell.value for cell in projects[1]]
    partners, budget, progress = (
        header.index(label) + 1 for label in ("Partnerstädte", "Geplantes Budget", "Fortschritt")
    )
    by_title = {projects.cell(row=r, column=1).value: r for r in range(2, projects.max_row + 1)}
    cell = projects.cell(row=by_title["Mobilitätsplattform"], column=partners)
    assert (cell.data_type, cell.value) == ("s", "Anröchte, Soest")
    assert projects.cell(row=by_title["Digitales Rathaus"], column=partners).value is None
    assert projects.cell(row=by_title["Gemeinsame Datenplattform"], column=partners).value == "Arnsberg"
    assert projects.cell(row=by_title["Sensorik im Quartier"], column=progress).number_format == "0.0 %"
    planned = projects.cell(row=by_title["Mobilitätsplattform"], column=budget)
    assert (planned.data_type, planned.value, planned.number_format) == ("n", 1250000.5, '#,##0.00 "€"')

    overview = wb["Übersicht"]
    counts = [
        overview.cell(row=r, column=2)
        for r in range(1, overview.max_row + 1)
        if isinstance(overview.cell(row=r, column=2).value, int)
    ]
    assert counts and all(c.number_format == "#,##0" for c in counts)


def test_the_funding_report_xlsx_is_the_grant_ledger(demo_town, viewer_a, django_capture_on_commit_callbacks):
    town, grant = demo_town["town"], demo_town["grant"]
    report = _request(
        town,
        kind="funding",
        format="xlsx",
        grant=grant,
        by=viewer_a,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    wb = load_workbook(BytesIO(file_bytes(report)))
    assert "Meilensteine" in wb.sheetnames and "Ausgaben" in wb.sheetnames
    overview = wb["Übersicht"]
    amounts = [overview.cell(row=r, column=2).value for r in range(1, 20)]
    assert 650000 in amounts


def test_a_report_whose_grant_is_gone_fails_with_a_reason(
    demo_town, viewer_a, django_capture_on_commit_callbacks
):
    town, grant = demo_town["town"], demo_town["grant"]
    with town_scope(town):
        report, _ = services.report_request(
            municipality=town, kind="funding", format="pdf", by=viewer_a, grant=grant
        )
        ReportRequest.objects.filter(pk=report.pk).update(grant=None)  # as if the grant had been deleted
        tasks.report_build(municipality_id=town.pk, report_id=report.pk)
        report.refresh_from_db()
    assert report.status == "failed" and not report.file
    assert "grant" in report.error.lower() or "Zuwendung" in report.error


def test_an_unexpected_error_is_stored_readably(
    demo_town, editor_a, monkeypatch, django_capture_on_commit_callbacks
):
    town = demo_town["town"]

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("reports.pdf.town_report_pdf", broken)
    with town_scope(town):
        report, _ = services.report_request(municipality=town, kind="town", format="pdf", by=editor_a)
    with pytest.raises(ZeroDivisionError):  # eager tasks propagate; a worker would log it
        tasks.report_build.apply(kwargs={"municipality_id": town.pk, "report_id": report.pk}, throw=True)
    report = ReportRequest.objects.with_scope(municipality=town.pk).get(pk=report.pk)
    assert report.status == "failed" and "ZeroDivisionError" in report.error


def test_a_second_delivery_does_nothing(demo_town, editor_a, django_capture_on_commit_callbacks):
    town = demo_town["town"]
    report = _request(
        town, by=editor_a, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    name = report.file.name
    assert tasks.report_build(municipality_id=town.pk, report_id=report.pk) is False
    report.refresh_from_db()
    assert report.file.name == name
    assert Notification.objects.with_scope(municipality=town.pk).filter(kind="report.ready").count() == 1


def test_the_same_open_report_is_not_queued_twice(town_a, editor_a):
    with town_scope(town_a):
        first, created = services.report_request(municipality=town_a, kind="town", format="pdf", by=editor_a)
        second, again = services.report_request(municipality=town_a, kind="town", format="pdf", by=editor_a)
    assert created and not again and first.pk == second.pk


def test_a_funding_report_needs_a_grant_of_the_town(town_a, town_b, editor_a):
    from django.core.exceptions import ValidationError

    other = factories.grant(municipality=town_b)
    with town_scope(town_a), pytest.raises(ValidationError):
        services.report_request(municipality=town_a, kind="funding", format="pdf", by=editor_a)
    with town_scope(town_a), pytest.raises(ValidationError):
        services.report_request(municipality=town_a, kind="funding", format="pdf", by=editor_a, grant=other)


# --- Pages and downloads ---------------------------------------------------------------------------------


def test_the_page_requests_a_report_and_shows_it(
    client, demo_town, editor_a, django_capture_on_commit_callbacks
):
    client.force_login(editor_a)
    assert client.get("/arnsberg/verwaltung/berichte/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/arnsberg/verwaltung/berichte/", {"kind": "town", "format": "pdf"})
    assert response.status_code == 302
    report = ReportRequest.objects.with_scope(municipality=demo_town["town"].pk).get()
    assert report.status == "done" and report.requested_by == editor_a
    page = client.get("/arnsberg/verwaltung/berichte/").content.decode()
    assert f"/arnsberg/verwaltung/berichte/{report.pk}/datei/" in page
    assert 'hx-trigger="every 2s"' not in page  # done: no more polling
    download = client.get(f"/arnsberg/verwaltung/berichte/{report.pk}/datei/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    assert "bericht-arnsberg-" in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    # The requester is told in the app (and by e-mail, immediate by default).
    notification = Notification.objects.with_scope(municipality=demo_town["town"].pk).get(kind="report.ready")
    assert notification.recipient == editor_a and notification.url == "/arnsberg/verwaltung/berichte/"


def test_report_requests_are_rate_limited_on_the_page_and_in_the_api(
    client, town_a, editor_a, moderator, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report_request": [(2, 3600, "user")]}
    client.force_login(editor_a)
    url = "/arnsberg/verwaltung/berichte/"
    assert [client.post(url, {"kind": "town", "format": fmt}).status_code for fmt in ("pdf", "xlsx")] == [
        302,
        302,
    ]
    refused = client.post(url, {"kind": "town", "format": "xlsx"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.context["form"].errors and refused.context["form"]["format"].value() == "xlsx"
    # The API is the same door: the same counter, answered the API's way.
    api = client.post(
        reverse("api:reports", kwargs={"town_slug": town_a.slug}),
        data=json.dumps({"kind": "town", "format": "pdf"}),
        content_type="application/json",
    )
    assert api.status_code == 429 and int(api["Retry-After"]) > 0 and api.json()["detail"]
    assert ReportRequest.objects.with_scope(municipality=town_a.pk).count() == 2

    client.force_login(moderator)
    assert [client.post("/agentur/berichte/", {"format": "pdf"}).status_code for _ in range(2)] == [302, 302]
    refused = client.post("/agentur/berichte/", {"format": "pdf"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


def test_the_status_box_polls_while_open_and_stops_when_done(client, town_a, editor_a):
    with town_scope(town_a):
        report = ReportRequest.objects.create(
            municipality=town_a,
            kind="town",
            format="pdf",
            status="running",
            progress=40,
            expires_at=timezone.now() + datetime.timedelta(days=1),
        )
    client.force_login(editor_a)
    url = f"/arnsberg/verwaltung/berichte/{report.pk}/status/"
    box = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in box and f'hx-get="{url}"' in box and 'value="40"' in box
    ReportRequest.objects.with_scope(municipality=town_a.pk).filter(pk=report.pk).update(
        status="failed", error="Die Zuwendung gibt es nicht mehr."
    )
    box = client.get(url).content.decode()
    assert "hx-trigger" not in box and "Die Zuwendung gibt es nicht mehr." in box


def test_download_rights(
    client, demo_town, town_b, editor_a, citizen, moderator, staff_factory, django_capture_on_commit_callbacks
):
    town = demo_town["town"]
    report = _request(
        town, by=editor_a, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    url = f"/arnsberg/verwaltung/berichte/{report.pk}/datei/"
    viewer = staff_factory(town, Role.VIEWER)
    other_town_admin = staff_factory(town_b, Role.ADMIN)
    for user, status in (
        (editor_a, 200),
        (viewer, 200),
        (moderator, 200),
        (other_town_admin, 404),
        (citizen, 404),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user
    # Under another town's address the report does not exist either.
    client.force_login(other_town_admin)
    assert client.get(f"/soest/verwaltung/berichte/{report.pk}/datei/").status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_an_expired_report_answers_410_and_the_purge_deletes_its_file(
    client, demo_town, editor_a, django_capture_on_commit_callbacks
):
    town = demo_town["town"]
    report = _request(
        town, by=editor_a, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    storage = report.file.storage
    name = report.file.name
    ReportRequest.objects.with_scope(municipality=town.pk).filter(pk=report.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    client.force_login(editor_a)
    url = f"/arnsberg/verwaltung/berichte/{report.pk}/datei/"
    response = client.get(url)
    assert (
        response.status_code == 410 and "expired" in response.content.decode().lower()
    ) or "abgelaufen" in response.content.decode().lower()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.reports_purge() == 1
    assert not storage.exists(name)
    report.refresh_from_db()
    assert report.file.name == "" and report.status == "done"
    assert client.get(url).status_code == 410
    assert tasks.reports_purge() == 0


def test_lifetime_comes_from_the_setting(town_a, editor_a):
    with override_settings(REPORT_LIFETIME_DAYS=3), town_scope(town_a):
        report, _ = services.report_request(municipality=town_a, kind="town", format="pdf", by=editor_a)
    assert (
        datetime.timedelta(days=2, hours=23)
        < report.expires_at - timezone.now()
        <= datetime.timedelta(days=3)
    )


def test_funding_reports_are_hidden_without_funding_rights(
    client, demo_town, viewer_a, monkeypatch, django_capture_on_commit_callbacks
):
    """Funding reports follow funding.view; if a role sees the staff area but not funding, they are 404."""
    town, grant = demo_town["town"], demo_town["grant"]
    report = _request(
        town,
        kind="funding",
        grant=grant,
        by=viewer_a,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    client.force_login(viewer_a)
    assert client.get(f"/arnsberg/verwaltung/berichte/{report.pk}/datei/").status_code == 200
    monkeypatch.setattr("reports.views.can_view_funding", lambda user, municipality: False)
    monkeypatch.setattr("accounts.permissions.can_view_funding", lambda user, municipality: False)
    assert client.get(f"/arnsberg/verwaltung/berichte/{report.pk}/datei/").status_code == 404
    assert client.get(f"/arnsberg/verwaltung/berichte/{report.pk}/status/").status_code == 404
    page = client.get("/arnsberg/verwaltung/berichte/").content.decode()
    assert grant.title not in page and 'value="funding"' not in page


def test_the_grant_page_links_to_its_funding_report(client, demo_town, viewer_a):
    client.force_login(viewer_a)
    grant = demo_town["grant"]
    page = client.get(f"/arnsberg/verwaltung/foerderung/{grant.pk}/").content.decode()
    assert f"/arnsberg/verwaltung/berichte/?kind=funding&amp;grant={grant.pk}" in page
    form = client.get(f"/arnsberg/verwaltung/berichte/?kind=funding&grant={grant.pk}").content.decode()
    assert f'value="{grant.pk}" selected' in form


def test_the_staff_dashboard_links_to_the_reports(client, town_a, viewer_a):
    client.force_login(viewer_a)
    assert "/arnsberg/verwaltung/berichte/" in client.get("/arnsberg/verwaltung/").content.decode()


# --- Region report ---------------------------------------------------------------------------------------


def test_the_region_report_is_for_moderators_only_and_audited(
    client, demo_town, town_b, moderator, admin_a, tmp_path, django_capture_on_commit_callbacks
):
    from tests.reports.conftest import fill_town

    fill_town(town_b)
    client.force_login(moderator)
    assert client.get("/agentur/berichte/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/agentur/berichte/", {"format": "pdf"}).status_code == 302
    report = ReportRequest.objects.with_scope(municipality=demo_town["town"].pk).get(kind="region")
    assert report.status == "done" and report.municipality == demo_town["town"]  # kept by the lead town
    # The slugs are compared in Python: SQLite (make test without DATABASE_URL) has no JSON "contains".
    assert any(
        {"arnsberg", "soest"} <= set(entry.municipality_slugs)
        for entry in AuditEntry.objects.filter(purpose="job:region-report", user=moderator)
    )
    download = client.get(f"/agentur/berichte/{report.pk}/datei/")
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"
    text = pdftotext(b"".join(download.streaming_content), tmp_path)
    assert "Arnsberg" in text and "Soest" in text and "1.300.000,00 €" in text  # 2 × 650.000 €
    assert AuditEntry.objects.filter(purpose="agentur:region-report", user=moderator).exists()
    # Not on the lead town's own pages, not for its staff, not for anyone else.
    client.force_login(admin_a)
    assert client.get(f"/arnsberg/verwaltung/berichte/{report.pk}/datei/").status_code == 404
    assert client.get(f"/agentur/berichte/{report.pk}/datei/").status_code == 404
    assert client.get("/agentur/berichte/").status_code == 404
    lead_page = client.get("/arnsberg/verwaltung/berichte/").content.decode()
    assert f"/berichte/{report.pk}/" not in lead_page and str(report.get_kind_display()) not in lead_page


def test_the_region_report_xlsx(client, demo_town, moderator, django_capture_on_commit_callbacks):
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/agentur/berichte/", {"format": "xlsx"})
    report = ReportRequest.objects.with_scope(municipality=demo_town["town"].pk).get(kind="region")
    wb = load_workbook(BytesIO(file_bytes(report)))
    assert wb.sheetnames == ["Übersicht", "Projekte", "Förderung", "Meilensteine", "Beteiligung"]
    funding = {
        wb["Förderung"].cell(row=r, column=1).value: wb["Förderung"].cell(row=r, column=2).value
        for r in range(2, wb["Förderung"].max_row + 1)
    }
    assert funding["Arnsberg"] == 650000 and funding["Soest"] == 0


def test_the_monthly_region_report_reaches_every_moderator_once(
    demo_town, moderator, django_capture_on_commit_callbacks
):
    second = factories.UserFactory(email="moderator2@example.org", is_agentur_moderator=True)
    with django_capture_on_commit_callbacks(execute=True):
        first_id = tasks.region_report_monthly(period="2026-04")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.region_report_monthly(period="2026-04") == first_id  # the job ran twice: one report
    report = ReportRequest.objects.with_scope(municipality=demo_town["town"].pk).get(pk=first_id)
    assert report.status == "done" and report.period == "2026-04" and report.requested_by is None
    told = Notification.objects.with_scope(municipality=demo_town["town"].pk).filter(kind="report.ready")
    assert sorted(n.recipient.email for n in told) == sorted([moderator.email, second.email])
    assert all(n.url == "/agentur/berichte/" for n in told)
    mails = [m for m in mail.outbox if "/agentur/berichte/" in m.body]
    assert sorted(m.to[0] for m in mails) == sorted([moderator.email, second.email])
    assert not any(m.attachments for m in mails)  # a link behind the login, never the file


def test_the_monthly_job_names_the_month_just_ended(demo_town, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: datetime.date(2026, 6, 1))
    report_id = tasks.region_report_monthly()
    report = ReportRequest.objects.with_scope(municipality=demo_town["town"].pk).get(pk=report_id)
    assert report.period == "2026-05"
