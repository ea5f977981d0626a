"""A citizen submits an idea with a place picked on the map and supports another one; an editor accepts it
with an official answer; the citizen sees the notification. Every participation page passes axe."""

import datetime
import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import Role
from municipalities.scoping import town_scope
from participation.models import Idea
from participation.services import ballots as ballots_services
from participation.services import ideas as ideas_services
from participation.services import processes as processes_services
from tests import factories, helpers
from tests.helpers import browser_login

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def arnsberg(town_a):
    town_a.map_south, town_a.map_west, town_a.map_north, town_a.map_east = 51.30, 7.95, 51.50, 8.20
    town_a.save()
    return town_a


def _switch_user(page, base_url, user):
    page.context.clear_cookies()
    browser_login(page, base_url, user)


def test_citizen_idea_from_map_to_accepted_answer(site, page, arnsberg, settings, live_server):
    settings.MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png?{{z}}/{{x}}/{{y}}"
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        process = factories.process(municipality=arnsberg, title="Ideen für die Innenstadt")
        other = factories.idea(process=process, title="Mehr Fahrradbügel am Neumarkt")
        citizen = factories.UserFactory(email="anna@example.org", display_name="Anna")
        editor = factories.staff_member(
            municipality=arnsberg, role=Role.EDITOR, email="beteiligung@arnsberg.example"
        )

    browser_login(page, site, citizen)
    page.goto(f"{site}/arnsberg/beteiligung/{process.slug}/")
    check_axe(page)
    page.locator(f"main a[href='/arnsberg/beteiligung/{process.slug}/idee/']").click()
    page.wait_for_url(re.compile(r"/idee/$"))
    check_axe(page)
    page.locator("#id_title").fill("Trinkbrunnen am Steinweg")
    page.locator("#id_body").fill("Im Sommer fehlt in der Altstadt **frisches Wasser**.")
    page.locator("#id_location_label").fill("Steinweg")
    # Pick the place on the map: the fields are filled from the click, in German number format.
    page.locator("[data-sc5-picker-show]").click()
    canvas = page.locator("[data-sc5-picker-canvas]")
    expect(canvas).to_be_visible()
    page.wait_for_timeout(300)
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] * 0.4, "y": box["height"] * 0.6})
    expect(page.locator("#id_latitude")).to_have_value(re.compile(r"^51,\d{6}$"))
    expect(page.locator("#id_longitude")).to_have_value(re.compile(r"^[78],\d{6}$"))
    check_axe(page)
    page.locator("#id_consent").check()
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/arnsberg/ideen/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Trinkbrunnen am Steinweg")
    expect(page.locator("main .sc5-prose strong")).to_have_text("frisches Wasser")
    check_axe(page)
    idea = Idea.objects.with_scopes_disabled().get(title="Trinkbrunnen am Steinweg")
    assert arnsberg.contains_point(idea.latitude, idea.longitude)

    # Supporting another idea swaps the box in place (htmx), without a page load.
    page.goto(f"{site}/arnsberg/ideen/{other.pk}/")
    page.evaluate("window.__marker = 'same page'")
    box = page.locator("#support-box")
    expect(box.locator("strong").first).to_contain_text("0")
    box.locator("button[type=submit]").click()
    expect(page.locator("#support-box input[name=action]")).to_have_value("withdraw")
    expect(page.locator("#support-box strong").first).to_contain_text("1")
    assert page.evaluate("window.__marker") == "same page"
    check_axe(page)

    # The editor accepts the idea with an official answer.
    _switch_user(page, site, editor)
    page.goto(f"{site}/arnsberg/verwaltung/beteiligung/ideen/{idea.pk}/")
    check_axe(page)
    page.locator("input[name=to][value=accepted]").check()
    page.locator("#id_body").fill("Danke! Der Brunnen kommt im Frühjahr 2027.")
    # Enter in the merge search shows the page again with the matches; what was typed stays, nothing is sent.
    page.locator("#id_merge_search").fill("Brunnen")
    page.locator("#id_merge_search").press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#id_body")).to_have_value("Danke! Der Brunnen kommt im Frühjahr 2027.")
    expect(page.locator("input[name=to][value=accepted]")).to_be_checked()
    check_axe(page)
    page.get_by_role("button", name="Antwort veröffentlichen").click()
    page.wait_for_url(re.compile(rf"/verwaltung/beteiligung/ideen/{idea.pk}/$"))
    expect(page.locator("main")).to_contain_text("Danke! Der Brunnen kommt im Frühjahr 2027.")

    # The citizen is told, and the idea page shows the answer.
    _switch_user(page, site, citizen)
    page.goto(f"{site}/konto/benachrichtigungen/")
    expect(page.locator("main")).to_contain_text("Trinkbrunnen am Steinweg")
    check_axe(page)
    page.locator("main .sc5-notification", has_text="Trinkbrunnen am Steinweg").first.locator(
        "button"
    ).click()
    page.wait_for_url(re.compile(rf"/ideen/{idea.pk}/"))
    expect(page.locator("main")).to_contain_text("Danke! Der Brunnen kommt im Frühjahr 2027.")


def test_every_participation_page_passes_axe(site, page, arnsberg, town_b):
    today = helpers.today()
    day = datetime.timedelta(days=1)
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        process = factories.process(municipality=arnsberg, title="Zukunft Neheim", partners=[town_b])
        idea = factories.idea(
            process=process,
            title="Dorfladen mit Paketstation",
            location_label="Marktplatz",
            latitude="51.45",
            longitude="7.96",
            image=factories.image_upload(),
        )
        comment = factories.comment(idea=idea, body="Gute Idee!")
        factories.comment(idea=idea, body="Finde ich auch.", parent=comment)
        finished = factories.process(municipality=arnsberg, title="Bürgerhaushalt 2026", votes_per_person=2)
        shortlisted = [factories.idea(process=finished, title=f"Vorschlag {n}") for n in range(3)]
        voter = factories.UserFactory(display_name="Bernd")
        with town_scope(arnsberg):
            for item in shortlisted:
                ideas_services.idea_set_shortlisted(
                    idea=item, shortlisted=True, by=None, acting_town=arnsberg
                )
            processes_services.process_change(
                process=finished,
                by=None,
                acting_town=arnsberg,
                fields={},
                phases=[{"kind": "vote", "starts_on": today, "ends_on": today + day}],
            )
            ballots_services.ballot_cast(
                process=finished, user=voter, votes={shortlisted[0].pk: 1, shortlisted[1].pk: 1}
            )
            processes_services.settings_change(municipality=arnsberg, by=None, fields={"moderation": "pre"})
            factories.idea(process=process, title="Wartet auf Moderation")
        citizen = factories.UserFactory(display_name="Clara")
        factories.idea(process=process, author=citizen, title="Meine Idee")

    browser_login(page, site, voter)
    for path in (
        "/beteiligung/",
        "/arnsberg/beteiligung/",
        f"/arnsberg/beteiligung/{process.slug}/",
        "/arnsberg/ideen/",
        "/arnsberg/ideen/?status=submitted&sort=supported&q=Dorf",
        f"/arnsberg/ideen/{idea.pk}/",
        f"/arnsberg/beteiligung/{process.slug}/idee/",
        f"/arnsberg/ideen/{idea.pk}/melden/",
        f"/arnsberg/kommentare/{comment.pk}/melden/",
        f"/arnsberg/beteiligung/{finished.slug}/abstimmung/",
        f"/soest/beteiligung/{process.slug}/",
    ):
        page.goto(site + path)
        assert page.locator("h1").count() == 1, path
        check_axe(page)

    with town_scope(arnsberg):
        processes_services.process_change(
            process=finished,
            by=None,
            acting_town=arnsberg,
            fields={},
            phases=[{"kind": "vote", "starts_on": today - 3 * day, "ends_on": today - day}],
        )
    page.goto(f"{site}/arnsberg/beteiligung/{finished.slug}/ergebnis/")
    expect(page.locator("main table")).to_contain_text("Vorschlag 0")
    check_axe(page)

    _switch_user(page, site, citizen)
    page.goto(f"{site}/konto/beteiligung/")
    expect(page.locator("main")).to_contain_text("Meine Idee")
    check_axe(page)

    admin = factories.staff_member(municipality=arnsberg, role=Role.ADMIN, email="admin@arnsberg.example")
    _switch_user(page, site, admin)
    for path in (
        "/arnsberg/verwaltung/beteiligung/",
        "/arnsberg/verwaltung/beteiligung/neu/",
        f"/arnsberg/verwaltung/beteiligung/{process.slug}/",
        f"/arnsberg/verwaltung/beteiligung/{process.slug}/bearbeiten/",
        f"/arnsberg/verwaltung/beteiligung/{process.slug}/offline/",
        f"/arnsberg/verwaltung/beteiligung/ideen/{idea.pk}/",
        f"/arnsberg/verwaltung/beteiligung/moderation/ideen/{idea.pk}/datenschutz/",
        f"/arnsberg/verwaltung/beteiligung/moderation/kommentare/{comment.pk}/datenschutz/",
        "/arnsberg/verwaltung/beteiligung/moderation/",
        "/arnsberg/verwaltung/beteiligung/einstellungen/",
        f"/arnsberg/verwaltung/beteiligung/{finished.slug}/",
        "/arnsberg/verwaltung/beteiligung/ideen/?moderation=published&lead=ja",
        "/arnsberg/verwaltung/",
    ):
        page.goto(site + path)
        assert page.locator("h1").count() == 1, path
        check_axe(page)
    # The dashboard counts the two ideas waiting under pre-moderation and links to the queue.
    expect(page.locator("main a[href$='/verwaltung/beteiligung/moderation/']")).to_contain_text("2")
    page.goto(f"{site}/arnsberg/verwaltung/beteiligung/moderation/")
    expect(page.locator("main")).to_contain_text("Wartet auf Moderation")


def test_without_a_map_the_place_is_described_and_coordinates_are_a_keyboard_detail(
    site, page, arnsberg, settings
):
    """MAP_TILE_URL switched off: no map, no word of one; the coordinates open with the keyboard (issue 15)."""
    settings.MAP_TILE_URL = ""
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        process = factories.process(municipality=arnsberg, title="Ideen ohne Karte")
        citizen = factories.UserFactory(email="ben@example.org", display_name="Ben")
    browser_login(page, site, citizen)
    page.goto(f"{site}/arnsberg/beteiligung/{process.slug}/idee/")
    form = page.locator("main form").filter(has=page.locator("#id_title"))
    expect(form).not_to_contain_text(re.compile("Karte", re.IGNORECASE))
    expect(page.get_by_label("Beschreibung des Ortes")).to_be_visible()
    expect(page.locator("#id_latitude")).to_be_hidden()
    check_axe(page)
    page.locator("#id_title").fill("Bank am Ruhrufer")
    page.locator("#id_body").fill("Zum Ausruhen fehlt eine Bank.")
    page.get_by_label("Beschreibung des Ortes").fill("Ruhrufer, gegenüber dem Spielplatz")
    page.locator("[data-sc5-coordinates] summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_latitude")).to_be_visible()
    page.locator("#id_latitude").fill("51,45")
    page.locator("#id_longitude").fill("7,96")
    check_axe(page)
    page.locator("#id_consent").check()
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/arnsberg/ideen/\d+/$"))
    idea = Idea.objects.with_scopes_disabled().get(title="Bank am Ruhrufer")
    assert idea.location_label == "Ruhrufer, gegenüber dem Spielplatz"
    assert (float(idea.latitude), float(idea.longitude)) == (51.45, 7.96)


def test_a_moderator_removes_a_name_from_a_comment_and_the_page_shows_markdown(
    site, page, arnsberg, moderator
):
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        process = factories.process(municipality=arnsberg, title="Ideen für Hüsten")
        idea = factories.idea(process=process, title="Schattenplätze am Markt")
        factories.comment(idea=idea, body="Das ist **richtig gut**:\n\n- Bäume\n- Sonnensegel")
        comment = factories.comment(idea=idea, body="Fragen Sie Peter Müller (82), Gartenstraße 3.")

    browser_login(page, site, moderator)
    page.goto(f"{site}/arnsberg/verwaltung/beteiligung/ideen/{idea.pk}/")
    # The staff page lists the newest comments first: the edit link of this very comment.
    page.locator(f"#comment-{comment.pk}").get_by_role(
        "link", name=re.compile("Text aus Datenschutzgründen bearbeiten.*Kommentar")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kommentar aus Datenschutzgründen bearbeiten")
    page.get_by_label("Text", exact=True).fill("Fragen Sie [Name entfernt].")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("erforderlich")  # the reason is missing
    check_axe(page)
    page.get_by_label("Begründung").fill("Name und Adresse eines Dritten")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/verwaltung/beteiligung/ideen/{idea.pk}/$"))
    expect(page.locator("main")).to_contain_text("Text aus Datenschutzgründen geändert")
    expect(page.locator("main")).not_to_contain_text("Peter Müller")

    page.goto(f"{site}{idea.get_absolute_url()}")
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text("Fragen Sie [Name entfernt].")
    expect(page.locator(".sc5-comment strong", has_text="richtig gut")).to_be_visible()
    expect(page.locator(".sc5-comment li", has_text="Sonnensegel")).to_be_visible()
    check_axe(page)
