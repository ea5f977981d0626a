"""A grant's terms (dates, eligible costs, funding rate): only the town's admins change them, with a reason; the
rate is one of the programme's unless the funder's exception is on record; the Agentur's moderators are told."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from funding import services
from funding.models import FundingEvent, Grant
from municipalities.scoping import town_scope
from notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db

BASE = "/arnsberg/verwaltung/foerderung/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def grant(town_a):
    grant = factories.grant(
        municipality=town_a, eligible_costs=Decimal("8800000.00"), notes="Erste Zeile\nZweite"
    )
    with town_scope(town_a):
        return Grant.objects.get(pk=grant.pk)


def _form(grant: Grant, **changes) -> dict:
    """The edit form as a person sends it back: German numbers, CRLF line breaks in the text area."""
    data = {
        "title": grant.title,
        "programme": grant.programme,
        "funder": grant.funder,
        "reference": grant.reference,
        "cohort": grant.cohort,
        "recipient": grant.recipient,
        "approved_on": grant.approved_on.isoformat(),
        "period_start": grant.period_start.isoformat(),
        "period_end": grant.period_end.isoformat(),
        "phase_a_start": "",
        "phase_a_end": "",
        "phase_b_start": "",
        "phase_b_end": "",
        "eligible_costs": "8.800.000,00",
        "funding_rate": "65,00",
        "notes": grant.notes.replace("\n", "\r\n"),
    }
    data.update(changes)
    return data


def _events(municipality, **filters):
    with town_scope(municipality):
        return list(FundingEvent.objects.filter(entity="grant", kind="changed", **filters))


def test_an_editor_sees_the_terms_read_only_and_a_changed_rate_is_refused_with_403(
    client, editor_a, grant, town_a
):
    client.force_login(editor_a)
    page = client.get(f"{BASE}{grant.pk}/bearbeiten/").content.decode()
    assert 'name="funding_rate"' in page and "readonly" in page
    assert 'name="reason"' not in page
    assert "Nur die Administration der Kommune ändert die Bedingungen der Zuwendung" in page

    response = client.post(f"{BASE}{grant.pk}/bearbeiten/", _form(grant, funding_rate="80"))
    assert response.status_code == 403
    response = client.post(f"{BASE}{grant.pk}/bearbeiten/", _form(grant, eligible_costs="7.000.000,00"))
    assert response.status_code == 403
    with town_scope(town_a):
        grant.refresh_from_db()
    assert (grant.funding_rate, grant.eligible_costs) == (Decimal("65.00"), Decimal("8800000.00"))
    assert _events(town_a) == []
    # The rest of the grant stays the editors' to keep up to date, with no reason asked.
    response = client.post(f"{BASE}{grant.pk}/bearbeiten/", _form(grant, reference="SC-2019-0042"))
    assert response.status_code == 302
    assert [e.changes for e in _events(town_a)] == [{"reference": ["", "SC-2019-0042"]}]
    # Recording a new grant sets terms too.
    assert client.get(BASE + "neu/").status_code == 403


def test_the_service_refuses_an_editor_whatever_door_they_use(editor_a, viewer_a, moderator, grant, town_a):
    with town_scope(town_a):
        for person in (editor_a, viewer_a, moderator):
            with pytest.raises(PermissionDenied):
                services.grant_change(
                    grant=grant, by=person, fields={"funding_rate": Decimal("80.00")}, reason="Einfach so"
                )
            with pytest.raises(PermissionDenied):
                services.grant_change(
                    grant=grant,
                    by=person,
                    fields={"period_end": datetime.date(2027, 6, 30)},
                    reason="Verlängert",
                )
        with pytest.raises(PermissionDenied):
            services.grant_create(
                municipality=town_a,
                by=editor_a,
                fields={
                    "title": "Neu",
                    "approved_on": datetime.date(2023, 1, 1),
                    "period_start": datetime.date(2023, 1, 1),
                    "period_end": datetime.date(2025, 12, 31),
                    "eligible_costs": Decimal("1000.00"),
                    "funding_rate": Decimal("65.00"),
                },
            )
        grant.refresh_from_db()
    assert grant.funding_rate == Decimal("65.00")


def test_an_admin_changes_the_terms_with_a_reason_and_the_history_keeps_it(client, admin_a, grant, town_a):
    client.force_login(admin_a)
    page = client.get(f"{BASE}{grant.pk}/bearbeiten/").content.decode()
    assert 'name="reason"' in page and "65 %" in page and "90 %" in page
    response = client.post(f"{BASE}{grant.pk}/bearbeiten/", _form(grant, eligible_costs="7.000.000,00"))
    assert response.status_code == 200
    assert "Bitte geben Sie an, warum sich die Bedingungen" in response.content.decode()
    assert _events(town_a) == []

    response = client.post(
        f"{BASE}{grant.pk}/bearbeiten/",
        _form(
            grant, eligible_costs="7.000.000,00", funding_rate="90", reason="Änderungsbescheid vom 1.10.2025"
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    [event] = _events(town_a)
    assert event.actor == admin_a and event.reason == "Änderungsbescheid vom 1.10.2025"
    assert event.changes["eligible_costs"] == ["8800000.00", "7000000.00"]
    assert event.changes["funding_rate"] == [
        "65.00",
        "90.00",
    ]  # 90 % is a programme rate: no exception needed
    history = client.get(f"{BASE}{grant.pk}/verlauf/").content.decode()
    assert "Änderungsbescheid vom 1.10.2025" in history


def test_a_rate_outside_the_programme_needs_the_funders_exception(client, admin_a, grant, town_a):
    client.force_login(admin_a)
    response = client.post(f"{BASE}{grant.pk}/bearbeiten/", _form(grant, funding_rate="80", reason="Zusage"))
    assert response.status_code == 200
    assert "Ausnahme" in response.content.decode() and 'aria-invalid="true"' in response.content.decode()
    with town_scope(town_a), pytest.raises(ValidationError) as error:
        services.grant_change(grant=grant, by=admin_a, fields={"funding_rate": Decimal("80.00")}, reason="X")
    assert "funding_rate" in error.value.message_dict
    assert _events(town_a) == []

    # With the funder's decision uploaded (through the upload check), the rate is accepted.
    upload = SimpleUploadedFile("bescheid.pdf", PDF, content_type="application/pdf")
    response = client.post(
        f"{BASE}{grant.pk}/bearbeiten/",
        {
            **_form(grant, funding_rate="80", reason="Ausnahmebescheid der KfW"),
            "rate_exception_document": upload,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with town_scope(town_a):
        grant.refresh_from_db()
    assert grant.funding_rate == Decimal("80.00") and grant.federal_share == Decimal("7040000.00")
    assert grant.rate_exception_document and grant.rate_exception_document_content_type == "application/pdf"
    document = client.get(f"{BASE}{grant.pk}/ausnahme/")
    assert document.status_code == 200 and b"".join(document.streaming_content).startswith(b"%PDF")
    # Something that is not a document is refused by the upload check.
    fake = SimpleUploadedFile("bescheid.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(
        f"{BASE}{grant.pk}/bearbeiten/",
        {**_form(grant, funding_rate="75", reason="Neu"), "rate_exception_document": fake},
    )
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()


def test_a_reference_to_the_funders_decision_is_enough(admin_a, grant, town_a):
    with town_scope(town_a):
        services.grant_change(
            grant=grant,
            by=admin_a,
            fields={"funding_rate": Decimal("80.00")},
            reason="Sonderregelung",
            rate_exception_reference="KfW 436-2025-17 vom 3.2.2025",
        )
        grant.refresh_from_db()
        [event] = FundingEvent.objects.filter(entity="grant", kind="changed")
    assert grant.funding_rate == Decimal("80.00")
    assert event.changes["rate_exception_reference"] == ["", "KfW 436-2025-17 vom 3.2.2025"]


def test_the_agentur_moderators_are_told_once(
    admin_a, editor_a, moderator, grant, town_a, django_capture_on_commit_callbacks, mailoutbox
):
    other = factories.UserFactory(email="mod2@example.org", is_agentur_moderator=True)
    with town_scope(town_a):
        with django_capture_on_commit_callbacks(execute=True):
            services.grant_change(
                grant=grant,
                by=admin_a,
                fields={"eligible_costs": Decimal("7000000.00")},
                reason="Änderungsbescheid",
            )
        told = Notification.objects.filter(kind="funding.terms")
        assert sorted(told.values_list("recipient", flat=True)) == sorted([moderator.pk, other.pk])
        note = told.first()
        assert "Arnsberg" in note.title and grant.title in note.title and "Änderungsbescheid" in note.body
        assert note.url == f"{BASE}{grant.pk}/verlauf/"
        # The job running again tells nobody twice; a change that is no change of terms tells nobody.
        from funding.tasks import grant_terms_changed_notify

        event = FundingEvent.objects.get(entity="grant", kind="changed")
        assert grant_terms_changed_notify(municipality_id=town_a.pk, event_id=event.pk) == 0
        with django_capture_on_commit_callbacks(execute=True):
            services.grant_change(grant=grant, by=editor_a, fields={"notes": "Nur eine Notiz"})
        assert Notification.objects.filter(kind="funding.terms").count() == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted([moderator.email, other.email])
