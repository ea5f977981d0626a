"""Participation pages through the test client: what citizens and staff see and can do, bad input, limits."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse

from accounts.models import Role
from municipalities.scoping import town_scope
from participation.models import Comment, Idea, Moderation, OfficialAnswer, Process, Support
from participation.services import answers as answers_services
from participation.services import ideas as ideas_services
from participation.services import moderation as moderation_services
from participation.services import processes as processes_services
from participation.services import supports as supports_services
from tests import factories, helpers

pytestmark = pytest.mark.django_db


def _url(name, municipality, **kwargs):
    return reverse(f"participation:{name}", kwargs={"town_slug": municipality.slug, **kwargs})


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Public pages ----------------------------------------------------------------------------------------


def test_process_and_idea_pages_show_only_published_content(client, process, arnsberg):
    shown = factories.idea(
        process=process,
        title="Radweg an der Ruhr",
        location_label="Ruhrwiesen",
        latitude="51.4",
        longitude="8.05",
    )
    hidden = factories.idea(process=process, title="Versteckte Werbung")
    factories.comment(idea=shown, body="Sehr dafür")
    with town_scope(arnsberg):
        moderation_services.moderation_hide(target=hidden, by=None, acting_town=arnsberg, reason="Werbung")
    pages = [
        _url("processes", arnsberg),
        _url("process", arnsberg, slug=process.slug),
        _url("ideas", arnsberg),
        reverse("region-processes"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Versteckte Werbung" not in _text(response), url
    detail = _text(client.get(_url("process", arnsberg, slug=process.slug)))
    assert "Radweg an der Ruhr" in detail and "Ruhrwiesen" in detail  # card and list of places on the map
    assert "Idea collection" in detail or "Ideensammlung" in detail
    assert client.get(_url("idea", arnsberg, pk=hidden.pk)).status_code == 404
    page = _text(client.get(_url("idea", arnsberg, pk=shown.pk)))
    assert "Sehr dafür" in page and "Radweg an der Ruhr" in page
    # Search finds nothing hidden either.
    assert "Versteckte" not in _text(client.get(_url("ideas", arnsberg) + "?q=Werbung"))


def test_idea_list_filters_search_and_sorts(client, process, arnsberg):
    popular = factories.idea(process=process, title="Mehr Bäume am Neumarkt")
    quiet = factories.idea(process=process, title="Sitzbänke am Bahnhof")
    with town_scope(arnsberg):
        for _ in range(3):
            supports_services.support_add(idea=popular, user=factories.UserFactory())
        answers_services.idea_answer(
            idea=quiet, by=None, acting_town=arnsberg, body="Wir prüfen das.", to="under_review"
        )
    by_support = _text(client.get(_url("ideas", arnsberg) + "?sort=supported"))
    assert by_support.index("Mehr Bäume am Neumarkt") < by_support.index("Sitzbänke am Bahnhof")
    reviewed = _text(client.get(_url("ideas", arnsberg) + "?status=under_review"))
    assert "Sitzbänke am Bahnhof" in reviewed and "Mehr Bäume am Neumarkt" not in reviewed
    found = _text(client.get(_url("ideas", arnsberg) + "?q=bahnhof"))
    assert "Sitzbänke am Bahnhof" in found and "Neumarkt" not in found
    # A bad filter value is ignored, not an error.
    assert (
        client.get(_url("ideas", arnsberg) + "?status=nonsense&sort=evil&field_of_action=x").status_code
        == 200
    )


def test_list_pages_make_a_bounded_number_of_queries(
    client, process, arnsberg, django_assert_max_num_queries
):
    for number in range(25):
        idea = factories.idea(process=process, title=f"Idee {number}", latitude="51.4", longitude="8.0")
        factories.comment(idea=idea)
    with django_assert_max_num_queries(15):
        assert client.get(_url("ideas", arnsberg)).status_code == 200
    with django_assert_max_num_queries(18):
        assert client.get(_url("process", arnsberg, slug=process.slug)).status_code == 200
    with django_assert_max_num_queries(18):
        assert client.get(_url("idea", arnsberg, pk=idea.pk)).status_code == 200
    # The map's points carry what the map shows (read with a few columns only, so no query per point).
    factories.idea(process=process, title="Ohne Ort")
    points = client.get(_url("ideas", arnsberg)).context["map_points"]
    assert len(points) == 25 and "Ohne Ort" not in [p["title"] for p in points]
    assert points[0] == {
        "title": "Idee 24",
        "url": idea.get_absolute_url(),
        "lat": 51.4,
        "lon": 8.0,
        "place": "",
        "meta": idea.get_status_display(),
    }


# --- Submitting ideas ------------------------------------------------------------------------------------


def _idea_post(**overrides):
    data = {
        "title": "Trinkbrunnen am Steinweg",
        "body": "Im Sommer fehlt **Wasser**.",
        "location_label": "Steinweg",
        "latitude": "51,396",
        "longitude": "8,064",
        "consent": "on",
        "homepage": "",
    }
    data.update(overrides)
    return data


def test_citizen_submits_an_idea_with_a_place(client, process, arnsberg, citizen):
    client.force_login(citizen)
    response = client.post(_url("idea-create", arnsberg, slug=process.slug), _idea_post())
    idea = Idea.objects.with_scopes_disabled().get(title="Trinkbrunnen am Steinweg")
    assert response.status_code == 302 and response["Location"] == idea.get_absolute_url()
    assert (idea.author, float(idea.latitude), float(idea.longitude)) == (citizen, 51.396, 8.064)
    assert idea.consent_at is not None and idea.moderation == Moderation.PUBLISHED
    assert "<strong>Wasser</strong>" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"consent": ""}, "consent"),
        ({"title": ""}, "title"),
        ({"latitude": "52,5", "longitude": "13,4"}, None),  # Berlin is not in Arnsberg
        ({"latitude": "51,4", "longitude": ""}, "longitude"),
        ({"latitude": "abc"}, "latitude"),
    ],
)
def test_bad_idea_input_is_refused_with_a_message_and_kept(
    client, process, arnsberg, citizen, overrides, field
):
    client.force_login(citizen)
    response = client.post(_url("idea-create", arnsberg, slug=process.slug), _idea_post(**overrides))
    assert response.status_code == 400
    assert not Idea.objects.with_scopes_disabled().exists()
    form = response.context["form"]
    assert form.errors if field is None else field in form.errors
    assert "Trinkbrunnen am Steinweg" in response.content.decode() or overrides.get("title") == ""


def test_the_honeypot_stops_bots(client, process, arnsberg, citizen):
    client.force_login(citizen)
    response = client.post(
        _url("idea-create", arnsberg, slug=process.slug), _idea_post(homepage="http://spam")
    )
    assert response.status_code == 400
    assert not Idea.objects.with_scopes_disabled().exists()


def test_an_image_is_checked_and_served_without_metadata(client, process, arnsberg, citizen):
    import io

    from PIL import Image

    client.force_login(citizen)
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "GeheimKamera"  # Make
    Image.new("RGB", (60, 40), "red").save(buffer, format="JPEG", exif=exif)
    buffer.seek(0)
    buffer.name = "IMG_2041 Familie Müller.jpg"
    response = client.post(
        _url("idea-create", arnsberg, slug=process.slug),
        _idea_post(image_upload=buffer, image_alt="Ein roter Platz"),
    )
    assert response.status_code == 302
    idea = Idea.objects.with_scopes_disabled().get()
    assert "Müller" not in idea.image.name
    served = b"".join(client.get(_url("idea-image", arnsberg, pk=idea.pk)).streaming_content)
    assert served[:2] == b"\xff\xd8" and b"GeheimKamera" not in served
    # A file that only claims to be an image is refused.
    fake = io.BytesIO(b"<?php echo 1; ?>")
    fake.name = "bild.png"
    response = client.post(
        _url("idea-create", arnsberg, slug=process.slug),
        _idea_post(title="Zweite", image_upload=fake, image_alt="x"),
    )
    assert response.status_code == 400 and "image_upload" in response.context["form"].errors


def test_ideas_are_refused_outside_the_idea_phase(client, arnsberg, citizen):
    today = helpers.today()
    closed = factories.process(
        municipality=arnsberg,
        phases=[{"kind": "information", "starts_on": today, "ends_on": today + datetime.timedelta(days=5)}],
    )
    client.force_login(citizen)
    response = client.post(_url("idea-create", arnsberg, slug=closed.slug), _idea_post())
    assert response.status_code == 302 and not Idea.objects.with_scopes_disabled().exists()
    assert "Submit an idea" not in _text(client.get(closed.get_absolute_url()))


def test_anonymous_and_unverified_people_cannot_submit(client, process, arnsberg):
    url = _url("idea-create", arnsberg, slug=process.slug)
    assert "/accounts/login/" in client.post(url, _idea_post())["Location"]
    client.force_login(factories.UserFactory(verified=False))
    response = client.post(url, _idea_post())
    assert response.status_code == 302 and response["Location"] == reverse("account_email")
    assert not Idea.objects.with_scopes_disabled().exists()


def test_rate_limits_answer_429_with_a_message_and_keep_the_input(
    client, process, arnsberg, citizen, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "idea": [(2, 3600, "user")]}
    client.force_login(citizen)
    url = _url("idea-create", arnsberg, slug=process.slug)
    for number in range(2):
        assert client.post(url, _idea_post(title=f"Idee {number}")).status_code == 302
    response = client.post(url, _idea_post(title="Die dritte Idee"))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    text = _text(response)
    assert "Die dritte Idee" in text  # nothing typed is lost
    assert "try again" in text or "erneut" in text
    assert Idea.objects.with_scopes_disabled().count() == 2


def test_rate_limits_count_per_ip_across_accounts(client, process, arnsberg, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": [(3, 600, "ip")]}
    idea = factories.idea(process=process)
    url = _url("comment-create", arnsberg, pk=idea.pk)
    statuses = []
    for _ in range(4):
        client.force_login(factories.UserFactory())
        statuses.append(
            client.post(url, {"body": "Noch ein Kommentar"}, REMOTE_ADDR="203.0.113.9").status_code
        )
    assert statuses == [302, 302, 302, 429]
    # Another address is not affected.
    assert client.post(url, {"body": "Von woanders"}, REMOTE_ADDR="198.51.100.4").status_code == 302


def test_pre_moderation_keeps_ideas_waiting_but_visible_to_their_author(client, process, arnsberg, citizen):
    with town_scope(arnsberg):
        processes_services.settings_change(municipality=arnsberg, by=None, fields={"moderation": "pre"})
    client.force_login(citizen)
    response = client.post(_url("idea-create", arnsberg, slug=process.slug), _idea_post())
    idea = Idea.objects.with_scopes_disabled().get()
    assert idea.moderation == Moderation.PENDING
    own = client.get(response["Location"])
    assert own.status_code == 200 and "kern-alert--warning" in _text(own)  # the notice that it waits
    client.logout()
    assert client.get(idea.get_absolute_url()).status_code == 404
    assert "Trinkbrunnen" not in _text(client.get(_url("ideas", arnsberg)))


# --- Supports, comments, reports -------------------------------------------------------------------------


def test_support_works_with_htmx_and_without_javascript(client, process, arnsberg, citizen):
    idea = factories.idea(process=process)
    client.force_login(citizen)
    url = _url("idea-support", arnsberg, pk=idea.pk)
    plain = client.post(url, {"action": "support"})
    assert plain.status_code == 302 and plain["Location"] == idea.get_absolute_url()
    partial = client.post(url, {"action": "support"}, HTTP_HX_REQUEST="true")  # a second click adds nothing
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    # Only the action part and the live region's text come back: the box and its live region stay in the page, and
    # the button keeps its id so that htmx gives it the focus back.
    html = partial.content.decode()
    assert 'id="support-box"' not in html and 'id="support-button"' in html
    assert re.search(r'<p id="support-count" hx-swap-oob="innerHTML">', html)
    assert Support.objects.with_scopes_disabled().filter(idea=idea).count() == 1
    assert "1 person supports" in _text(partial) or "1 Person unterstützt" in _text(partial)
    withdrawn = client.post(url, {"action": "withdraw"}, HTTP_HX_REQUEST="true")
    assert withdrawn.status_code == 200
    assert not Support.objects.with_scopes_disabled().filter(idea=idea).exists()


def test_supports_close_with_the_phase(client, arnsberg, citizen):
    today = helpers.today()
    process = factories.process(municipality=arnsberg)
    idea = factories.idea(process=process)
    with town_scope(arnsberg):
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=arnsberg,
            fields={},
            phases=[{"kind": "vote", "starts_on": today, "ends_on": today}],
        )
    client.force_login(citizen)
    response = client.post(
        _url("idea-support", arnsberg, pk=idea.pk), {"action": "support"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()
    assert not Support.objects.with_scopes_disabled().exists()


def test_comments_and_one_level_of_replies(client, process, arnsberg, citizen):
    idea = factories.idea(process=process)
    client.force_login(citizen)
    url = _url("comment-create", arnsberg, pk=idea.pk)
    response = client.post(url, {"body": "Wo genau?"})
    comment = Comment.objects.with_scopes_disabled().get()
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    reply = client.post(url, {"body": "Am Markt.", "parent": comment.pk})
    assert reply.status_code == 302
    child = Comment.objects.with_scopes_disabled().get(parent=comment)
    # A reply to a reply is refused with a message, and the text is kept.
    refused = client.post(url, {"body": "Tiefer geht es nicht", "parent": child.pk})
    assert refused.status_code == 400 and "Tiefer geht es nicht" in refused.content.decode()
    assert Comment.objects.with_scopes_disabled().count() == 2
    page = _text(client.get(idea.get_absolute_url()))
    assert page.index("Wo genau?") < page.index("Am Markt.")
    assert client.post(url, {"body": ""}).status_code == 400


def test_official_comments_and_vanished_parents_on_the_page(client, process, arnsberg, citizen, editor_a):
    idea = factories.idea(process=process)
    url = _url("comment-create", arnsberg, pk=idea.pk)
    client.force_login(editor_a)
    assert 'name="official"' in client.get(idea.get_absolute_url()).content.decode()
    assert client.post(url, {"body": "Wir prüfen den Standort.", "official": "1"}).status_code == 302
    official = Comment.objects.with_scopes_disabled().get()
    assert official.is_official
    # Only editors of the process's towns write for the town; a forged field is refused, not ignored.
    client.force_login(citizen)
    assert 'name="official"' not in client.get(idea.get_absolute_url()).content.decode()
    assert client.post(url, {"body": "Ich bin die Stadt", "official": "1"}).status_code == 403
    assert Comment.objects.with_scopes_disabled().count() == 1
    # A reply to a comment that was hidden meanwhile keeps the text and says why.
    with town_scope(arnsberg):
        moderation_services.moderation_act(
            target=official, action="hide", by=editor_a, acting_town=arnsberg, reason="Test"
        )
    refused = client.post(url, {"body": "Danke!", "parent": official.pk})
    assert refused.status_code == 400 and "Danke!" in refused.content.decode()
    assert refused.context["comment_form"].errors["parent"]


def test_reports_from_distinct_people_hide_a_comment_everywhere(client, process, arnsberg):
    idea = factories.idea(process=process)
    comment = factories.comment(idea=idea, body="Beleidigender Unsinn")
    url = _url("comment-flag", arnsberg, pk=comment.pk)
    reporters = [factories.UserFactory() for _ in range(3)]
    client.force_login(reporters[0])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "offensive"}).status_code == 302
    assert client.post(url, {"reason": "offensive"}).status_code == 302  # the same person twice counts once
    assert "Beleidigender Unsinn" in _text(client.get(idea.get_absolute_url()))
    for person in reporters[1:]:
        client.force_login(person)
        client.post(url, {"reason": "spam", "note": "Werbung"})
    assert Comment.objects.with_scopes_disabled().get().moderation == Moderation.REPORTED
    assert "Beleidigender Unsinn" not in _text(client.get(idea.get_absolute_url()))
    assert client.post(url, {"reason": "spam"}).status_code == 404  # hidden content cannot be reported again
    assert client.post(url, {"reason": "nonsense"}).status_code == 404


def test_report_form_needs_a_known_reason(client, process, arnsberg, citizen):
    idea = factories.idea(process=process)
    client.force_login(citizen)
    response = client.post(_url("idea-flag", arnsberg, pk=idea.pk), {"reason": "because"})
    assert response.status_code == 400 and "reason" in response.context["form"].errors


# --- Staff: answers, status, project, moderation ---------------------------------------------------------


def test_staff_answer_and_status_workflow(client, process, arnsberg, editor_a, town_b):
    idea = factories.idea(process=process, title="Mehr Grün")
    client.force_login(editor_a)
    page = client.get(_url("staff-idea", arnsberg, pk=idea.pk))
    assert page.status_code == 200 and "Mehr Grün" in page.content.decode()
    url = _url("staff-idea-answer", arnsberg, pk=idea.pk)
    refused = client.post(url, {"to": "rejected", "body": ""})
    assert refused.status_code == 400 and refused.context["answer_form"].errors
    assert Idea.objects.with_scopes_disabled().get().status == "submitted"
    accepted = client.post(url, {"to": "accepted", "body": "Wir setzen das 2027 um."})
    assert accepted.status_code == 302
    assert Idea.objects.with_scopes_disabled().get().status == "accepted"
    answer = OfficialAnswer.objects.with_scopes_disabled().get()
    assert (answer.status_before, answer.status_after, answer.author) == ("submitted", "accepted", editor_a)
    public = _text(client.get(idea.get_absolute_url()))
    assert "Wir setzen das 2027 um." in public
    # A status that the workflow does not allow from here is refused.
    assert client.post(url, {"to": "merged", "body": "x"}).status_code == 400
    assert Idea.objects.with_scopes_disabled().get().status == "accepted"
    # The project link: only projects of the process's towns are offered.
    own = factories.project(municipality=arnsberg, title="Grüne Achse")
    other = factories.project(municipality=town_b, title="Fremdes Projekt")
    link = _url("staff-idea-project", arnsberg, pk=idea.pk)
    assert client.post(link, {"project": other.pk}).status_code == 400
    assert client.post(link, {"project": own.pk}).status_code == 302
    project_page = _text(client.get(own.get_absolute_url()))
    assert 'id="ideas-heading"' in project_page and "Mehr Grün" in project_page  # "came from a citizen idea"
    assert "Grüne Achse" in _text(client.get(idea.get_absolute_url()))


def test_viewers_cannot_answer(client, process, arnsberg, viewer_a):
    idea = factories.idea(process=process)
    client.force_login(viewer_a)
    assert client.get(_url("staff-idea", arnsberg, pk=idea.pk)).status_code == 200
    assert (
        client.post(
            _url("staff-idea-answer", arnsberg, pk=idea.pk), {"to": "accepted", "body": "Ja"}
        ).status_code
        == 403
    )
    assert Idea.objects.with_scopes_disabled().get().status == "submitted"


def test_moderation_queue_approve_and_hide_with_reason(client, process, arnsberg, editor_a):
    with town_scope(arnsberg):
        processes_services.settings_change(municipality=arnsberg, by=None, fields={"moderation": "pre"})
    waiting = factories.idea(process=process, title="Wartet auf Freigabe")
    spam = factories.idea(process=process, title="Billige Uhren")
    client.force_login(editor_a)
    queue = _text(client.get(_url("staff-moderation", arnsberg)))
    assert "Wartet auf Freigabe" in queue and "Billige Uhren" in queue
    assert (
        client.post(_url("staff-moderate-idea", arnsberg, pk=waiting.pk), {"action": "approve"}).status_code
        == 302
    )
    refused = client.post(_url("staff-moderate-idea", arnsberg, pk=spam.pk), {"action": "hide", "reason": ""})
    assert (
        refused.status_code == 302
        and Idea.objects.with_scopes_disabled().get(pk=spam.pk).moderation == "pending"
    )
    client.post(_url("staff-moderate-idea", arnsberg, pk=spam.pk), {"action": "hide", "reason": "Werbung"})
    assert Idea.objects.with_scopes_disabled().get(pk=spam.pk).moderation == Moderation.HIDDEN
    assert (
        client.post(_url("staff-moderate-idea", arnsberg, pk=spam.pk), {"action": "explode"}).status_code
        == 400
    )
    client.logout()
    assert "Wartet auf Freigabe" in _text(client.get(_url("ideas", arnsberg)))
    assert "Billige Uhren" not in _text(client.get(_url("ideas", arnsberg)))


def test_agentur_moderators_moderate_every_town(client, process, arnsberg, moderator):
    idea = factories.idea(process=process, title="Gemeldet")
    client.force_login(moderator)
    assert client.get(_url("staff-moderation", arnsberg)).status_code == 200
    client.post(
        _url("staff-moderate-idea", arnsberg, pk=idea.pk), {"action": "hide", "reason": "Privatsphäre"}
    )
    assert Idea.objects.with_scopes_disabled().get().moderation == Moderation.HIDDEN


def test_staff_create_a_process_with_phases(client, arnsberg, editor_a):
    client.force_login(editor_a)
    url = _url("staff-process-create", arnsberg)
    assert client.get(url).status_code == 200
    data = {
        "title": "Zukunft Neheim",
        "summary": "Ideen für Neheim.",
        "description": "",
        "is_published": "on",
        "allow_comments": "on",
        "allow_supports": "on",
        "allow_location": "on",
        "votes_per_person": "3",
        "votes_per_idea": "1",
        "phase-TOTAL_FORMS": "5",
        "phase-INITIAL_FORMS": "5",
        "phase-MIN_NUM_FORMS": "5",
        "phase-MAX_NUM_FORMS": "5",
    }
    kinds = ["information", "ideas", "evaluation", "vote", "results"]
    dates = [("2027-01-01", "2027-01-31"), ("2027-02-01", "2027-03-31"), ("", ""), ("", ""), ("", "")]
    for number, (kind, (start, end)) in enumerate(zip(kinds, dates, strict=True)):
        data[f"phase-{number}-kind"] = kind
        if start:
            data |= {
                f"phase-{number}-use": "on",
                f"phase-{number}-starts_on": start,
                f"phase-{number}-ends_on": end,
            }
    overlapping = {**data, "phase-1-starts_on": "2027-01-15"}
    response = client.post(url, overlapping)
    assert response.status_code == 400 and not Process.objects.with_scopes_disabled().exists()
    assert "Zukunft Neheim" in response.content.decode()
    response = client.post(url, data)
    assert response.status_code == 302
    with town_scope(arnsberg):
        process = Process.objects.get()
        assert [p.kind for p in process.phases.all()] == ["information", "ideas"]
    assert client.get(response["Location"]).status_code == 200


def test_offline_contributions_are_entered_by_staff(client, process, arnsberg, editor_a):
    client.force_login(editor_a)
    response = client.post(
        _url("staff-offline", arnsberg, slug=process.slug),
        {
            "title": "Postkarte: Busse am Sonntag",
            "body": "Sonntags fährt kein Bus nach Oeventrop.",
            "offline_source": "Postkarte aus dem Beteiligungskoffer",
            "collected_on": "2026-11-20",
        },
    )
    assert response.status_code == 302
    idea = Idea.objects.with_scopes_disabled().get()
    assert idea.is_offline and idea.author is None and idea.entered_by == editor_a and idea.is_visible
    page = _text(client.get(idea.get_absolute_url()))
    assert "Postkarte aus dem Beteiligungskoffer" in page and editor_a.display_name not in page


def test_vote_and_results(client, arnsberg, citizen):
    today = helpers.today()
    process = factories.process(municipality=arnsberg, votes_per_person=2)
    ideas = [factories.idea(process=process, title=f"Vorschlag {n}") for n in range(2)]
    ideas.append(factories.idea(process=process, title='=HYPERLINK("http://example.org") Vorschlag 2'))
    with town_scope(arnsberg):
        for idea in ideas:
            ideas_services.idea_set_shortlisted(idea=idea, shortlisted=True, by=None, acting_town=arnsberg)
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=arnsberg,
            fields={},
            phases=[{"kind": "vote", "starts_on": today, "ends_on": today}],
        )
    client.force_login(citizen)
    url = _url("vote", arnsberg, slug=process.slug)
    assert client.get(url).status_code == 200
    too_many = client.post(url, {f"idea_{i.pk}": "on" for i in ideas})
    assert too_many.status_code == 400
    assert client.post(url, {f"idea_{ideas[0].pk}": "on", f"idea_{ideas[2].pk}": "on"}).status_code == 302
    assert client.post(url, {f"idea_{ideas[0].pk}": "on"}).status_code == 302  # changed
    assert client.get(_url("results", arnsberg, slug=process.slug)).status_code == 404  # not before the end
    with town_scope(arnsberg):
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=arnsberg,
            fields={},
            phases=[
                {
                    "kind": "vote",
                    "starts_on": today - datetime.timedelta(days=3),
                    "ends_on": today - datetime.timedelta(days=1),
                }
            ],
        )
    results = _text(client.get(_url("results", arnsberg, slug=process.slug)))
    assert "Vorschlag 0" in results
    text = client.get(_url("results-csv", arnsberg, slug=process.slug)).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1][:3] == ["1", "Vorschlag 0", "1"]
    assert [row[2] for row in rows[2:4]] == ["0", "0"]
    assert rows[-1][1] == "1"  # one ballot
    # A title that a spreadsheet would run as a formula stays text.
    assert '\'=HYPERLINK("http://example.org") Vorschlag 2' in [row[1] for row in rows[2:4]]


def test_my_participation_lists_only_my_contributions_in_every_town(
    client, process, arnsberg, town_b, citizen
):
    other = factories.process(municipality=town_b)
    mine = factories.idea(process=process, author=citizen, title="Meine Idee in Arnsberg")
    factories.idea(process=other, author=citizen, title="Meine Idee in Soest")
    factories.idea(process=process, title="Fremde Idee")
    factories.comment(idea=mine, author=citizen, body="Mein Kommentar")
    client.force_login(citizen)
    page = _text(client.get(reverse("participation-mine")))
    assert "Meine Idee in Arnsberg" in page and "Meine Idee in Soest" in page and "Mein Kommentar" in page
    assert "Fremde Idee" not in page


def test_participation_staff_pages_respect_roles(client, process, arnsberg, staff_factory):
    idea = factories.idea(process=process)
    viewer = staff_factory(arnsberg, Role.VIEWER)
    client.force_login(viewer)
    assert client.get(_url("staff-overview", arnsberg)).status_code == 200
    assert client.get(_url("staff-process", arnsberg, slug=process.slug)).status_code == 200
    assert client.get(_url("staff-moderation", arnsberg)).status_code == 403
    assert client.get(_url("staff-settings", arnsberg)).status_code == 403
    assert (
        client.post(_url("staff-moderate-idea", arnsberg, pk=idea.pk), {"action": "approve"}).status_code
        == 403
    )


def test_the_town_home_page_points_to_running_processes(client, arnsberg, django_assert_max_num_queries):
    today = helpers.today()
    running = factories.process(municipality=arnsberg, title="Jetzt mitmachen")
    factories.process(
        municipality=arnsberg,
        title="Schon vorbei",
        phases=[
            {
                "kind": "ideas",
                "starts_on": today - datetime.timedelta(days=30),
                "ends_on": today - datetime.timedelta(days=1),
            }
        ],
    )
    factories.process(municipality=arnsberg, title="Noch intern", is_published=False)
    with django_assert_max_num_queries(12):
        page = _text(client.get(reverse("municipalities:home", kwargs={"town_slug": arnsberg.slug})))
    assert "Jetzt mitmachen" in page and running.get_absolute_url() in page
    assert "Schon vorbei" not in page and "Noch intern" not in page


def test_the_staff_idea_list_shows_every_idea_and_filters_by_answer(client, process, arnsberg, viewer_a):
    answered = factories.idea(process=process, title="Beantwortet")
    factories.idea(process=process, title="Offen")
    hidden = factories.idea(process=process, title="Verborgen")
    with town_scope(arnsberg):
        answers_services.idea_answer(
            idea=answered, by=None, acting_town=arnsberg, to="under_review", body="Wir prüfen."
        )
        moderation_services.moderation_hide(target=hidden, by=None, acting_town=arnsberg, reason="Werbung")
    client.force_login(viewer_a)
    url = _url("staff-ideas", arnsberg)
    everything = _text(client.get(url))
    assert all(
        title in everything for title in ("Beantwortet", "Offen", "Verborgen")
    )  # staff see hidden ones
    assert [i.title for i in client.get(url + "?answered=yes").context["ideas"]] == ["Beantwortet"]
    assert sorted(i.title for i in client.get(url + "?answered=no").context["ideas"]) == [
        "Offen",
        "Verborgen",
    ]
    assert client.get(url + "?answered=maybe&moderation=nope").status_code == 200
    client.logout()
    assert "/accounts/login/" in client.get(url)["Location"]


def test_a_process_never_takes_the_address_of_a_fixed_staff_page(arnsberg):
    for title in ("Ideen", "Moderation", "Neu"):
        assert factories.process(municipality=arnsberg, title=title).slug == f"{title.lower()}-2"
