"""One definition of "waiting for moderation": the moderation queue, the town's staff pages, the Agentur's
dashboard (page and API), the API's queue and the town report count the same contributions."""

import re

import pytest
from django.urls import reverse

from municipalities.scoping import town_scope
from participation.selectors import moderation as moderation_selectors
from participation.services import flags as flags_services
from participation.services import moderation as moderation_services
from participation.services import processes as processes_services
from reports.selectors import town_participation
from tests import factories

pytestmark = pytest.mark.django_db


def _report(target, times=1):
    for _ in range(times):
        flags_services.flag_submit(target=target, reporter=factories.UserFactory(), reason="personal_data")


def _figures(client, municipality) -> dict:
    """Every place that says how many contributions of ``municipality`` wait for a moderator."""
    queue = client.get(f"/{municipality.slug}/verwaltung/beteiligung/moderation/")
    dashboard = client.get(f"/{municipality.slug}/verwaltung/")
    overview = client.get(f"/{municipality.slug}/verwaltung/beteiligung/")
    # The Agentur's table as the page shows it (a second visit with nothing changed comes from the cache, without
    # the sections in its context).
    agentur = client.get("/agentur/").content.decode()
    agentur_row = agentur.split('data-figure="moderation_open"')[1].split("</tr>")[0]
    agentur_cell = re.search(rf'data-town="{municipality.slug}">(?:<a [^>]*>)?(\d+)', agentur_row).group(1)
    api_queue = client.get(reverse("api:moderation", kwargs={"town_slug": municipality.slug})).json()
    api_towns = client.get(reverse("api:agentur-towns")).json()["towns"]
    with town_scope(municipality):
        report = town_participation(municipality=municipality)[1]["waiting"]
    return {
        "queue": queue.context["count"],
        "queue_listed": len(queue.context["ideas"]) + len(queue.context["comments"]),
        "dashboard": dashboard.context["moderation_waiting"],
        "participation_overview": overview.context["waiting"],
        "agentur": int(agentur_cell),
        "api_queue": api_queue["count"],
        "api_agentur": next(
            t["figures"]["moderation_open"] for t in api_towns if t["town"] == municipality.slug
        ),
        "town_report": report,
    }


def test_a_comment_with_one_report_waits_everywhere(client, town_a, moderator, catalogue):
    """The case of the issue: one report (below the threshold of three) leaves a comment visible; it waits all
    the same, and every figure says so."""
    process = factories.process(municipality=town_a)
    idea = factories.idea(process=process)
    comment = factories.comment(idea=idea, body="Der Nachbar in Hausnummer 12 parkt mit dem Kennzeichen …")
    with town_scope(town_a):
        _report(comment)
        assert moderation_selectors.moderation_count() == 1
    client.force_login(moderator)
    figures = _figures(client, town_a)
    assert set(figures.values()) == {1}, figures
    dashboard = client.get(f"/{town_a.slug}/verwaltung/")
    assert "1 Beitrag wartet auf Moderation" in dashboard.text
    assert "Nichts wartet auf Moderation" not in dashboard.text


def test_every_kind_of_waiting_counts_the_same_everywhere(
    client, town_a, town_b, moderator, editor_a, catalogue
):
    process = factories.process(municipality=town_a)
    published = factories.idea(process=process, title="Sichtbar, ohne Meldung")
    reported_idea = factories.idea(process=process, title="Sichtbar, einmal gemeldet")
    hidden_by_reports = factories.idea(process=process, title="Nach Meldungen verborgen")
    comment = factories.comment(idea=published)
    reported_reply = factories.comment(idea=published, parent=comment, body="Gemeldete Antwort")
    handled = factories.comment(idea=published, body="Gemeldet und freigegeben")
    with town_scope(town_a):
        _report(reported_idea)
        _report(hidden_by_reports, times=3)  # the default threshold: hidden until a moderator decides
        _report(reported_reply)
        _report(handled)
        moderation_services.moderation_approve(
            target=handled, by=editor_a, acting_town=town_a
        )  # closes its report
        processes_services.settings_change(municipality=town_a, by=editor_a, fields={"moderation": "pre"})
    factories.idea(process=process, title="Wartet auf Freigabe")
    factories.comment(idea=published, body="Wartender Kommentar")
    hidden = factories.idea(process=process, title="Von Hand verborgen")
    with town_scope(town_a):
        moderation_services.moderation_hide(target=hidden, by=editor_a, acting_town=town_a, reason="Werbung")
    # Another town's waiting contribution counts there, not here.
    factories.comment(idea=factories.idea(process=factories.process(municipality=town_b)))
    with town_scope(town_b):
        _report(
            factories.comment(
                idea=factories.idea(process=factories.process(municipality=town_b)), municipality=town_b
            )
        )

    client.force_login(moderator)
    # Waiting: the reported idea, the idea hidden after reports, the reported reply, the pending idea and the
    # pending comment. Not waiting: the unreported, the approved and the hidden ones.
    assert set(_figures(client, town_a).values()) == {5}
    assert set(_figures(client, town_b).values()) == {1}

    with town_scope(town_a):
        moderation_services.moderation_approve(target=reported_idea, by=editor_a, acting_town=town_a)
    assert set(_figures(client, town_a).values()) == {4}
