"""Sessions carry the signed-in person's id (accounts.Session): deleting an account or changing the password ends
that person's sessions by that id, never by reading everyone's, and other people stay signed in."""

import datetime

import pytest
from django.apps import apps
from django.contrib.sessions.backends.db import SessionStore as OldStore
from django.contrib.sessions.models import Session as OldSession
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Session
from tests import factories
from tests.helpers import signed_in_client

pytestmark = pytest.mark.django_db

PASSWORD = "Ein-langes-Passwort-2026"


def _signed_in_to_overview(client) -> bool:
    return client.get(reverse("accounts:overview")).status_code == 200


def test_a_session_knows_whose_it_is(citizen):
    client = signed_in_client(citizen)
    session = Session.objects.get(session_key=client.session.session_key)
    assert session.user_id == citizen.pk
    assert session.get_decoded()["_auth_user_id"] == str(citizen.pk)
    anonymous = Client()
    anonymous.get(reverse("account_login"))  # the login form's CSRF token starts an anonymous session at most
    assert not Session.objects.filter(user_id__isnull=False).exclude(user_id=citizen.pk).exists()


def test_deletion_ends_only_that_persons_sessions(citizen, django_capture_on_commit_callbacks):
    other = factories.UserFactory(email="bleibt@example.org")
    phone, laptop, other_client = (
        signed_in_client(citizen),
        signed_in_client(citizen),
        signed_in_client(other),
    )
    assert Session.objects.filter(user_id=citizen.pk).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.account_delete(user=citizen)
    assert not Session.objects.filter(user_id=citizen.pk).exists()
    assert not _signed_in_to_overview(phone) and not _signed_in_to_overview(laptop)
    assert Session.objects.filter(user_id=other.pk).count() == 1
    assert _signed_in_to_overview(other_client)


def test_ending_sessions_asks_for_that_person_only(citizen):
    others = [factories.UserFactory(email=f"person{n}@example.org") for n in range(3)]
    for person in [citizen, *others]:
        signed_in_client(person)
    with CaptureQueriesContext(connection) as queries:
        assert services.sessions_end(user=citizen) == 1
    session_sql = [q["sql"] for q in queries.captured_queries if "accounts_session" in q["sql"]]
    assert session_sql, "no query on the session table"
    for sql in session_sql:
        assert '"accounts_session"."user_id" = ' in sql or '"accounts_session"."user_id" IN' in sql, sql
        assert "session_data" not in sql, sql  # nobody's session is read or decoded
    assert Session.objects.filter(user_id__in=[o.pk for o in others]).count() == 3


def test_a_password_change_ends_the_other_sessions_but_keeps_this_one(citizen):
    citizen.set_password(PASSWORD)
    citizen.save()
    other_device, bystander = (
        signed_in_client(citizen),
        signed_in_client(factories.UserFactory(email="dritte@example.org")),
    )
    client = signed_in_client(citizen)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "Ein-neues-Passwort-2026",
            "password2": "Ein-neues-Passwort-2026",
        },
    )
    assert response.status_code == 302
    assert list(Session.objects.filter(user_id=citizen.pk).values_list("session_key", flat=True)) == [
        client.session.session_key
    ]
    assert _signed_in_to_overview(client)
    assert not _signed_in_to_overview(other_device)
    assert _signed_in_to_overview(bystander)


def test_clearsessions_removes_expired_sessions(citizen):
    live = signed_in_client(citizen).session.session_key
    Session.objects.create(
        session_key="x" * 32,
        session_data="",
        user_id=citizen.pk,
        expire_date=timezone.now() - datetime.timedelta(days=1),
    )
    call_command("clearsessions")
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]


def test_the_migration_keeps_live_sessions_with_their_person(citizen):
    migration = __import__("accounts.migrations.0006_session", fromlist=["copy_sessions"])
    store = OldStore()
    week = timezone.now() + datetime.timedelta(days=7)
    login = {
        "_auth_user_id": str(citizen.pk),
        "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
        "_auth_user_hash": citizen.get_session_auth_hash(),
    }
    OldSession.objects.create(session_key="a" * 32, session_data=store.encode(login), expire_date=week)
    OldSession.objects.create(
        session_key="b" * 32, session_data=store.encode({"lang": "de"}), expire_date=week
    )
    OldSession.objects.create(
        session_key="c" * 32,
        session_data=store.encode({"_auth_user_id": "1"}),
        expire_date=timezone.now() - datetime.timedelta(seconds=1),
    )
    migration.copy_sessions(apps, None)
    assert dict(Session.objects.values_list("session_key", "user_id")) == {
        "a" * 32: citizen.pk,
        "b" * 32: None,
    }
    assert not OldSession.objects.exists()
    # The copied session still signs the person in.
    client = Client()
    client.cookies["sessionid"] = "a" * 32
    assert _signed_in_to_overview(client)
