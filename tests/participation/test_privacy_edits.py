"""Moderation does not leak what it hides or replaces: a moderator edits an idea's or a comment's wording for
privacy (with a reason, recorded without the removed wording), and no notification (in the app, in a mail still
waiting, in a digest) quotes hidden or replaced content."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from municipalities.scoping import town_scope
from notifications.models import Notification, NotificationPreference
from notifications.tasks import notification_digest_send, notification_email_send
from participation import tasks
from participation.models import Comment, Idea, Moderation, ParticipationEvent, Process
from participation.services import answers as answers_services
from participation.services import flags as flags_services
from participation.services import moderation as moderation_services
from participation.services import privacy as privacy_services
from participation.services import processes as processes_services
from participation.services import supports as supports_services
from participation.services.privacy import REMOVED_FOR_PRIVACY
from tests import factories

pytestmark = pytest.mark.django_db

PERSON = "Peter Müller (82)"
INSULT = "Der Nachbar ist ein Vollidiot"


@pytest.fixture
def process(town_a):
    item = factories.process(municipality=town_a)
    with town_scope(town_a):
        yield Process.objects.get(pk=item.pk)


def _rows(municipality, **filters) -> list[Notification]:
    return list(
        Notification.objects.with_scope(municipality=municipality.pk).filter(**filters).order_by("pk")
    )


def _texts(town) -> str:
    return "\n".join(f"{n.title}\n{n.body}" for n in _rows(town))


def _everything_stored(idea) -> str:
    """What the history and the notifications of the town hold, as one text."""
    events = ParticipationEvent.objects.filter(idea=idea).values_list("subject", "changes", "reason")
    return "\n".join(str(row) for row in events) + "\n" + _texts(idea.municipality)


def _comment_told(comment) -> Notification:
    """The idea's author is told about a published comment (the task as the worker runs it); the e-mail that
    goes with it is handed over only when the transaction commits, so it is still waiting."""
    tasks.comment_notify.delay(municipality_id=comment.municipality_id, comment_id=comment.pk).get()
    return _rows(comment.idea.municipality, key=f"idea:comment:{comment.pk}")[0]


# --- Hide, then notify ---------------------------------------------------------------------------------------


def test_a_hidden_insult_is_not_repeated_by_the_notification_or_its_waiting_mail(process, citizen, moderator):
    idea = factories.idea(process=process, author=citizen)
    comment = factories.comment(idea=idea, body=INSULT)
    told = _comment_told(comment)
    assert INSULT in told.body  # quoted while it is published

    moderation_services.moderation_hide(
        target=comment, by=moderator, acting_town=process.municipality, reason="Beleidigung"
    )
    told.refresh_from_db()
    assert INSULT not in told.body and told.body == "Dieser Kommentar ist nicht mehr veröffentlicht."
    assert told.title == f"Neuer Kommentar zu „{idea.title}“"  # the idea itself is still published

    # The mail that was waiting in the outbox goes out with what may be shown now.
    assert notification_email_send.delay(
        municipality_id=process.municipality.pk, notification_id=told.pk
    ).get()
    [sent] = mail.outbox
    assert INSULT not in sent.body and INSULT not in sent.subject
    assert INSULT not in _texts(process.municipality)

    # Published again after review: the notification quotes it again.
    moderation_services.moderation_approve(
        target=Comment.objects.get(pk=comment.pk), by=moderator, acting_town=process.municipality
    )
    told.refresh_from_db()
    assert INSULT in told.body


def test_a_notification_given_after_the_hide_quotes_nothing(process, citizen, moderator):
    idea = factories.idea(process=process, author=citizen)
    comment = factories.comment(idea=idea, body=INSULT)
    moderation_services.moderation_hide(
        target=comment, by=moderator, acting_town=process.municipality, reason="Beleidigung"
    )
    # A task that was queued before the hide runs after it: nothing is said about the hidden comment.
    assert (
        tasks.comment_notify.delay(municipality_id=process.municipality.pk, comment_id=comment.pk).get() == 0
    )
    # The author of the comment hears that it was hidden, without the comment.
    tasks.content_hidden_notify.delay(municipality_id=process.municipality.pk, comment_id=comment.pk).get()
    [hidden] = _rows(process.municipality, kind="moderation.hidden")
    assert INSULT not in f"{hidden.title} {hidden.body}" and "Beleidigung" in hidden.body


def test_a_hidden_idea_is_not_quoted_in_its_authors_or_its_supporters_notifications(
    process, citizen, moderator, editor_a
):
    idea = factories.idea(process=process, author=citizen, title=f"{INSULT}!")
    supporter = factories.UserFactory()
    supports_services.support_add(idea=idea, user=supporter)
    answer = answers_services.idea_answer(
        idea=idea,
        by=editor_a,
        acting_town=process.municipality,
        to=Idea.Status.UNDER_REVIEW,
        body="Wir prüfen das.",
    )
    tasks.idea_answer_notify.delay(municipality_id=process.municipality.pk, answer_id=answer.pk).get()
    assert INSULT in _texts(process.municipality)

    moderation_services.moderation_hide(
        target=idea, by=moderator, acting_town=process.municipality, reason="Beleidigung"
    )
    tasks.content_hidden_notify.delay(municipality_id=process.municipality.pk, idea_id=idea.pk).get()
    assert INSULT not in _texts(process.municipality)
    [hidden] = _rows(process.municipality, kind="moderation.hidden")
    assert (
        hidden.recipient == citizen
        and hidden.title == f"Ihre Idee im Verfahren „{process.title}“ wurde ausgeblendet"
    )
    assert {n.title for n in _rows(process.municipality, kind="idea.status")} == {
        "Eine Idee, die Sie geschrieben haben oder unterstützen, ist jetzt „In Prüfung“"
    }


def test_an_idea_hidden_after_reports_is_no_longer_quoted_to_citizens(process, citizen, moderator):
    processes_services.settings_change(
        municipality=process.municipality, by=None, fields={"report_threshold": 1}
    )
    idea = factories.idea(process=process, author=citizen, title=f"{INSULT}!")
    _comment_told(factories.comment(idea=idea, body="Sehe ich anders."))
    flags_services.flag_submit(target=idea, reporter=factories.UserFactory(), reason="offensive")
    assert Idea.objects.get(pk=idea.pk).moderation == Moderation.REPORTED
    [told] = _rows(process.municipality, kind="idea.comment")
    assert INSULT not in told.title and told.body == "Dieser Kommentar ist nicht mehr veröffentlicht."


# --- Edit for privacy --------------------------------------------------------------------------------------


def test_an_idea_edited_for_privacy_keeps_no_trace_of_the_removed_text(process, citizen, moderator, editor_a):
    idea = factories.idea(
        process=process,
        author=citizen,
        title=f"Bank für {PERSON}",
        body=f"{PERSON} aus der Gartenstraße 3 sitzt dort jeden Tag.",
    )
    comment = factories.comment(idea=idea, body="Gute Idee!")
    _comment_told(comment)
    answer = answers_services.idea_answer(
        idea=idea,
        by=editor_a,
        acting_town=process.municipality,
        to=Idea.Status.UNDER_REVIEW,
        body="Wir prüfen das.",
    )
    tasks.idea_answer_notify.delay(municipality_id=process.municipality.pk, answer_id=answer.pk).get()
    assert PERSON in _everything_stored(idea)

    privacy_services.privacy_edit(
        target=idea,
        by=moderator,
        acting_town=process.municipality,
        reason="Name einer Person",
        title="Bank für einen älteren Nachbarn",
        body="Ein älterer Nachbar sitzt dort jeden Tag.",
    )
    idea.refresh_from_db()
    assert (idea.title, idea.body) == (
        "Bank für einen älteren Nachbarn",
        "Ein älterer Nachbar sitzt dort jeden Tag.",
    )
    assert PERSON not in _everything_stored(idea)
    assert "Gartenstraße" not in _everything_stored(idea)
    edit = ParticipationEvent.objects.get(idea=idea, kind="text_edited")
    assert (edit.actor, edit.reason, edit.acting_town) == (
        moderator,
        "Name einer Person",
        process.municipality,
    )
    assert edit.changes["title"] == [REMOVED_FOR_PRIVACY, "Bank für einen älteren Nachbarn"]
    assert edit.changes["body"][0] == REMOVED_FOR_PRIVACY
    # The notifications name the idea as it is called now.
    titles = {n.title for n in _rows(process.municipality)}
    assert "Neuer Kommentar zu „Bank für einen älteren Nachbarn“" in titles


def test_a_comment_edited_for_privacy_then_the_digest(process, citizen, moderator):
    idea = factories.idea(process=process, author=citizen)
    NotificationPreference.objects.create(user=citizen, kind="idea.comment", delivery="daily")
    comment = factories.comment(idea=idea, body=f"Fragen Sie doch {PERSON}, Tel. 02931 12345.")
    told = _comment_told(comment)
    assert told.email_plan == "daily" and PERSON in told.body

    privacy_services.privacy_edit(
        target=comment,
        by=moderator,
        acting_town=process.municipality,
        reason="Telefonnummer und Name",
        body="Fragen Sie doch [Name entfernt].",
    )
    comment.refresh_from_db()
    assert comment.body == "Fragen Sie doch [Name entfernt]." and comment.edited_at is not None
    edit = ParticipationEvent.objects.get(comment=comment, kind="text_edited")
    assert edit.idea == idea and edit.reason == "Telefonnummer und Name"
    assert edit.changes == {"body": [REMOVED_FOR_PRIVACY, "Fragen Sie doch [Name entfernt]."]}

    # The next morning's digest lists the comment as it reads now.
    assert notification_digest_send(user_id=citizen.pk, plan="daily") == 1
    [digest] = mail.outbox
    assert PERSON not in digest.body and "12345" not in digest.body
    assert "Fragen Sie doch [Name entfernt]." in digest.body
    assert PERSON not in _everything_stored(idea)


def test_a_second_edit_removes_what_the_first_one_left_in_the_history(process, citizen, moderator):
    idea = factories.idea(process=process, author=citizen)
    comment = factories.comment(idea=idea, body=f"{PERSON}, Gartenstraße 3, hat Recht.")
    privacy_services.privacy_edit(
        target=comment,
        by=moderator,
        acting_town=process.municipality,
        reason="Name",
        body="[Name entfernt], Gartenstraße 3, hat Recht.",
    )
    privacy_services.privacy_edit(
        target=comment,
        by=moderator,
        acting_town=process.municipality,
        reason="Adresse",
        body="[Name entfernt] hat Recht.",
    )
    stored = _everything_stored(idea)
    assert PERSON not in stored and "Gartenstraße" not in stored
    assert [e.reason for e in ParticipationEvent.objects.filter(comment=comment).order_by("at", "pk")] == [
        "Name",
        "Adresse",
    ]


def test_an_edit_for_privacy_needs_a_reason_and_some_text(process, citizen, moderator):
    idea = factories.idea(process=process, author=citizen)
    comment = factories.comment(idea=idea)
    with pytest.raises(ValidationError) as error:
        privacy_services.privacy_edit(
            target=idea, by=moderator, acting_town=process.municipality, reason=" ", body="Neu"
        )
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        privacy_services.privacy_edit(
            target=comment, by=moderator, acting_town=process.municipality, reason="Name", body="  "
        )
    assert "body" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        privacy_services.privacy_edit(
            target=idea, by=moderator, acting_town=process.municipality, reason="Name", title=""
        )
    assert "title" in error.value.message_dict
    # Nothing changed: no history entry.
    privacy_services.privacy_edit(
        target=idea,
        by=moderator,
        acting_town=process.municipality,
        reason="Name",
        title=idea.title,
        body=idea.body,
    )
    assert not ParticipationEvent.objects.filter(idea=idea, kind__in=["text_edited", "title_edited"]).exists()


# --- The moderators' page -----------------------------------------------------------------------------------


def test_moderators_edit_a_comment_for_privacy_on_its_page(client, process, citizen, moderator, viewer_a):
    idea = factories.idea(process=process, author=citizen)
    comment = factories.comment(idea=idea, body=f"{PERSON} wohnt nebenan.")
    url = reverse(
        "participation:staff-privacy-edit-comment",
        kwargs={"town_slug": process.municipality.slug, "pk": comment.pk},
    )
    client.force_login(viewer_a)  # viewers do not moderate
    assert client.get(url).status_code == 403
    client.force_login(moderator)
    page = client.get(url)
    assert page.status_code == 200 and PERSON in page.content.decode()
    assert 'name="title"' not in page.content.decode()  # a comment has no title
    refused = client.post(url, {"body": "Jemand wohnt nebenan.", "reason": ""})
    assert refused.status_code == 400 and "Begründung" in refused.content.decode()
    done = client.post(url, {"body": "Jemand wohnt nebenan.", "reason": "Name"})
    assert done.status_code == 302
    assert Comment.objects.get(pk=comment.pk).body == "Jemand wohnt nebenan."
    staff_page = client.get(
        reverse("participation:staff-idea", kwargs={"town_slug": process.municipality.slug, "pk": idea.pk})
    ).content.decode()
    assert "Text aus Datenschutzgründen geändert" in staff_page and PERSON not in staff_page


def test_moderators_edit_an_idea_for_privacy_on_its_page(client, process, citizen, moderator):
    idea = factories.idea(process=process, author=citizen, title=f"Bank für {PERSON}")
    url = reverse(
        "participation:staff-privacy-edit-idea",
        kwargs={"town_slug": process.municipality.slug, "pk": idea.pk},
    )
    client.force_login(moderator)
    assert (
        client.post(url, {"title": "Bank am Markt", "body": idea.body, "reason": "Name"}).status_code == 302
    )
    assert Idea.objects.get(pk=idea.pk).title == "Bank am Markt"
    assert ParticipationEvent.objects.get(idea=idea, kind="title_edited").changes == {
        "title": [REMOVED_FOR_PRIVACY, "Bank am Markt"]
    }


def test_the_api_edits_for_privacy(client, process, citizen, moderator):
    idea = factories.idea(process=process, author=citizen)
    comment = factories.comment(idea=idea, body=f"{PERSON} wohnt nebenan.")
    client.force_login(moderator)
    url = reverse("api:moderate-comment", kwargs={"town_slug": process.municipality.slug, "pk": comment.pk})
    response = client.post(
        url,
        {"action": "edit", "body": "Jemand wohnt nebenan.", "reason": "Name"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert Comment.objects.get(pk=comment.pk).body == "Jemand wohnt nebenan."
