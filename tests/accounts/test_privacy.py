"""Citizens' rights (DSGVO): the data export holds all of a person's data and nobody else's; deleting an account
leaves no personal data in any table; contributions stay as by a deleted account, or go with it."""

import datetime
import io
import json
import re
import zipfile

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts import exports, services
from accounts.models import DataExport, Membership, Role, Session, User
from accounts.tasks import data_export_build, data_exports_purge
from municipalities.models import AccessibilityFeedback, AuditEntry
from municipalities.scoping import scopes_disabled, town_scope
from notifications.models import Notification, NotificationPreference
from notifications.services import notify
from participation.models import Ballot, Comment, ContentFlag, Idea, Support, Vote
from participation.services import answers as answers_services
from participation.services import flags as flags_services
from participation.services import supports as supports_services
from tests import factories

pytestmark = pytest.mark.django_db

EMAIL = "anna.beispiel@example.org"
SECOND_EMAIL = "anna.privat@example.org"
NAME = "Anna Beispielfrau"
OTHER_EMAIL = "bernd.anderer@example.org"
OTHER_NAME = "Bernd Andererwelt"
STAFF_NAME = "Clara Sachbearbeiterin"
STAFF_EMAIL = "clara.amt@example.org"


class World:
    """A person with something of everything, and other people around them."""

    def __init__(self, town_a, town_b):
        self.town_a, self.town_b = town_a, town_b
        self.person = factories.UserFactory(email=EMAIL, display_name=NAME)
        EmailAddress.objects.create(user=self.person, email=SECOND_EMAIL, verified=True, primary=False)
        self.other = factories.UserFactory(email=OTHER_EMAIL, display_name=OTHER_NAME)
        self.staff = factories.staff_member(municipality=town_a, role=Role.EDITOR, email=STAFF_EMAIL)
        self.staff.display_name = STAFF_NAME
        self.staff.save(update_fields=["display_name"])

        process = factories.process(municipality=town_a)
        self.process = process
        self.idea = factories.idea(
            process=process,
            author=self.person,
            title="Annas Sitzbänke",
            body="Bänke am Markt, bitte.",
            location_label="Marktplatz",
            image=factories.image_upload(),
        )
        self.other_idea = factories.idea(
            process=process, author=self.other, title="Bernds Radweg", body="Ein Radweg nach Neheim."
        )
        self.own_comment = factories.comment(
            idea=self.idea, author=self.person, body="Annas eigener Kommentar"
        )
        self.others_comment = factories.comment(
            idea=self.idea, author=self.other, body="Bernds Kommentar bei Anna"
        )
        self.reply = factories.comment(
            idea=self.idea, author=self.person, body="Annas Antwort an Bernd", parent=self.others_comment
        )
        self.comment_elsewhere = factories.comment(
            idea=self.other_idea, author=self.person, body="Annas Kommentar zum Radweg"
        )
        with town_scope(town_a):
            supports_services.support_add(idea=self.other_idea, user=self.person)
            supports_services.support_add(idea=self.idea, user=self.other)
            answers_services.idea_answer(
                idea=self.idea, by=self.staff, acting_town=town_a, body="Wir prüfen das.", to="under_review"
            )
            flags_services.flag_submit(
                target=self.others_comment,
                reporter=self.person,
                reason="off_topic",
                note="Annas Meldungsnotiz",
            )
            ballot = Ballot.objects.create(municipality=town_a, process=process, user=self.person)
            Vote.objects.create(municipality=town_a, ballot=ballot, idea=self.other_idea, count=2)
            other_ballot = Ballot.objects.create(municipality=town_a, process=process, user=self.other)
            Vote.objects.create(municipality=town_a, ballot=other_ballot, idea=self.idea, count=1)
            for user, title in ((self.person, "Nachricht für Anna"), (self.other, "Nachricht für Bernd")):
                notify(
                    municipality=town_a,
                    recipients=[user],
                    kind="idea.status",
                    key=f"test:{user.pk}",
                    title=title,
                    body="Text",
                    url="/arnsberg/",
                    email=False,
                )
        NotificationPreference.objects.create(user=self.person, kind="idea.comment", delivery="weekly")
        NotificationPreference.objects.create(user=self.other, kind="idea.comment", delivery="daily")
        factories.membership(
            user=self.person, municipality=town_b, role=Role.EDITOR
        )  # an editor: the project below is made by them
        factories.membership(user=self.other, municipality=town_b, role=Role.ADMIN)
        factories.feedback(
            municipality=town_a, message="Annas Barriere", email=EMAIL.upper(), page_url="/arnsberg/"
        )
        factories.feedback(municipality=town_b, message="Bernds Barriere", email=OTHER_EMAIL)
        # Changes made as staff: a project of town B with its history.
        self.project = factories.project(municipality=town_b, by=self.person, title="Annas Projekt")
        AuditEntry.objects.create(user=self.person, purpose="test:read", municipality_slugs=["soest"])
        # A platform admin changed the person's account: the admin log names them.
        LogEntry.objects.create(
            user=self.other,
            content_type=ContentType.objects.get_for_model(User),
            object_id=str(self.person.pk),
            object_repr=str(self.person),
            action_flag=CHANGE,
            change_message=f"Changed display_name of {NAME}",
        )


@pytest.fixture
def world(town_a, town_b):
    return World(town_a, town_b)


def _archive(user) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(exports.data_export_archive(user=user, language="de"))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# --- Export ------------------------------------------------------------------------------------------------


def test_export_holds_all_of_the_persons_data(world):
    files = _archive(world.person)
    assert {"daten.json", "daten.html"} <= set(files)
    data = json.loads(files["daten.json"])

    account = data["account"]
    assert account["email"] == EMAIL and account["display_name"] == NAME
    assert account["date_joined"] and "last_login" in account and "language" in account
    assert {a["email"] for a in account["email_addresses"]} == {EMAIL, SECOND_EMAIL}
    assert [m["town"] for m in data["memberships"]] == ["Soest"]
    assert [p["kind"] for p in data["preferences"]] == ["idea.comment"]
    assert [n["title"] for n in data["notifications"]] == ["Nachricht für Anna"]

    part = data["participation"]
    [idea] = part["ideas"]
    assert idea["title"] == "Annas Sitzbänke" and idea["place"] == "Marktplatz"
    assert idea["supports"] == 1 and idea["comments"] == 3
    assert [a["answer"] for a in idea["answers"]] == ["Wir prüfen das."]
    assert idea["answers"][0]["town"] == "Arnsberg"
    assert idea["image"] in files  # the uploaded image travels with the export
    assert {c["text"] for c in part["comments"]} == {
        "Annas eigener Kommentar",
        "Annas Antwort an Bernd",
        "Annas Kommentar zum Radweg",
    }
    assert [s["idea"] for s in part["supports"]] == ["Bernds Radweg"]
    assert [(v["idea"], v["votes"]) for v in part["votes"]] == [("Bernds Radweg", 2)]
    assert [(r["note"], r["idea"]) for r in part["reports"]] == [("Annas Meldungsnotiz", "Annas Sitzbänke")]
    assert [f["message"] for f in data["accessibility_feedback"]] == ["Annas Barriere"]
    activity = {(e["what"], e["subject"]) for e in data["staff_activity"]}
    assert any(what == "project history entry" or "Annas Projekt" in subject for what, subject in activity)
    assert any(subject == "test:read" for _, subject in activity)

    page = files["daten.html"].decode()
    for text in (
        EMAIL,
        NAME,
        "Annas Sitzbänke",
        "Annas Antwort an Bernd",
        "Annas Barriere",
        "Wir prüfen das.",
        "Annas Projekt",
        "Soest",
    ):
        assert text in page
    assert '<html lang="de">' in page


def test_a_citizens_own_ideas_are_their_participation_and_staff_work_stays_apart(world):
    """Submitting an idea is the person's own participation, not a change made as staff; what they did as staff
    (here: answering an idea for the town) stays under that heading."""
    # Answering for Arnsberg takes an editor of Arnsberg (the service checks it).
    factories.membership(user=world.person, municipality=world.town_a, role=Role.EDITOR)
    with town_scope(world.town_a):
        answers_services.idea_answer(
            idea=world.other_idea,
            by=world.person,
            acting_town=world.town_a,
            body="Als Verwaltung geprüft.",
            to="under_review",
        )
    data = exports.user_data(user=world.person)
    steps = [(s["what"], s["subject"]) for s in data["participation"]["steps"]]
    assert steps == [("Idee eingereicht", "Annas Sitzbänke")] or steps == [
        ("Idea submitted", "Annas Sitzbänke")
    ]
    staff = " ".join(f"{e['what']} {e['subject']}" for e in data["staff_activity"])
    assert "Annas Sitzbänke" not in staff and "Bernds Radweg" in staff

    page = _archive(world.person)["daten.html"].decode()
    own = page.split("<h3>Meine Schritte im Verlauf</h3>")[1].split("<h3>")[0]
    assert "Idee eingereicht" in own and "Annas Sitzbänke" in own
    staff_section = page.split("Änderungen, die Sie in der Verwaltung vorgenommen haben</h2>")[1].split(
        "<h2>"
    )[0]
    assert "Bernds Radweg" in staff_section and "Annas Sitzbänke" not in staff_section
    assert "Angefordert" in page and "Abgerufen" not in page


def test_the_data_page_says_when_an_export_was_requested(client, world):
    DataExport.objects.create(user=world.person, expires_at=timezone.now() + datetime.timedelta(hours=24))
    client.force_login(world.person)
    page = client.get(reverse("accounts:data"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Angefordert" in page and "Abgerufen" not in page


def test_export_holds_nobody_elses_data(world):
    text = "\n".join(content.decode("utf-8", errors="ignore") for content in _archive(world.person).values())
    for foreign in (
        OTHER_EMAIL,
        OTHER_NAME,
        STAFF_EMAIL,
        STAFF_NAME,
        "Bernds Kommentar bei Anna",
        "Bernds Barriere",
        "Nachricht für Bernd",
    ):
        assert foreign.lower() not in text.lower(), foreign


def test_every_foreign_key_to_the_user_is_part_of_the_export():
    """A new model keyed to people must decide how it appears in the export (accounts/exports.py)."""
    user_model = apps.get_model(django_settings.AUTH_USER_MODEL)
    missing = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is user_model:
                label = model._meta.label
                covered = field.name in exports.SECTIONS_READ.get(label, ()) or field.name in {
                    a.field for a in exports.STAFF_ACTIVITY.get(label, ())
                }
                if not covered:
                    missing.append(f"{label}.{field.name}")
    assert missing == []


def test_unconfirmed_addresses_do_not_claim_barrier_reports(world, town_b):
    EmailAddress.objects.create(user=world.person, email="fremd@example.org", verified=False)
    factories.feedback(municipality=town_b, message="Fremde Barriere", email="fremd@example.org")
    data = exports.user_data(user=world.person)
    assert [f["message"] for f in data["accessibility_feedback"]] == ["Annas Barriere"]


# --- Export pages ----------------------------------------------------------------------------------------


def test_request_builds_the_export_and_tells_the_person(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.person)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:data"))
    assert response.status_code == 302
    export = DataExport.objects.get(user=world.person)
    assert export.status == DataExport.Status.DONE and export.is_available
    assert default_storage.exists(export.file.name)
    # A random stored name: nothing in it points to the person (a digit of the id may occur by chance).
    assert re.fullmatch(r"exports/[0-9a-f]{32}\.zip", export.file.name), export.file.name
    lifetime = export.expires_at - export.finished_at
    assert lifetime == datetime.timedelta(hours=django_settings.DATA_EXPORT_LIFETIME_HOURS)
    [note] = Notification.objects.with_scopes_disabled().filter(recipient=world.person, kind="account.export")
    assert note.url == reverse("accounts:data")

    page = client.get(reverse("accounts:data"))
    download = reverse("accounts:data-download", kwargs={"pk": export.pk})
    assert download in page.text
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith('attachment; filename="meine-daten-')
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert "daten.json" in archive.namelist()


def test_only_the_owner_can_download(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export, created = services.data_export_request(user=world.person)
    assert created
    url = reverse("accounts:data-download", kwargs={"pk": export.pk})
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    client.force_login(world.other)
    assert client.get(url).status_code == 404
    client.force_login(world.person)
    assert client.get(url).status_code == 200


def test_pages_need_a_login(client):
    for name in ("accounts:data", "accounts:delete"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_one_open_export_at_a_time(world):
    first, created = services.data_export_request(user=world.person)  # not committed: stays queued
    second, created_again = services.data_export_request(user=world.person)
    assert created and not created_again and first.pk == second.pk
    assert DataExport.objects.filter(user=world.person).count() == 1


def test_building_twice_stores_and_tells_once(world):
    export, _ = services.data_export_request(user=world.person)
    assert data_export_build.apply(kwargs={"export_id": export.pk}).get() is True
    assert data_export_build.apply(kwargs={"export_id": export.pk}).get() is False
    export.refresh_from_db()
    assert export.status == DataExport.Status.DONE
    assert Notification.objects.with_scopes_disabled().filter(kind="account.export").count() == 1


def test_a_failing_build_is_marked_failed(world, monkeypatch):
    export, _ = services.data_export_request(user=world.person)

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(exports, "data_export_archive", broken)
    # As in a worker: the error is not propagated to the caller, the task gives up.
    assert data_export_build.apply(kwargs={"export_id": export.pk}, throw=False).failed()
    export.refresh_from_db()
    assert export.status == DataExport.Status.FAILED and not export.file
    # The reason, as every generated file gives it (smartcity5.jobs), in German for the person's page.
    assert export.error.startswith("Ein unerwarteter Fehler") and "RuntimeError" in export.error


def test_expired_exports_are_purged_with_their_files(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export, _ = services.data_export_request(user=world.person)
    export.refresh_from_db()
    name = export.file.name
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    client.force_login(world.person)
    assert client.get(reverse("accounts:data-download", kwargs={"pk": export.pk})).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert data_exports_purge.apply().get() == 1
    assert not DataExport.objects.filter(pk=export.pk).exists()
    assert not default_storage.exists(name)


def test_beat_purges_exports():
    assert any(
        entry["task"] == "accounts.tasks.data_exports_purge"
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
    )


# --- Deletion --------------------------------------------------------------------------------------------

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def _tables_mentioning(needle: str) -> list[str]:
    """Every row of every table whose text, char or JSON fields contain ``needle`` (case-insensitive)."""
    found = []
    with scopes_disabled():
        for model in apps.get_models(include_auto_created=True):
            for field in model._meta.concrete_fields:
                if (
                    isinstance(field, TEXT_FIELDS)
                    and not isinstance(field, models.FileField)
                    and (model._base_manager.filter(**{f"{field.name}__icontains": needle}).exists())
                ):
                    found.append(f"{model._meta.db_table}.{field.column}")
    return found


def _delete(user, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        services.account_delete(user=user, **kwargs)


def test_deletion_leaves_no_personal_data_in_any_table(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export, _ = services.data_export_request(user=world.person)
    export.refresh_from_db()
    client.force_login(world.person)
    person_pk = world.person.pk
    # The search finds what is there before the deletion (so it would find a leftover after it).
    assert _tables_mentioning(EMAIL) and _tables_mentioning(NAME)

    _delete(world.person, django_capture_on_commit_callbacks)

    for needle in (EMAIL, SECOND_EMAIL, NAME):
        assert _tables_mentioning(needle) == [], needle
    assert not User.objects.filter(pk=person_pk).exists()
    assert not EmailAddress.objects.filter(user_id=person_pk).exists()
    assert not Membership.objects.with_scopes_disabled().filter(user_id=person_pk).exists()
    assert not Notification.objects.with_scopes_disabled().filter(recipient_id=person_pk).exists()
    assert not NotificationPreference.objects.filter(user_id=person_pk).exists()
    assert not DataExport.objects.filter(user_id=person_pk).exists()
    assert not default_storage.exists(export.file.name)
    assert all(s.get_decoded().get("_auth_user_id") != str(person_pk) for s in Session.objects.all())
    assert (
        AccessibilityFeedback.objects.with_scope(municipality=world.town_a.pk)
        .get(message="Annas Barriere")
        .email
        == ""
    )
    # Other people keep theirs.
    assert _tables_mentioning(OTHER_EMAIL) and _tables_mentioning(OTHER_NAME)
    assert client.get(reverse("accounts:overview")).status_code == 302  # the old session no longer works


def test_deletion_keeps_contributions_as_a_deleted_account(client, world, django_capture_on_commit_callbacks):
    _delete(world.person, django_capture_on_commit_callbacks)
    with scopes_disabled():
        idea = Idea.objects.get(pk=world.idea.pk)
        assert idea.author is None and idea.title == "Annas Sitzbänke"
        assert Comment.objects.get(pk=world.own_comment.pk).author is None
        assert Support.objects.filter(idea=world.other_idea, user__isnull=True).count() == 1
        assert Vote.objects.filter(idea=world.other_idea, ballot__user__isnull=True).count() == 1
        assert ContentFlag.objects.filter(comment=world.others_comment, reporter__isnull=True).count() == 1
        assert Comment.objects.filter(pk=world.others_comment.pk).exists()
    page = client.get(reverse("participation:idea", kwargs={"town_slug": "arnsberg", "pk": world.idea.pk}))
    assert page.status_code == 200
    assert "Gelöschtes Konto" in page.text and NAME not in page.text


def test_deletion_can_take_the_contributions_along(world, settings, django_capture_on_commit_callbacks):
    settings.ACCOUNT_DELETION_KEEPS_CONTRIBUTIONS = False
    image = world.idea.image.name
    assert default_storage.exists(image)
    _delete(world.person, django_capture_on_commit_callbacks)
    with scopes_disabled():
        assert not Idea.objects.filter(pk=world.idea.pk).exists()
        assert not Comment.objects.filter(body__startswith="Annas").exists()
        assert not Support.objects.filter(idea=world.other_idea).exists()
        assert not Vote.objects.filter(idea=world.other_idea).exists()
        # The other idea's stored counts follow: no support left, and no comment of the deleted person.
        other = Idea.objects.get(pk=world.other_idea.pk)
        assert other.support_count == 0
        assert other.comment_count == Comment.objects.filter(idea=other, moderation="published").count()
        # Other people's contributions elsewhere stay.
        assert Idea.objects.filter(pk=world.other_idea.pk, author=world.other).exists()
        assert Ballot.objects.filter(user=world.other).exists()
    assert not default_storage.exists(image)
    for needle in (EMAIL, NAME, "Annas Sitzbänke", "Annas eigener Kommentar"):
        assert _tables_mentioning(needle) == [], needle


def test_the_last_admin_of_a_town_cannot_delete_the_account(
    admin_a, town_a, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError) as error:
        _delete(admin_a, django_capture_on_commit_callbacks)
    assert error.value.code == "last_admin" and "Arnsberg" in error.value.messages[0]
    assert User.objects.filter(pk=admin_a.pk).exists()
    # Once someone else is an administrator too, it can go.
    factories.membership(user=factories.UserFactory(), municipality=town_a, role=Role.ADMIN)
    _delete(admin_a, django_capture_on_commit_callbacks)
    assert not User.objects.filter(pk=admin_a.pk).exists()


# --- Deletion page ---------------------------------------------------------------------------------------


def test_deletion_page_needs_the_password_and_the_confirmation(client, world):
    client.force_login(world.person)
    url = reverse("accounts:delete")
    response = client.post(url, {"password": "falsch-falsch", "confirm": "on"})
    assert response.status_code == 200 and "password" in response.context["form"].errors
    response = client.post(url, {"password": factories.PASSWORD})
    assert response.status_code == 200 and "confirm" in response.context["form"].errors
    assert User.objects.filter(pk=world.person.pk).exists()


def test_deleting_from_the_page_signs_out_and_confirms(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.person)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:delete"), {"password": factories.PASSWORD, "confirm": "on"}, follow=True
        )
    assert response.redirect_chain[0][1] == 302
    assert not User.objects.filter(email=EMAIL).exists()
    assert not response.context["user"].is_authenticated
    assert any("deleted" in str(m) or "gelöscht" in str(m) for m in response.context["messages"])


def test_the_page_shows_the_last_admin_refusal_as_a_form_error(client, admin_a):
    client.force_login(admin_a)
    page = client.get(reverse("accounts:delete"))
    assert "Arnsberg" in page.text
    response = client.post(reverse("accounts:delete"), {"password": factories.PASSWORD, "confirm": "on"})
    assert response.status_code == 200
    assert any("Arnsberg" in error for error in response.context["form"].non_field_errors())
    assert User.objects.filter(pk=admin_a.pk).exists()


def test_password_attempts_on_the_deletion_page_are_limited(client, world):
    client.force_login(world.person)
    for _ in range(5):
        client.post(reverse("accounts:delete"), {"password": "falsch-falsch", "confirm": "on"})
    response = client.post(reverse("accounts:delete"), {"password": factories.PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert User.objects.filter(pk=world.person.pk).exists()


def test_overview_links_to_my_data_and_deletion(client, citizen):
    client.force_login(citizen)
    page = client.get(reverse("accounts:overview")).text
    assert reverse("accounts:data") in page and reverse("accounts:delete") in page
