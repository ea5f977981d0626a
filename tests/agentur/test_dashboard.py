"""The Agentur's cross-town dashboard at /agentur/: exact figures, links to the lists behind them, filters,
trends, access, one audit entry per request, and a query count that does not grow with the data."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agentur import dashboard
from funding import services as funding_services
from municipalities.models import AuditEntry
from municipalities.scoping import town_scope
from participation.models import OfficialAnswer
from participation.services import answers as answers_services
from participation.services import flags as flags_services
from participation.services import processes as processes_services
from projects.models import FieldOfAction
from smartcity5.charts import trend_chart_svg
from tests import factories, helpers

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def mobility(db):
    return FieldOfAction.objects.create(slug="test-mobilitaet", name="Test-Mobilität", position=99)


def _answer(idea, municipality, *, days_after: float, to: str = "under_review"):
    """An official answer, given ``days_after`` days after the idea came in."""
    with town_scope(municipality):
        answer = answers_services.idea_answer(
            idea=idea, by=None, acting_town=municipality, body="Wir prüfen das.", to=to
        )
    OfficialAnswer._base_manager.filter(pk=answer.pk).update(
        created_at=idea.created_at + datetime.timedelta(days=days_after)
    )
    idea.refresh_from_db()
    return answer


def _aged(idea, days: int):
    """Pretend the idea came in ``days`` days ago."""
    type(idea)._base_manager.filter(pk=idea.pk).update(created_at=timezone.now() - days * DAY)
    idea.refresh_from_db()
    return idea


def _request(grant, amount: str, *, paid: bool = False, submit: bool = True):
    with town_scope(grant.municipality):
        item = funding_services.disbursement_prepare(
            grant=grant, by=None, fields={"year": helpers.today().year, "amount": Decimal(amount)}
        )
        if submit:
            item = funding_services.disbursement_submit(item=item, by=None, submitted_on=helpers.today())
        if paid:
            item = funding_services.disbursement_mark_paid(item=item, by=None, paid_on=helpers.today())
    return item


def _milestone(grant, due_on, *, done: bool = False):
    with town_scope(grant.municipality):
        item = funding_services.milestone_save(
            grant=grant, by=None, fields={"title": "Meilenstein", "due_on": due_on}
        )
        if done:
            item = funding_services.milestone_mark_done(
                milestone=item, by=None, done_on=helpers.today(), evidence=factories.evidence_pdf()
            )
    return item


@pytest.fixture
def region(town_a, town_b, town_c, mobility):
    """Arnsberg (lead), Soest and Olpe with a crafted set of projects, funding and ideas."""
    a, b, c = town_a, town_b, town_c
    # Projects. Arnsberg: in progress (mobility, updated today), planned (phase A, no update), completed,
    # and a joint project with Soest (mobility, in progress, last update 100 days ago). Soest: an idea and a
    # paused project updated 10 days ago by Soest. Olpe: none.
    p1 = factories.project(municipality=a, status="in_progress", fields_of_action=[mobility])
    factories.progress_update(project=p1, published_on=helpers.today())
    factories.project(municipality=a, status="planned", phase="A")
    factories.project(municipality=a, status="completed")
    joint = factories.project(municipality=a, partners=[b], status="in_progress", fields_of_action=[mobility])
    factories.progress_update(project=joint, published_on=helpers.today() - 100 * DAY)
    factories.project(municipality=b)
    paused = factories.project(municipality=b, status="paused")
    factories.progress_update(project=paused, published_on=helpers.today() - 10 * DAY)

    # Funding. Arnsberg: one grant, 40.000 € called (a draft does not count), 12.500 € spent, milestones
    # done / at risk / overdue / open. Soest: two grants, one overdue milestone. Olpe: no grant.
    grant_a = factories.grant(municipality=a)
    factories.budget_line(grant=grant_a, year=helpers.today().year, amount="100000.00")
    _request(grant_a, "30000.00")
    _request(grant_a, "10000.00", paid=True)
    _request(grant_a, "5000.00", submit=False)
    with town_scope(a):
        funding_services.spending_record(
            grant=grant_a,
            by=None,
            fields={
                "spent_on": helpers.today(),
                "cost_type": "investment",
                "amount": Decimal("12500.00"),
                "description": "Sensoren",
            },
        )
    _milestone(grant_a, helpers.today() - 10 * DAY)
    _milestone(grant_a, helpers.today() + 10 * DAY)
    _milestone(grant_a, helpers.today() - 30 * DAY, done=True)
    _milestone(grant_a, helpers.today() + 100 * DAY)
    factories.grant(municipality=b, title="Zuwendung 1")
    grant_b = factories.grant(municipality=b, title="Zuwendung 2")
    _milestone(grant_b, helpers.today() - 1 * DAY)

    # Participation. A joint process of Arnsberg with Olpe: i1 (mobility) answered after 2 days, i2 first
    # answered after 5 days (again later), i3 from the previous quarter without answer, i4 waiting for
    # moderation; a comment hidden after a report. Soest: i5 answered after 4 days.
    process_a = factories.process(municipality=a, partners=[c])
    i1 = _aged(factories.idea(process=process_a, field_of_action=mobility), 3)
    _answer(i1, a, days_after=2)
    i2 = _aged(factories.idea(process=process_a), 9)
    _answer(i2, a, days_after=5)
    _answer(i2, c, days_after=8, to="accepted")
    i3 = factories.idea(process=process_a)
    type(i3)._base_manager.filter(pk=i3.pk).update(
        created_at=timezone.make_aware(
            datetime.datetime.combine(dashboard.last_quarters(helpers.today())[6].start, datetime.time(12))
        )
    )
    comment = factories.comment(idea=i1)
    with town_scope(a):
        processes_services.settings_change(
            municipality=a, by=None, fields={"moderation": "pre", "report_threshold": 1}
        )
        flags_services.flag_submit(target=comment, reporter=factories.UserFactory(), reason="spam")
    factories.idea(process=process_a, title="Wartet auf Freigabe")
    with town_scope(a):
        processes_services.settings_change(municipality=a, by=None, fields={"moderation": "post"})
    process_b = factories.process(municipality=b)
    i5 = _aged(factories.idea(process=process_b), 6)
    _answer(i5, b, days_after=4)
    factories.feedback(municipality=c)
    return {"grant_a": grant_a, "grant_b": grant_b}


def _table(response) -> dict:
    """{figure key: {town slug: cell}} from the response context."""
    return {
        row["key"]: {cell.town.slug: cell for cell in row["cells"]}
        for section in response.context["sections"]
        for row in section["rows"]
    }


def _table_html(response) -> str:
    html = response.content.decode()
    start = html.index('id="dashboard-table"')
    return html[start : html.index("</table>", start)]


def _values(table, key) -> dict:
    return {slug: cell.value for slug, cell in table[key].items()}


def test_exact_figures_side_by_side(client, moderator, region):
    client.force_login(moderator)
    response = client.get("/agentur/")
    assert response.status_code == 200
    assert [t.slug for t in response.context["towns"]] == ["arnsberg", "olpe", "soest"]
    table = _table(response)
    expected = {
        "projects_idea": {"arnsberg": 0, "olpe": 0, "soest": 1},
        "projects_planned": {"arnsberg": 1, "olpe": 0, "soest": 0},
        # The joint project counts for its lead town only; Soest shows it as "+1 gemeinsam" (below).
        "projects_in_progress": {"arnsberg": 2, "olpe": 0, "soest": 0},
        "projects_paused": {"arnsberg": 0, "olpe": 0, "soest": 1},
        "projects_completed": {"arnsberg": 1, "olpe": 0, "soest": 0},
        "projects_cancelled": {"arnsberg": 0, "olpe": 0, "soest": 0},
        "projects_updated": {"arnsberg": Decimal("33.3"), "olpe": None, "soest": Decimal("100.0")},
        "milestones_done": {"arnsberg": 1, "olpe": 0, "soest": 0},
        "milestones_at_risk": {"arnsberg": 1, "olpe": 0, "soest": 0},
        "milestones_overdue": {"arnsberg": 1, "olpe": 0, "soest": 1},
        "approved": {
            "arnsberg": Decimal("650000.00"),
            "olpe": Decimal("0.00"),
            "soest": Decimal("1300000.00"),
        },
        "called": {"arnsberg": Decimal("40000.00"), "olpe": Decimal("0.00"), "soest": Decimal("0.00")},
        "spent": {"arnsberg": Decimal("12500.00"), "olpe": Decimal("0.00"), "soest": Decimal("0.00")},
        "absorption": {"arnsberg": Decimal("6.2"), "olpe": None, "soest": Decimal("0.0")},
        "processes": {"arnsberg": 1, "olpe": 0, "soest": 1},
        # Published ideas of the town's own processes (Olpe is a partner of Arnsberg's process: "+3 gemeinsam").
        "ideas_received": {"arnsberg": 3, "olpe": 0, "soest": 1},
        "ideas_answered": {"arnsberg": 2, "olpe": 0, "soest": 1},
        "answer_days": {"arnsberg": 3.5, "olpe": None, "soest": 4.0},
        # Waiting contributions count in the town that owns them and lists them in its queue (the lead town).
        "moderation_open": {"arnsberg": 2, "olpe": 0, "soest": 0},
        "open_feedback": {"arnsberg": 0, "olpe": 1, "soest": 0},
    }
    for key, values in expected.items():
        got = _values(table, key)
        if key == "answer_days":
            got = {slug: round(value, 6) if value is not None else None for slug, value in got.items()}
        assert got == values, key
    assert table["projects_updated"]["arnsberg"].note == "1/3"
    assert "3,5" in response.text  # the median, formatted the German way
    joint = {
        key: {slug: cell.joint for slug, cell in table[key].items()}
        for key in ("projects_in_progress", "processes", "ideas_received", "ideas_answered")
    }
    assert joint == {
        "projects_in_progress": {"arnsberg": 0, "olpe": 0, "soest": 1},
        "processes": {"arnsberg": 0, "olpe": 1, "soest": 0},
        "ideas_received": {"arnsberg": 0, "olpe": 3, "soest": 0},
        "ideas_answered": {"arnsberg": 0, "olpe": 2, "soest": 0},
    }
    assert table["approved"]["arnsberg"].joint is None  # funding has no joint rows
    # The region's total is the sum over the towns.
    totals = {
        row["key"]: row["total"].value for section in response.context["sections"] for row in section["rows"]
    }
    assert totals["projects_in_progress"] == 2 and totals["ideas_received"] == 4
    assert totals["absorption"] == Decimal("2.1")  # 40.000 € of 1.950.000 €
    assert totals["answer_days"] is None
    cell = response.text.split('data-figure="projects_in_progress"')[1].split("</tr>")[0]
    assert "+1 gemeinsam" in cell


def test_trends_per_quarter(client, moderator, region):
    client.force_login(moderator)
    response = client.get("/agentur/")
    charts = {chart["id"]: chart for chart in response.context["charts"]}
    quarters = response.context["quarters"]
    assert len(quarters) == 8 and quarters[-1].start <= helpers.today() < quarters[-1].end
    previous = next(i for i, q in enumerate(quarters) if q.start <= helpers.today() - 100 * DAY < q.end)

    def column(chart, town_index):
        return [row["values"][town_index] for row in charts[chart]["rows"]]

    # Towns in name order: Arnsberg, Olpe, Soest.
    updates_a = ["0"] * 8
    updates_a[-1] = "1"
    updates_a[previous] = str(int(updates_a[previous]) + 1)
    assert column("updates", 0) == updates_a
    assert column("updates", 2)[-1] == "1"
    # Published ideas of the town's own processes: the one waiting for moderation and Olpe's share of the
    # joint process are not counted.
    assert column("ideas", 0)[-2:] == ["1", "2"] and column("ideas", 1)[-2:] == ["0", "0"]
    assert column("ideas", 2)[-1] == "1"
    assert column("called", 0)[-1] == "40.000,00 €"
    assert column("called", 2) == ["0,00 €"] * 8
    assert response.text.count('role="img"') == 3
    for chart in charts.values():
        assert '<title id="trend-' in chart["svg"] and '<desc id="trend-' in chart["svg"]


def test_every_figure_links_to_its_filtered_list(client, moderator, region):
    grant_a = region["grant_a"]
    client.force_login(moderator)
    table = _table(client.get("/agentur/"))
    assert table["projects_in_progress"]["arnsberg"].url == (
        "/arnsberg/verwaltung/projekte/?status=in_progress&lead=ja"
    )
    assert table["projects_in_progress"]["soest"].joint_url == (
        "/soest/verwaltung/projekte/?status=in_progress&lead=nein"
    )
    assert table["projects_updated"]["soest"].url == "/soest/verwaltung/#projects-heading"
    assert table["milestones_overdue"]["arnsberg"].url == (
        f"/arnsberg/verwaltung/foerderung/{grant_a.pk}/meilensteine/?state=overdue"
    )
    assert table["milestones_overdue"]["soest"].url == "/soest/verwaltung/foerderung/"  # two grants: the list
    assert table["called"]["arnsberg"].url == "/arnsberg/verwaltung/foerderung/#grant-totals"
    assert table["absorption"]["arnsberg"].url == "/arnsberg/verwaltung/foerderung/#grant-totals"
    assert (
        table["ideas_received"]["olpe"].url
        == "/olpe/verwaltung/beteiligung/ideen/?moderation=published&lead=ja"
    )
    assert table["ideas_received"]["olpe"].joint_url == (
        "/olpe/verwaltung/beteiligung/ideen/?moderation=published&lead=nein"
    )
    assert table["ideas_answered"]["olpe"].url == (
        "/olpe/verwaltung/beteiligung/ideen/?answered=yes&moderation=published&lead=ja"
    )
    assert table["moderation_open"]["arnsberg"].url == "/arnsberg/verwaltung/beteiligung/moderation/"
    assert table["open_feedback"]["olpe"].url == "/olpe/verwaltung/barrierefreiheit/?status=new"

    # The lists behind the links show the same numbers: the projects the town leads, and apart from them the
    # joint ones a partner town leads ("+N gemeinsam").
    for town in ("arnsberg", "soest"):
        cell = table["projects_in_progress"][town]
        assert client.get(cell.url).context["page_obj"].paginator.count == cell.value, town
        assert client.get(cell.joint_url).context["page_obj"].paginator.count == cell.joint, town
    milestones = client.get(table["milestones_overdue"]["arnsberg"].url)
    assert milestones.context["counts"]["overdue"] == 1
    assert [m.state for m in milestones.context["timeline"]] == ["overdue"]  # only the overdue one is listed
    # The idea lists show the ideas of the processes the town runs, and apart from them those of the joint
    # processes a partner town runs.
    for town in ("arnsberg", "olpe", "soest"):
        received = client.get(table["ideas_received"][town].url)
        answered = client.get(table["ideas_answered"][town].url)
        for key, page in (("ideas_received", received), ("ideas_answered", answered)):
            cell = table[key][town]
            assert page.context["page_obj"].paginator.count == cell.value, (town, key)
            joint = client.get(cell.joint_url).context["page_obj"].paginator.count
            assert joint == cell.joint, (town, key)
    # The absorption rate is on the page its link opens: the grant list's total row.
    grant_list = client.get(table["absorption"]["arnsberg"].url)
    assert grant_list.context["totals"].absorption == table["absorption"]["arnsberg"].value
    assert 'id="grant-totals"' in grant_list.text and "6,2 %" in grant_list.text
    queue = client.get(table["moderation_open"]["arnsberg"].url)
    assert len(queue.context["ideas"]) + len(queue.context["comments"]) == 2
    # Soest's overdue milestone is in its second grant, found from the grant list.
    grants = client.get(table["milestones_overdue"]["soest"].url)
    assert sum(grant.overdue_milestones for grant in grants.context["grants"]) == 1


def test_filters_apply_to_projects_and_ideas_and_carry_into_the_links(client, moderator, region, mobility):
    client.force_login(moderator)
    response = client.get(f"/agentur/?field={mobility.slug}&phase=B")
    table = _table(response)
    assert _values(table, "projects_in_progress") == {"arnsberg": 2, "olpe": 0, "soest": 0}
    assert table["projects_in_progress"]["soest"].joint == 1
    assert _values(table, "projects_planned") == {"arnsberg": 0, "olpe": 0, "soest": 0}
    assert _values(table, "ideas_received") == {"arnsberg": 1, "olpe": 0, "soest": 0}
    assert table["ideas_received"]["olpe"].joint == 1
    assert _values(table, "answer_days") == {"arnsberg": 2.0, "olpe": None, "soest": None}
    # Funding is not filtered.
    assert _values(table, "milestones_overdue") == {"arnsberg": 1, "olpe": 0, "soest": 1}
    assert _values(table, "moderation_open")["arnsberg"] == 2
    url = table["projects_in_progress"]["soest"].joint_url
    assert url == f"/soest/verwaltung/projekte/?status=in_progress&lead=nein&field={mobility.slug}&phase=B"
    assert client.get(url).context["page_obj"].paginator.count == 1

    phase_a = _table(client.get("/agentur/?phase=A"))
    assert _values(phase_a, "projects_planned") == {"arnsberg": 1, "olpe": 0, "soest": 0}
    assert _values(phase_a, "projects_in_progress") == {"arnsberg": 0, "olpe": 0, "soest": 0}


@pytest.mark.parametrize(
    "query",
    ["?field=gibt-es-nicht&phase=Z", "?field=&phase=", "?phase=%00", "?field[]=1", "?phase=A&phase=%FF"],
)
def test_bad_filter_values_are_ignored(client, moderator, region, query):
    client.force_login(moderator)
    response = client.get("/agentur/" + query)
    assert response.status_code == 200
    assert not response.context["filters"].active
    assert _values(_table(response), "projects_in_progress")["arnsberg"] == 2


def test_access_only_for_moderators(client, town_a, town_b, citizen, viewer_a, editor_a, admin_a, moderator):
    assert client.get("/agentur/")["Location"].startswith("/accounts/login/")
    for user in (citizen, viewer_a, editor_a, admin_a):
        client.force_login(user)
        assert client.get("/agentur/").status_code == 404
    assert not AuditEntry.objects.exists()
    client.force_login(moderator)
    assert client.get("/agentur/").status_code == 200


def test_one_audit_entry_per_request_for_the_active_towns(client, town_a, town_b, moderator):
    factories.MunicipalityFactory(name="Altstadt", slug="altstadt", is_active=False)
    client.force_login(moderator)
    client.get("/agentur/?phase=A")
    [entry] = AuditEntry.objects.all()
    assert (entry.user, entry.purpose) == (moderator, "agentur:towns-overview")
    assert entry.path == "/agentur/?phase=A"
    assert sorted(entry.municipality_slugs) == ["arnsberg", "soest"]
    response = client.get("/agentur/")
    assert "Altstadt" not in response.text
    assert AuditEntry.objects.count() == 2


def test_a_new_town_appears_without_code_changes(client, region, moderator):
    factories.MunicipalityFactory(name="Bad Sassendorf", slug="bad-sassendorf")
    client.force_login(moderator)
    table = _table(client.get("/agentur/"))
    assert table["projects_idea"]["bad-sassendorf"].value == 0
    assert table["projects_idea"]["bad-sassendorf"].url == (
        "/bad-sassendorf/verwaltung/projekte/?status=idea&lead=ja"
    )


def _more_rows(towns, mobility):
    """Many more rows of every kind in every town."""
    for town in towns:
        process = factories.process(municipality=town)
        grant = factories.grant(municipality=town, title="Weitere Zuwendung")
        factories.budget_line(grant=grant, year=helpers.today().year, amount="200000.00")
        for i in range(4):
            project = factories.project(municipality=town, status="in_progress", fields_of_action=[mobility])
            factories.progress_update(project=project, published_on=helpers.today() - i * 40 * DAY)
            idea = factories.idea(process=process)
            _answer(idea, town, days_after=i)
            factories.comment(idea=idea)
            _milestone(grant, helpers.today() + (i - 2) * 20 * DAY)
            _request(grant, "1000.00")


def test_query_count_does_not_grow_with_towns_or_rows(
    client, moderator, region, town_a, town_b, town_c, mobility, django_assert_max_num_queries
):
    client.force_login(moderator)
    client.get("/agentur/")  # warm up the session and the content types
    with CaptureQueriesContext(connection) as few:
        client.get(f"/agentur/?field={mobility.slug}")
    _more_rows([town_a, town_b, town_c], mobility)
    factories.MunicipalityFactory(name="Werl", slug="werl")
    # Session, user, TOTP, towns, fields of action, audit entry, the towns' figure versions, header: 11 with the
    # savepoints; after a write the changed towns' figures (one query) and the ids of ideas and of comments with
    # open reports (participation.selectors.moderation.waiting_for_moderation): 14. SQLite has no percentile function: one
    # more query for the median in Python.
    bound = 14 if connection.vendor == "postgresql" else 15
    with django_assert_max_num_queries(bound), CaptureQueriesContext(connection) as many:
        response = client.get(f"/agentur/?field={mobility.slug}")
    assert len(many) == len(few)
    # Nothing written since: the figures and the rendered table come from the cache.
    with django_assert_max_num_queries(11), CaptureQueriesContext(connection) as cached:
        again = client.get(f"/agentur/?field={mobility.slug}")
    assert _table_html(again) == _table_html(response)
    assert not any("participation_idea" in query["sql"] for query in cached)
    table = _table(response)
    assert _values(table, "projects_in_progress") == {"arnsberg": 6, "olpe": 4, "soest": 4, "werl": 0}
    assert _values(table, "ideas_received") == {"arnsberg": 1, "olpe": 0, "soest": 0, "werl": 0}
    assert _values(table, "ideas_answered") == {"arnsberg": 1, "olpe": 0, "soest": 0, "werl": 0}


def test_trend_chart_is_accessible_markup():
    quarters = dashboard.last_quarters(datetime.date(2026, 2, 10))
    assert [q.label for q in quarters] == [
        "Q2/2024",
        "Q3/2024",
        "Q4/2024",
        "Q1/2025",
        "Q2/2025",
        "Q3/2025",
        "Q4/2025",
        "Q1/2026",
    ]
    assert quarters[-1].end == datetime.date(2026, 4, 1) and quarters[2].end == datetime.date(2025, 1, 1)

    class Town:
        name, slug = "<Arnsberg>", "arnsberg"

    svg = trend_chart_svg(
        title="Ideen",
        summary="Ideen je Quartal.",
        quarters=quarters,
        series=[(Town, [0, 1, 2, 3, 4, 5, 6, 7])],
    )
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="sc5-trend" role="img"')
    assert "&lt;Arnsberg&gt;" in svg and "<Arnsberg>" not in svg
    assert "Q1/2026 7" in svg  # every value in the description
