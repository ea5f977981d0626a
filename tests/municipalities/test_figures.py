"""One definition per key figure (``municipalities.figures``), on the demo data: the Agentur dashboard, every
town's staff dashboard, the region report and the API show the same projects by status, processes, ideas and
funding figures; a joint project counts for its lead town only (partners show it as "+N gemeinsam"); and the
towns add up to the region's total.

The demo is loaded once for the module (inside a transaction rolled back at the end), as loading it takes
seconds; each test runs in its own savepoint."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import reverse

from municipalities import figures
from municipalities.demo.loader import load_demo
from municipalities.models import Municipality
from municipalities.scoping import cross_town_scope, scopes_disabled
from projects.models import Project, ProjectPartner
from reports.selectors import region_report_data

pytestmark = pytest.mark.django_db

STATUSES = Project.Status.values
COUNTS = [*(f"projects_{status}" for status in STATUSES), "processes", "ideas_received", "ideas_answered"]
AMOUNTS = ["approved", "called", "spent"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    import importlib

    with django_db_blocker.unblock(), transaction.atomic():
        importlib.import_module("projects.migrations.0002_seed_fields_of_action").seed(apps, None)
        towns = load_demo(with_accounts=False)[0]
        yield towns
        transaction.set_rollback(True)


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
            assert agentur_joint[slug][key] == shown[f"{key}_joint"] == api_towns[slug][f"{key}_joint"], (slug, key)
        assert agentur[slug]["absorption"] == shown.absorption == row.absorption
        assert api_towns[slug]["absorption"] == float(shown.absorption)
        # The region report: projects led by status, published ideas, funding.
        assert row.projects == shown.projects and row.projects_joint == shown.projects_joint, slug
        assert (row.ideas, row.answered, row.ideas_joint) == (
            shown["ideas_received"], shown["ideas_answered"], shown["ideas_received_joint"]), slug
        assert (row.federal_share, row.called, row.spent) == (shown["approved"], shown["called"],
                                                              shown["spent"]), slug
        # The town dashboard's table shows the same numbers, with "+N gemeinsam" beside them.
        table = dashboard.text.split('id="project-figures"')[1].split("</table>")[0]
        for status in STATUSES:
            cell = table.split(f'data-status="{status}"')[1].split("</tr>")[0]
            assert f">{shown[f'projects_{status}']}<" in cell or f">{shown[f'projects_{status}']}</" in cell
            joint = shown[f"projects_{status}_joint"]
            assert (f"+{joint} gemeinsam" in cell) == bool(joint), (slug, status)
        # The project lists behind the figures: the projects the town leads, and apart from them its joint ones.
        for status in ("in_progress", "completed"):
            for lead, expected in (("ja", shown[f"projects_{status}"]), ("nein", shown[f"projects_{status}_joint"])):
                listed = client.get(f"/{slug}/verwaltung/projekte/?status={status}&lead={lead}")
                assert listed.context["page_obj"].paginator.count == expected, (slug, status, lead)
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
        assert sum(agentur_total[f"projects_{status}"] for status in STATUSES) == Project.objects.filter(
            municipality__in=towns).count()
        # The demo has joint projects, so the old double counting would show here.
        partnerships = ProjectPartner.objects.filter(municipality__in=towns).count()
    assert partnerships > 0
    assert sum(sum(agentur_joint[town.slug][f"projects_{s}"] for s in STATUSES) for town in towns) == partnerships


def test_the_key_figures_of_all_towns_are_one_query(demo, django_assert_num_queries):
    towns = list(Municipality.objects.active())
    with cross_town_scope(purpose="test", municipalities=towns), django_assert_num_queries(1):
        result = figures.town_figures(towns=towns)
    assert set(result) == {town.pk for town in towns}
