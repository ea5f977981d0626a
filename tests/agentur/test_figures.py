"""One definition per key figure (``agentur.figures``), on the demo data: the Agentur dashboard, every
town's staff dashboard, the region report and the API show the same projects by status, processes, ideas and
funding figures; a joint project counts for its lead town only (partners show it as "+N gemeinsam"); and the
towns add up to the region's total.

The demo is loaded once per run (the session fixture ``demo`` in tests/conftest.py, inside a transaction rolled
back at the end), as loading it takes most of a minute; each test runs in its own savepoint."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from agentur import figures
from municipalities.models import Municipality
from municipalities.scoping import cross_town_scope, scopes_disabled, town_scope
from participation.selectors import ideas as ideas_selectors
from projects.models import Project, ProjectPartner
from reports.selectors import region_report_data, town_report_data
from reports.xlsx import town_report_xlsx

pytestmark = pytest.mark.django_db

STATUSES = Project.Status.values
COUNTS = [*(f"projects_{status}" for status in STATUSES), "processes", "ideas_received", "ideas_answered"]
AMOUNTS = ["approved", "called", "spent"]


def _api(value, key):
    """The API's JSON numbers: amounts as floats, read back to the cent."""
    return Decimal(str(value)).quantize(Decimal("0.01")) if key in AMOUNTS else value


def _agentur(client) -> tuple[dict, dict, dict]:
    """{town slug: {key: value}}, {town slug: {key: joint}} and {key: region total} of /agentur/."""
    response = client.get("/agentur/")
    assert response.status_code == 200
    rows = [row for section in response.context["sections"] for row in section["rows"]]
    values = {cell.town.slug: {} for cell in rows[0]["cells"]}
    joint = {slug: {} for slug in values}
    for row in rows:
        for cell in row["cells"]:
            values[cell.town.slug][row["key"]] = cell.value
            if cell.joint is not None:
                joint[cell.town.slug][row["key"]] = cell.joint
    return values, joint, {row["key"]: row["total"].value for row in rows}


def _town_report(municipality) -> tuple:
    """The town report's data and its XLSX overview ({label: (value, joint)}), in German, as the task builds
    them in the town's scope."""
    with town_scope(municipality), translation.override("de"):
        data = town_report_data(municipality=municipality)
        sheet = load_workbook(BytesIO(town_report_xlsx(data, progress=lambda _p: None)))["Übersicht"]
    overview = {
        sheet.cell(row=r, column=1).value: (
            sheet.cell(row=r, column=2).value,
            sheet.cell(row=r, column=3).value,
        )
        for r in range(1, sheet.max_row + 1)
    }
    return data, overview, sheet


def _staff_ideas(client, slug, query) -> int:
    """How many ideas the town's staff idea list shows for ``query``."""
    response = client.get(f"/{slug}/verwaltung/beteiligung/ideen/?{query}")
    assert response.status_code == 200
    return response.context["page_obj"].paginator.count


def test_the_figures_agree_everywhere_and_add_up_to_the_region(client, demo, moderator):
    client.force_login(moderator)
    towns = list(Municipality.objects.active().order_by("name"))
    assert len(towns) == 5
    agentur, agentur_joint, agentur_total = _agentur(client)
    api = client.get(reverse("api:agentur-towns")).json()
    api_towns = {item["town"]: item["figures"] for item in api["towns"]}
    with cross_town_scope(purpose="test", municipalities=towns):
        report = region_report_data(towns=towns)
    report_rows = {row.municipality.slug: row for row in report["rows"]}

    for town in towns:
        slug = town.slug
        dashboard = client.get(f"/{slug}/verwaltung/")
        assert dashboard.status_code == 200
        shown = dashboard.context["figures"]
        row = report_rows[slug]
        for key in COUNTS + AMOUNTS:
            assert agentur[slug][key] == shown[key] == _api(api_towns[slug][key], key), (slug, key)
        for key in COUNTS:
            assert agentur_joint[slug][key] == shown[f"{key}_joint"] == api_towns[slug][f"{key}_joint"], (
                slug,
                key,
            )
        assert agentur[slug]["absorption"] == shown.absorption == row.absorption
        assert api_towns[slug]["absorption"] == float(shown.absorption)
        # The region report: projects led by status, published ideas, funding.
        assert row.projects == shown.projects and row.projects_joint == shown.projects_joint, slug
        assert (row.ideas, row.answered, row.ideas_joint) == (
            shown["ideas_received"],
            shown["ideas_answered"],
            shown["ideas_received_joint"],
        ), slug
        assert (row.federal_share, row.called, row.spent) == (
            shown["approved"],
            shown["called"],
            shown["spent"],
        ), slug
        # The town dashboard's table shows the same numbers, with "+N gemeinsam" beside them.
        table = dashboard.text.split('id="project-figures"')[1].split("</table>")[0]
        for status in STATUSES:
            cell = table.split(f'data-status="{status}"')[1].split("</tr>")[0]
            assert f">{shown[f'projects_{status}']}<" in cell or f">{shown[f'projects_{status}']}</" in cell
            joint = shown[f"projects_{status}_joint"]
            assert (f"+{joint} gemeinsam" in cell) == bool(joint), (slug, status)
        # The project lists behind the figures: the projects the town leads, and apart from them its joint ones.
        for status in ("in_progress", "completed"):
            for lead, expected in (
                ("ja", shown[f"projects_{status}"]),
                ("nein", shown[f"projects_{status}_joint"]),
            ):
                listed = client.get(f"/{slug}/verwaltung/projekte/?status={status}&lead={lead}")
                assert listed.context["page_obj"].paginator.count == expected, (slug, status, lead)
        # The town report (PDF and XLSX from the same data): the same figures, "+N gemeinsam" beside them.
        data, overview, _sheet = _town_report(town)
        for key in COUNTS:
            assert data.figures[key] == shown[key], (slug, key)
            assert data.figures[f"{key}_joint"] == shown[f"{key}_joint"], (slug, key)
        assert data.projects_by_status == [
            (s, shown[f"projects_{s}"], shown[f"projects_{s}_joint"]) for s in STATUSES
        ], slug
        assert overview["Projekte unter Federführung der Kommune"] == (
            shown.project_total,
            shown.project_total_joint,
        ), slug
        for status in STATUSES:
            assert overview[str(Project.Status(status).label)] == (
                shown[f"projects_{status}"],
                shown[f"projects_{status}_joint"],
            ), (slug, status)
        assert overview["Veröffentlichte Verfahren"] == (shown["processes"], shown["processes_joint"]), slug
        assert overview["Veröffentlichte Ideen"] == (
            shown["ideas_received"],
            shown["ideas_received_joint"],
        ), slug
        assert overview["Mit offizieller Antwort"] == (
            shown["ideas_answered"],
            shown["ideas_answered_joint"],
        ), slug
        # The idea lists behind the figures: the ideas of the processes the town runs, and apart from them those
        # of the joint processes a partner town runs; the dashboard links to both.
        for lead, suffix in (("ja", ""), ("nein", "_joint")):
            assert (
                _staff_ideas(client, slug, f"moderation=published&lead={lead}")
                == shown[f"ideas_received{suffix}"]
            ), (slug, lead)
            assert (
                _staff_ideas(client, slug, f"answered=yes&moderation=published&lead={lead}")
                == shown[f"ideas_answered{suffix}"]
            ), (slug, lead)
        assert f"/{slug}/verwaltung/beteiligung/ideen/?moderation=published&amp;lead=ja" in dashboard.text
        assert (
            f"/{slug}/verwaltung/beteiligung/ideen/?moderation=published&amp;lead=nein" in dashboard.text
        ) == bool(shown["ideas_received_joint"]), slug
        # The absorption rate's link opens the grant list, whose total row shows the same rate.
        grant_list = client.get(f"/{slug}/verwaltung/foerderung/")
        assert grant_list.context["totals"].absorption == shown.absorption, slug
        assert grant_list.context["totals"].called == shown["called"], slug

    # Summed over the towns, every figure is the region's total: nothing is counted twice.
    for key in COUNTS + AMOUNTS:
        total = sum((agentur[town.slug][key] for town in towns), Decimal("0.00") if key in AMOUNTS else 0)
        assert total == agentur_total[key] == _api(api["region"][key], key), key
    for status in STATUSES:
        assert report["totals"].projects[status] == agentur_total[f"projects_{status}"], status
    assert report["totals"].ideas == agentur_total["ideas_received"]
    assert report["totals"].federal_share == agentur_total["approved"]
    assert report["totals"].absorption == agentur_total["absorption"]
    with scopes_disabled():
        assert (
            sum(agentur_total[f"projects_{status}"] for status in STATUSES)
            == Project.objects.filter(municipality__in=towns).count()
        )
        # The demo has joint projects, so the old double counting would show here.
        partnerships = ProjectPartner.objects.filter(municipality__in=towns).count()
    assert partnerships > 0
    assert (
        sum(sum(agentur_joint[town.slug][f"projects_{s}"] for s in STATUSES) for town in towns)
        == partnerships
    )


def test_the_key_figures_of_all_towns_are_one_query(demo, django_assert_num_queries):
    """One query counts every town; with the towns' versions (municipalities.freshness) read first, two. Read
    again with no write in between, the versions are the only query: the rows come from the cache."""
    towns = list(Municipality.objects.active())
    with cross_town_scope(purpose="test", municipalities=towns):
        with django_assert_num_queries(2):
            result = figures.town_figures(towns=towns)
        with django_assert_num_queries(1):
            again = figures.town_figures(towns=towns)
    assert set(result) == {town.pk for town in towns}
    assert {pk: item.values for pk, item in again.items()} == {pk: item.values for pk, item in result.items()}


def test_the_town_report_shows_joint_figures_beside_the_own_ones(demo):
    """A partner town's report: its own figures with "+N gemeinsam" beside them, never their sum."""
    towns = list(Municipality.objects.active().order_by("name"))
    with cross_town_scope(purpose="test", municipalities=towns):
        by_pk = figures.town_figures(towns=towns)
    partner = next(
        town
        for town in towns
        if by_pk[town.pk]["ideas_received_joint"] and by_pk[town.pk].project_total_joint
    )
    shown = by_pk[partner.pk]
    data, overview, sheet = _town_report(partner)
    assert overview["Veröffentlichte Ideen"] == (shown["ideas_received"], shown["ideas_received_joint"])
    joint = next(
        sheet.cell(row=r, column=3)
        for r in range(1, sheet.max_row + 1)
        if sheet.cell(row=r, column=1).value == "Veröffentlichte Ideen"
    )
    assert (joint.data_type, joint.number_format) == ("n", '"+"#,##0" gemeinsam"')
    from django.template.loader import render_to_string

    with translation.override("de"):
        html = render_to_string("reports/pdf/town.html", {"data": data, "municipality": partner, "kpis": []})
    cover = html.split('class="cover"')[1].split("</section>")[0]
    for key, value, joint in (
        ("projects", shown.project_total, shown.project_total_joint),
        ("ideas_received", shown["ideas_received"], shown["ideas_received_joint"]),
    ):
        fact = cover.split(f'data-figure="{key}"')[1].split("</div>")[0]
        assert f">{value} <span" in fact and f"+{joint} gemeinsam" in fact, (key, fact)
    assert "Projekte (federführend oder gemeinsam)" not in html


def test_the_staff_idea_list_filters_own_and_joint_processes_from_an_index(client, demo, moderator):
    """``lead=ja|nein`` on the staff idea list (staff only: the public list and a process's list have no such
    filter); the condition is the idea's town (its process's town), which an index answers."""
    towns = list(Municipality.objects.active().order_by("name"))
    with cross_town_scope(purpose="test", municipalities=towns):
        by_pk = figures.town_figures(towns=towns)
    partner = next(town for town in towns if by_pk[town.pk]["ideas_received_joint"])
    client.force_login(moderator)
    everything = _staff_ideas(client, partner.slug, "moderation=published")
    own = _staff_ideas(client, partner.slug, "moderation=published&lead=ja")
    joint = _staff_ideas(client, partner.slug, "moderation=published&lead=nein")
    assert (own, joint) == (by_pk[partner.pk]["ideas_received"], by_pk[partner.pk]["ideas_received_joint"])
    assert own + joint == everything and joint > 0
    page = client.get(f"/{partner.slug}/verwaltung/beteiligung/ideen/?lead=nein")
    assert 'name="lead"' in page.text and f"In Verfahren von {partner.name}" in page.text
    assert 'value="nein" selected' in page.text
    # A bad value is ignored like every other filter's, never a 500.
    assert client.get(f"/{partner.slug}/verwaltung/beteiligung/ideen/?lead=vielleicht").status_code == 200
    public = client.get(reverse("participation:ideas", kwargs={"town_slug": partner.slug}) + "?lead=ja")
    assert public.status_code == 200 and 'name="lead"' not in public.text

    # The figure's count finds the ideas by their town in an index; the page is read from an index too (in the
    # list's order, see test_every_sort_of_the_idea_lists_can_be_read_from_an_index), never by a sequential scan.
    # The plans are PostgreSQL's (the embedded SQLite of a first run has no such EXPLAIN); CI runs on PostgreSQL.
    if connection.vendor != "postgresql":
        return
    with town_scope(partner):
        qs = ideas_selectors.staff_idea_list(
            filters=ideas_selectors.IdeaFilters(lead=True, lead_town=partner.pk),
            moderation="published",
        )
        count_sql, count_params = qs.order_by().values("pk").query.sql_with_params()
        page_sql, page_params = qs[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE participation_idea")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({count_sql}) counted", count_params)
        count_plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + page_sql, page_params)
        page_plan = "\n".join(row[0] for row in cursor.fetchall())
    # By the idea's town or by the scope's processes (participation.selectors.ideas.staff_idea_list), from an index.
    assert (
        f"Index Cond: (municipality_id = {partner.pk})" in count_plan
        or "Index Cond: (process_id = ANY" in count_plan
    ), count_plan
    assert "Seq Scan on participation_idea " not in count_plan + " ", count_plan
    assert "Seq Scan on participation_idea " not in page_plan + " ", page_plan
