"""Per-kind notification settings: defaults, what each choice does in notify(), the settings page."""

import re

import pytest
from django.core import mail

from municipalities.scoping import town_scope
from notifications import selectors, services
from notifications.kinds import KINDS, Audience, Delivery, kind_get, kinds_for
from notifications.models import Notification, NotificationPreference
from notifications.services import notify
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/konto/benachrichtigungen/einstellungen/"


def _notify(municipality, people, *, kind="idea.comment", key="test:1", **extra):
    with town_scope(municipality):
        return notify(
            municipality=municipality,
            recipients=people,
            kind=kind,
            key=key,
            title="Neuer Kommentar",
            body="Jemand hat geantwortet.",
            url=f"/{municipality.slug}/",
            **extra,
        )


def _prefer(user, kind, delivery):
    NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"delivery": delivery})


def test_the_registry_holds_the_kinds_other_apps_use_with_their_defaults():
    assert {key: (kind.audience, kind.default) for key, kind in KINDS.items()} == {
        "funding.deadline": (Audience.STAFF, Delivery.IMMEDIATE),
        "funding.terms": (Audience.STAFF, Delivery.IMMEDIATE),
        "idea.status": (Audience.EVERYONE, Delivery.IMMEDIATE),
        "idea.comment": (Audience.EVERYONE, Delivery.IMMEDIATE),
        "idea.project": (Audience.EVERYONE, Delivery.IMMEDIATE),
        "moderation.waiting": (Audience.STAFF, Delivery.DAILY),
        "moderation.hidden": (Audience.EVERYONE, Delivery.IMMEDIATE),
        "account.export": (Audience.EVERYONE, Delivery.IMMEDIATE),
        "survey.opened": (Audience.EVERYONE, Delivery.DAILY),
        "survey.results": (Audience.EVERYONE, Delivery.DAILY),
        "report.ready": (Audience.STAFF, Delivery.IMMEDIATE),
        "review.submitted": (Audience.STAFF, Delivery.IMMEDIATE),
        "review.decided": (Audience.STAFF, Delivery.IMMEDIATE),
        "review.comment": (Audience.STAFF, Delivery.IMMEDIATE),
    }
    assert all(str(kind.label) and str(kind.help_text) for kind in KINDS.values())


def test_without_a_setting_each_kind_has_its_default(citizen, editor_a):
    assert selectors.user_preferences(user=citizen) == {
        "idea.status": "immediate",
        "idea.comment": "immediate",
        "idea.project": "immediate",
        "moderation.hidden": "immediate",
        "account.export": "immediate",
        "survey.opened": "daily",
        "survey.results": "daily",
    }
    staff = selectors.user_preferences(user=editor_a)
    assert staff["funding.deadline"] == "immediate" and staff["moderation.waiting"] == "daily"
    assert len(staff) == len(KINDS)


def test_staff_kinds_are_for_staff_and_moderators_only(citizen, editor_a, moderator):
    staff_kinds = {"funding.deadline", "moderation.waiting"}
    assert not staff_kinds & {kind.key for kind in kinds_for(citizen)}
    assert staff_kinds <= {kind.key for kind in kinds_for(editor_a)}
    assert staff_kinds <= {kind.key for kind in kinds_for(moderator)}


@pytest.mark.parametrize(
    "delivery,mailed_at_once", [("immediate", True), ("daily", False), ("weekly", False), ("none", False)]
)
def test_each_choice_decides_the_mail(
    town_a, citizen, delivery, mailed_at_once, django_capture_on_commit_callbacks
):
    _prefer(citizen, "idea.comment", delivery)
    with django_capture_on_commit_callbacks(execute=True):
        created = _notify(town_a, [citizen])
    assert len(created) == 1 and created[0].email_plan == delivery
    assert len(mail.outbox) == (1 if mailed_at_once else 0)
    with town_scope(town_a):
        row = Notification.objects.get(pk=created[0].pk)
    assert row.email_plan == delivery and (row.emailed_at is not None) == mailed_at_once
    assert selectors.unread_count(user=citizen) == 1  # in the app whatever the e-mail setting


def test_the_setting_is_per_kind(town_a, citizen, django_capture_on_commit_callbacks):
    _prefer(citizen, "idea.comment", "none")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(town_a, [citizen], kind="idea.comment", key="c")
        _notify(town_a, [citizen], kind="idea.status", key="s")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [citizen.email]


def test_the_default_of_a_kind_applies_without_a_setting(
    town_a, editor_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (waiting,) = _notify(town_a, [editor_a], kind="moderation.waiting", key="w")
        (deadline,) = _notify(town_a, [editor_a], kind="funding.deadline", key="d")
    assert waiting.email_plan == "daily" and deadline.email_plan == "immediate"
    assert len(mail.outbox) == 1


def test_callers_that_turn_email_off_send_none_whatever_the_setting(
    town_a, citizen, django_capture_on_commit_callbacks
):
    _prefer(citizen, "idea.comment", "daily")
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = _notify(town_a, [citizen], email=False)
    assert row.email_plan == "none" and mail.outbox == []


def test_unknown_kinds_are_refused(town_a, citizen):
    with pytest.raises(ValueError, match=r"idea\.comments"):
        _notify(town_a, [citizen], kind="idea.comments")
    with pytest.raises(ValueError):
        kind_get("")
    with pytest.raises(ValueError):
        services.preferences_save(user=citizen, choices={"idea.comments": "daily"})
    with pytest.raises(ValueError):
        services.preferences_save(user=citizen, choices={"funding.deadline": "none"})  # a staff kind
    with pytest.raises(ValueError):
        services.preferences_save(user=citizen, choices={"idea.comment": "hourly"})
    assert not NotificationPreference.objects.exists()


def test_notify_reads_all_settings_in_one_query(
    town_a, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    people = [factories.UserFactory() for _ in range(20)]
    for person, delivery in zip(people, ["immediate", "daily", "weekly", "none"] * 5, strict=True):
        _prefer(person, "idea.comment", delivery)
    # One query for the settings, one for who was told already, one insert (in a savepoint): not per person.
    with django_capture_on_commit_callbacks(execute=False) as callbacks, django_assert_max_num_queries(6):
        created = _notify(town_a, people)
    assert len(created) == 20 and len(callbacks) == 1  # the five immediate mails in one hand-over
    assert sorted(n.email_plan for n in created) == sorted(["immediate", "daily", "weekly", "none"] * 5)
    with django_assert_max_num_queries(2):
        assert _notify(town_a, people) == []  # told once: nothing new, no insert


def test_notify_still_tells_each_person_once(town_a, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert len(_notify(town_a, [citizen, citizen])) == 1
        assert _notify(town_a, [citizen]) == []
    assert len(mail.outbox) == 1


def _selected(page: str, name: str) -> str:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
    return re.search(r'<option value="(\w+)" selected>', select).group(1)


def test_the_page_shows_only_the_kinds_a_person_can_receive(client, citizen, editor_a):
    client.force_login(citizen)
    page = client.get(URL).content.decode()
    assert 'name="idea_comment"' in page and 'name="account_export"' in page
    assert 'name="funding_deadline"' not in page and 'name="moderation_waiting"' not in page
    assert re.search(r'<label class="kern-label" for="id_idea_comment">', page)  # each choice is labelled
    client.force_login(editor_a)
    page = client.get(URL).content.decode()
    assert 'name="funding_deadline"' in page and _selected(page, "moderation_waiting") == "daily"


def test_the_page_saves_and_shows_the_choices(client, citizen):
    client.force_login(citizen)
    page = client.get(URL).content.decode()
    assert _selected(page, "idea_status") == "immediate"
    choices = {
        "idea_status": "weekly",
        "idea_comment": "daily",
        "idea_project": "none",
        "moderation_hidden": "immediate",
        "account_export": "immediate",
        "survey_opened": "daily",
        "survey_results": "none",
    }
    response = client.post(URL, choices, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    page = response.content.decode()
    assert _selected(page, "idea_status") == "weekly" and _selected(page, "idea_comment") == "daily"
    assert _selected(page, "idea_project") == "none"
    assert len(list(response.context["messages"])) == 1
    assert selectors.user_preferences(user=citizen)["idea.comment"] == "daily"
    # Saving again changes the stored rows rather than adding new ones.
    client.post(URL, {**choices, "idea_comment": "none"})
    assert NotificationPreference.objects.filter(user=citizen).count() == 7
    assert selectors.user_preferences(user=citizen)["idea.comment"] == "none"


def test_a_citizen_cannot_set_a_staff_kind_through_the_page(client, citizen):
    client.force_login(citizen)
    client.post(
        URL,
        {
            "idea_status": "none",
            "idea_comment": "none",
            "idea_project": "none",
            "moderation_hidden": "none",
            "account_export": "none",
            "survey_opened": "none",
            "survey_results": "none",
            "funding_deadline": "none",
        },
    )
    assert set(NotificationPreference.objects.filter(user=citizen).values_list("kind", flat=True)) == {
        "idea.status",
        "idea.comment",
        "idea.project",
        "moderation.hidden",
        "account.export",
        "survey.opened",
        "survey.results",
    }


def test_an_invalid_choice_is_shown_as_an_error(client, citizen):
    client.force_login(citizen)
    response = client.post(URL, {"idea_status": "hourly"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_the_list_links_to_the_settings_and_strangers_are_sent_to_the_login(client, citizen):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(citizen)
    assert f'href="{URL}"' in client.get("/konto/benachrichtigungen/").content.decode()
