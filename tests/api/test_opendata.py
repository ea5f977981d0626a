"""Open data downloads: public rows only, no personal data, joint rows per town and once for the region, CSV that
spreadsheets read safely, JSON with its licence, conditional GET, the DCAT-AP.de catalogue and the page."""

import csv
import datetime
import io
import json
import threading
import time
from contextlib import contextmanager

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from api.models import OpenDataChange, OpenDataFile
from api.opendata import datasets as opendata_datasets
from api.opendata import files as opendata_files
from municipalities.scoping import town_scope
from participation.services import answers as answers_services
from participation.services import moderation as moderation_services
from participation.services import processes as processes_services
from participation.services import supports as supports_services
from projects import services as project_services
from tests import factories, helpers

pytestmark = pytest.mark.django_db

DATASETS = ("projects", "indicators", "ideas", "surveys")


@pytest.fixture(autouse=True)
def _site_host(settings):
    # The files are built without a request: their addresses name SITE_HOST.
    settings.SITE_HOST = "testserver"


@contextmanager
def connection_holding_lock(dataset: str):
    """The dataset's build lock held by another thread (its own database connection), as a running build holds
    it. Needs committed data: use in a transactional test."""
    taken, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                opendata_files._ensure_lock_row(dataset)
                assert opendata_files._lock(dataset) is not None
                taken.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(timeout=10)
    try:
        yield
    finally:
        release.set()
        thread.join(timeout=10)


def _url(dataset, file_format, municipality=None):
    if municipality is None:
        return reverse(f"api:opendata-{file_format}", kwargs={"dataset": dataset})
    return reverse(
        f"api:town-opendata-{file_format}", kwargs={"dataset": dataset, "town_slug": municipality.slug}
    )


def _text(response) -> str:
    """A download's body (the files are streamed) or any other answer's."""
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def _json(response) -> dict:
    return json.loads(_text(response))


def _csv(response) -> list[dict]:
    text = _text(response)
    assert not text.startswith("\ufeff")  # a plain UTF-8 reader sees "slug", not "\ufeffslug"
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
@transaction.atomic
def content(town_a, town_b, town_c):
    """A: a public, an internal and a joint project (with B) with a KPI, a process with a published, a hidden
    and an answered idea, an unpublished process with an idea; B its own public project; C nothing shared.
    Written in one transaction: in the transactional test each commit would build the open data at once (eager),
    one build per write; together they are built once, from the same rows."""
    editor = factories.staff_member(municipality=town_a, role=Role.EDITOR, email="od-editor-a@example.org")
    author = factories.UserFactory(email="author-secret@example.org", display_name="Erika Musterfrau")
    rows = {
        "public": factories.project(
            municipality=town_a,
            title="Offenes Projekt",
            status="in_progress",
            planned_start=datetime.date(2025, 1, 1),
            planned_end=datetime.date(2026, 6, 30),
        ),
        "internal": factories.project(municipality=town_a, title="Internes Projekt", visibility="internal"),
        "joint": factories.project(municipality=town_a, title="Gemeinsames Projekt", partners=[town_b]),
        "own_b": factories.project(municipality=town_b, title="Projekt in Soest"),
        "own_c": factories.project(municipality=town_c, title="Projekt in Olpe"),
    }
    factories.progress_update(project=rows["public"], progress_percent=40)
    with town_scope(town_a):
        kpi = project_services.indicator_create(
            project=rows["joint"],
            by=None,
            acting_town=town_a,
            fields={"name": "Sensoren", "unit": "Stück", "baseline": 0, "target": 100},
        )
        for day, value in ((datetime.date(2025, 1, 1), 10), (datetime.date(2025, 7, 1), "12.5")):
            project_services.measurement_record(
                indicator=kpi, by=None, acting_town=town_a, measured_on=day, value=value
            )
        internal_kpi = project_services.indicator_create(
            project=rows["internal"], by=None, acting_town=town_a, fields={"name": "Geheime Kennzahl"}
        )
    process = factories.process(municipality=town_a, title="Ideen für Arnsberg")
    rows.update(process=process, kpi=kpi, internal_kpi=internal_kpi, author=author, editor=editor)
    rows["idea"] = factories.idea(
        process=process,
        author=author,
        title="Sichtbare Idee",
        location_label="Marktplatz",
        latitude="51.396000",
        longitude="8.064000",
    )
    rows["hidden"] = factories.idea(process=process, title="Versteckte Idee")
    rows["answered"] = factories.idea(process=process, title="Beantwortete Idee")
    with town_scope(town_a):
        moderation_services.moderation_hide(
            target=rows["hidden"], by=editor, acting_town=town_a, reason="Beleidigung"
        )
        answers_services.idea_answer(
            idea=rows["answered"], by=editor, acting_town=town_a, body="Wir prüfen das.", to="under_review"
        )
    # Ideas came in while the process was published; then it was taken back.
    withdrawn = factories.process(municipality=town_a, title="Entwurf")
    rows["unpublished_idea"] = factories.idea(process=withdrawn, title="Idee im Entwurf")
    with town_scope(town_a):
        processes_services.process_change(
            process=withdrawn, by=editor, acting_town=town_a, fields={"is_published": False}
        )
    return rows


def test_town_projects_are_public_ones_with_joint_projects(client, town_a, town_b, content):
    slugs = {item["slug"] for item in _json(client.get(_url("projects", "json", town_a)))["items"]}
    assert slugs == {content["public"].slug, content["joint"].slug}
    slugs_b = {item["slug"] for item in _json(client.get(_url("projects", "json", town_b)))["items"]}
    assert slugs_b == {content["joint"].slug, content["own_b"].slug}


def test_region_has_every_public_project_once(client, content):
    items = _json(client.get(_url("projects", "json")))["items"]
    slugs = [item["slug"] for item in items]
    assert sorted(slugs) == sorted({content[k].slug for k in ("public", "joint", "own_b", "own_c")})
    joint = next(item for item in items if item["slug"] == content["joint"].slug)
    assert joint["lead_town"] == "arnsberg" and joint["partner_towns"] == ["soest"]
    assert joint["url"].endswith(f"/arnsberg/projekte/{content['joint'].slug}/")
    rows = _csv(client.get(_url("projects", "csv")))
    assert sorted(row["slug"] for row in rows) == sorted(slugs)


def test_project_fields(client, town_a, town_b, content):
    items = {item["slug"]: item for item in _json(client.get(_url("projects", "json", town_a)))["items"]}
    public = items[content["public"].slug]
    assert public["status"] == "in_progress" and public["progress_percent"] == 40
    assert public["planned_start"] == "2025-01-01" and public["planned_end"] == "2026-06-30"
    assert public["url"].startswith("http://testserver/arnsberg/projekte/")
    # A joint project's page in a partner town's dataset is the partner town's address.
    joint_b = next(
        item
        for item in _json(client.get(_url("projects", "json", town_b)))["items"]
        if item["slug"] == content["joint"].slug
    )
    assert joint_b["url"].endswith(f"/soest/projekte/{content['joint'].slug}/")


def test_indicators_of_public_projects_one_csv_row_per_measurement(client, town_a, town_b, content):
    body = _json(client.get(_url("indicators", "json", town_b)))
    assert [item["name"] for item in body["items"]] == ["Sensoren"]
    assert body["items"][0]["measurements"] == [
        {"measured_on": "2025-01-01", "value": 10},
        {"measured_on": "2025-07-01", "value": 12.5},
    ]
    assert body["items"][0]["baseline"] == 0 and body["items"][0]["target"] == 100
    rows = _csv(client.get(_url("indicators", "csv", town_a)))
    assert [(row["name"], row["measured_on"], row["value"]) for row in rows] == [
        ("Sensoren", "2025-01-01", "10"),
        ("Sensoren", "2025-07-01", "12.5"),
    ]
    assert rows[0]["project"] == content["joint"].slug
    region = _csv(client.get(_url("indicators", "csv")))
    assert len(region) == 2
    assert "Geheime Kennzahl" not in _text(client.get(_url("indicators", "csv")))


def test_ideas_are_only_published_ones_without_personal_data(client, town_a, content):
    for town in (town_a, None):
        for file_format in ("csv", "json"):
            response = client.get(_url("ideas", file_format, town))
            text = _text(response)
            assert "Sichtbare Idee" in text and "Beantwortete Idee" in text
            assert "Versteckte Idee" not in text and "Idee im Entwurf" not in text
            assert "@" not in text.replace(f"{town_a.slug}-ideen", "")  # no e-mail address anywhere
            assert "Erika" not in text and "Musterfrau" not in text
    items = {item["title"]: item for item in _json(client.get(_url("ideas", "json", town_a)))["items"]}
    assert set(items["Sichtbare Idee"]) >= {"id", "process", "status", "support_count", "comment_count"}
    assert not {"author", "author_name", "email", "body"} & set(items["Sichtbare Idee"])
    assert (
        items["Sichtbare Idee"]["latitude"] == 51.396
        and items["Sichtbare Idee"]["location_label"] == "Marktplatz"
    )
    assert items["Beantwortete Idee"]["official_answer"] == "Wir prüfen das."
    assert items["Beantwortete Idee"]["status"] == "under_review"
    assert items["Sichtbare Idee"]["official_answer"] is None


def test_json_structure_and_licence(client, town_a, content):
    body = _json(client.get(_url("projects", "json", town_a)))
    assert set(body) == {"licence", "generated_at", "dataset", "town", "count", "items"}
    assert body["dataset"] == "projects" and body["town"]["slug"] == "arnsberg" and body["count"] == 2
    assert body["licence"]["id"] == "dl-de/by-2-0"
    assert body["licence"]["url"] == "https://www.govdata.de/dl-de/by-2-0"
    assert "Stadt Arnsberg" in body["licence"]["attribution"]
    region = _json(client.get(_url("projects", "json")))
    assert region["town"] is None and "5 für Südwestfalen" in region["licence"]["attribution"]


def test_csv_headers_and_file_name(client, town_a, content):
    response = client.get(_url("projects", "csv", town_a))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = helpers.today().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="arnsberg-projekte-{today}.csv"'
    assert 'rel="license"' in response["Link"]
    assert (
        '<http://testserver/api/v1/towns/arnsberg/opendata/projects.datapackage.json>; rel="describedby"'
        in (response["Link"])
    )
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"slug,title,")  # no byte order mark
    header = next(csv.reader(io.StringIO(raw.decode("utf-8"))))
    assert header[:4] == ["slug", "title", "summary", "status"] and "url" in header
    # A client that asks for CSV in Accept gets it (the address names the format), not a 406.
    assert client.get(_url("ideas", "csv", town_a), HTTP_ACCEPT="text/csv").status_code == 200


def test_csv_cells_never_become_formulas(client, town_a, content):
    formula = factories.project(
        municipality=town_a, title='=HYPERLINK("http://evil.example","klick")', summary="+1"
    )
    factories.idea(process=content["process"], title="@SUM(A1:A9)", location_label="-2+3")
    rows = {row["slug"]: row for row in _csv(client.get(_url("projects", "csv", town_a)))}
    assert rows[formula.slug]["title"] == '\'=HYPERLINK("http://evil.example","klick")'
    assert rows[formula.slug]["summary"] == "'+1"
    idea = next(row for row in _csv(client.get(_url("ideas", "csv", town_a))) if "SUM" in row["title"])
    assert idea["title"] == "'@SUM(A1:A9)" and idea["location_label"] == "'-2+3"
    # Numbers stay numbers.
    assert idea["latitude"] == "" and idea["support_count"] == "0"


def test_unknown_dataset_or_format_is_a_json_404(client, town_a):
    factories.MunicipalityFactory(name="Alt", slug="alt", is_active=False)
    for address in (
        "/api/v1/opendata/budgets.json",
        "/api/v1/opendata/projects.xml",
        "/api/v1/towns/arnsberg/opendata/budgets.csv",
        "/api/v1/towns/nirgendwo/opendata/projects.csv",
        "/api/v1/towns/alt/opendata/projects.json",
    ):
        response = client.get(address)
        assert response.status_code == 404, address
        assert response["Content-Type"] == "application/json", address
        assert "detail" in response.json(), address


def test_caching_headers_and_conditional_get(client, town_a, content):
    for file_format in ("csv", "json"):
        url = _url("projects", file_format, town_a)
        first = client.get(url)
        assert first["Cache-Control"] == "public, max-age=300"
        assert first["ETag"].startswith('W/"') and first["Last-Modified"]
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again.content == b""
        assert again["ETag"] == first["ETag"] and again["Cache-Control"] == "public, max-age=300"
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
        assert client.get(url, HTTP_IF_NONE_MATCH='W/"something-else"').status_code == 200
    # The CSV and the JSON of the same rows have different ETags.
    assert (
        client.get(_url("projects", "csv", town_a))["ETag"]
        != client.get(_url("projects", "json", town_a))["ETag"]
    )


def test_one_transaction_marks_a_dataset_and_hands_its_build_over_once(
    town_a, content, django_capture_on_commit_callbacks
):
    """Many changes in one transaction (loading the demo): one mark and one build per dataset, which runs after the
    commit and covers them all; a change whose savepoint was rolled back took its mark and hand-over with it."""
    from outbox.models import OutboxTask

    def counts():
        builds = OutboxTask.objects.filter(task="api.tasks.opendata_build")
        return (
            OpenDataChange.objects.filter(dataset="projects").count(),
            builds.filter(kwargs={"dataset": "projects"}).count(),
            builds.filter(kwargs={"dataset": "indicators"}).count(),
        )

    OpenDataChange.objects.all().delete()
    OutboxTask.objects.all().delete()

    def change(summary):
        project_services.project_change(
            project=content["public"], by=None, acting_town=town_a, fields={"summary": summary}
        )

    with (
        town_scope(town_a),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        transaction.atomic(),
    ):
        with transaction.atomic():
            change("Zuerst.")
            assert counts() == (1, 1, 1)
            transaction.set_rollback(True)
        assert counts() == (0, 0, 0)  # rolled back with its savepoint: the next change marks again
        change("Dann.")
        change("Zuletzt.")
        assert counts() == (1, 1, 1)
    assert len([hook for hook in callbacks if getattr(hook, "call", None)]) == 2
    # Each transaction of its own marks and hands over again.
    with town_scope(town_a), django_capture_on_commit_callbacks(execute=False):
        change("Noch einmal.")
    assert counts() == (2, 2, 2)


def test_an_edit_changes_last_modified_and_etag(client, town_a, content, django_capture_on_commit_callbacks):
    url = _url("projects", "csv", town_a)
    first = client.get(url)
    time.sleep(1.1)  # Last-Modified has a resolution of one second
    # The change commits; the rebuild it hands over runs then (eagerly here, by the worker in production).
    with town_scope(town_a), django_capture_on_commit_callbacks(execute=True):
        project_services.project_change(
            project=content["public"], by=None, acting_town=town_a, fields={"summary": "Neu beschrieben."}
        )
    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert second["ETag"] != first["ETag"] and second["Last-Modified"] != first["Last-Modified"]
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 200
    assert "Neu beschrieben." in _text(second)


def test_etag_follows_rows_that_leave_or_counts_that_change(
    client, town_a, content, citizen, django_capture_on_commit_callbacks
):
    url = _url("projects", "json", town_a)
    first = client.get(url)["ETag"]
    with town_scope(town_a), django_capture_on_commit_callbacks(execute=True):
        project_services.project_change(
            project=content["public"], by=None, acting_town=town_a, fields={"visibility": "internal"}
        )
    assert client.get(url)["ETag"] != first
    ideas = _url("ideas", "json", town_a)
    before = client.get(ideas)["ETag"]
    with town_scope(town_a), django_capture_on_commit_callbacks(execute=True):
        supports_services.support_add(idea=content["idea"], user=citizen)
    after = client.get(ideas)
    assert after["ETag"] != before
    assert next(i for i in _json(after)["items"] if i["id"] == content["idea"].pk)["support_count"] == 1
    with town_scope(town_a), django_capture_on_commit_callbacks(execute=True):
        supports_services.support_withdraw(idea=content["idea"], user=citizen)
    assert client.get(ideas)["ETag"] not in (after["ETag"],)


def test_a_hidden_idea_leaves_the_files_after_the_rebuild_its_change_triggers(
    client, town_a, content, editor_a, django_capture_on_commit_callbacks
):
    urls = [_url("ideas", file_format, town) for town in (town_a, None) for file_format in ("csv", "json")]
    urls.append(reverse("api:opendata-catalog"))
    before = {url: client.get(url) for url in urls}
    assert all("Sichtbare Idee" in _text(response) for url, response in before.items() if "ideas" in url)
    time.sleep(1.1)
    with town_scope(town_a), django_capture_on_commit_callbacks(execute=True) as callbacks:
        moderation_services.moderation_hide(
            target=content["idea"], by=editor_a, acting_town=town_a, reason="Beleidigung"
        )
        assert OpenDataChange.objects.filter(dataset="ideas").exists()  # marked in the same transaction
    assert callbacks, "no build was handed over after commit"
    assert not OpenDataChange.objects.filter(dataset="ideas").exists()  # the rebuild covered it
    for url, first in before.items():
        after = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert after.status_code == 200, url
        text = _text(after)
        if "ideas" in url:  # the catalogue only dates the files
            assert "Sichtbare Idee" not in text and "Beantwortete Idee" in text, url
        assert after["ETag"] != first["ETag"] and after["Last-Modified"] != first["Last-Modified"], url


def test_a_file_is_built_once_and_then_sent_as_it_is(
    client, town_a, town_b, content, django_assert_num_queries, django_assert_max_num_queries
):
    for number in range(12):
        project = factories.project(municipality=town_a, title=f"Viele {number}", partners=[town_b])
        with town_scope(town_a):
            kpi = project_services.indicator_create(
                project=project, by=None, acting_town=town_a, fields={"name": f"KPI {number}"}
            )
            project_services.measurement_record(
                indicator=kpi,
                by=None,
                acting_town=town_a,
                measured_on=datetime.date(2025, 1, 1),
                value=number,
            )
        factories.idea(process=content["process"], title=f"Idee {number}")
        factories.process_with_survey(town_a)
    # Building reads the rows in chunks with their related rows: a bounded number of queries however many rows.
    for town in (town_a, None):
        for dataset in opendata_datasets.DATASETS.values():
            for file_format in ("csv", "json"):
                with django_assert_max_num_queries(17):  # surveys: their figures in 6 queries per chunk
                    opendata_files.build_file(dataset, town, file_format)
    # A dataset's build reads the rows' freshness once per scope for both files (``build_files``).
    with CaptureQueriesContext(connection) as one_by_one:
        for file_format in ("csv", "json"):
            opendata_files.build_file(opendata_datasets.DATASETS["ideas"], town_a, file_format)
    with CaptureQueriesContext(connection) as together:
        opendata_files.build_files(opendata_datasets.DATASETS["ideas"], town_a)

    def freshness_reads(queries):  # ideas_freshness: the ideas, answers, supports and comments, 4 queries
        return [
            q for q in queries.captured_queries if 'MAX("participation_support"."created_at")' in q["sql"]
        ]

    assert (len(freshness_reads(one_by_one)), len(freshness_reads(together))) == (2, 1)
    assert len(together.captured_queries) == len(one_by_one.captured_queries) - 4
    # Sending one reads its row only (and the town for a town's address), inside the request's savepoint here.
    for town in (town_a, None):
        for dataset in DATASETS:
            for file_format in ("csv", "json"):
                with django_assert_num_queries(4 if town else 3):
                    response = client.get(_url(dataset, file_format, town))
                assert response.status_code == 200 and response.streaming
                assert {
                    "projects": "Viele 11",
                    "indicators": "KPI 11",
                    "ideas": "Idee 11",
                    "surveys": "Was fehlt?",
                }[dataset] in _text(response)


def test_files_are_stored_under_stable_names_and_replaced_whole(town_a, content):
    dataset = opendata_datasets.DATASETS["ideas"]
    first = opendata_files.build_file(dataset, town_a, "csv")
    assert first.file.name == "opendata/arnsberg/ideen.csv"
    with first.file.open("rb") as handle:
        old = handle.read()
        factories.idea(process=content["process"], title="Noch eine Idee")
        second = opendata_files.build_file(dataset, town_a, "csv")
        assert handle.read() == b""  # whoever was reading the old file is not disturbed
    assert second.pk == first.pk and second.file.name == first.file.name
    with second.file.open("rb") as handle:
        new = handle.read()
    assert b"Noch eine Idee" in new and b"Noch eine Idee" not in old
    assert second.size == len(new)
    directory = default_storage.listdir("opendata/arnsberg")[1]
    assert directory == ["ideen.csv"]  # no temporary file left behind


@pytest.mark.django_db(transaction=True)
def test_a_file_never_built_is_built_by_the_first_request_or_asked_to_wait(client, town_a, content):
    if connection.vendor != "postgresql":
        pytest.skip(
            "a lock held by a second connection is a row lock on PostgreSQL; SQLite locks the whole table"
        )
    url = _url("projects", "csv", town_a)
    OpenDataFile.objects.all().delete()  # as on a fresh install (the fixture's changes were built after commit)
    # Another build holds the dataset's lock (a second connection, as the worker would).
    with connection_holding_lock("projects"):
        waiting = client.get(url)
    assert waiting.status_code == 503 and waiting["Retry-After"] == "10"
    assert waiting["Content-Type"] == "application/json" and "detail" in waiting.json()
    assert not OpenDataFile.objects.exists()
    built = client.get(url)
    assert built.status_code == 200 and content["public"].title in _text(built)
    assert OpenDataFile.objects.filter(dataset="projects", file_format="csv").count() == 1


def test_a_file_lost_by_the_storage_is_built_again(client, town_a, content):
    url = _url("projects", "json", town_a)
    assert client.get(url).status_code == 200
    stored = OpenDataFile.objects.get(dataset="projects", file_format="json", scope=f"town:{town_a.pk}")
    default_storage.delete(stored.file.name)
    response = client.get(url)
    assert response.status_code == 200 and _json(response)["count"] == 2


def test_addresses_in_the_files_are_on_the_portals_host(client, settings, town_a, content):
    settings.SITE_HOST = "portal.example"
    items = _json(client.get(_url("projects", "json", town_a), HTTP_HOST="testserver"))["items"]
    assert all(item["url"].startswith("http://portal.example/arnsberg/projekte/") for item in items)


def test_the_command_builds_every_file(town_a, town_b, town_c, content):
    call_command("opendata_build")
    # The region and three towns × three datasets × CSV and JSON, and the catalogue as JSON-LD and RDF/XML.
    assert OpenDataFile.objects.count() == 4 * 4 * 2 + 2
    for stored in OpenDataFile.objects.all():
        assert default_storage.exists(stored.file.name) and stored.size > 0
        # Weak for the downloads (the JSON's generated_at differs between builds of the same rows), strong for the
        # catalogue (a hash of its bytes).
        assert stored.etag.startswith('W/"') == (stored.dataset != "catalog")


def test_catalogue_describes_every_download_and_its_urls_work(
    client, town_a, town_b, content, django_assert_max_num_queries
):
    town_a.ags, town_a.ars = "05958004", "059580004004"
    town_a.website = "https://www.arnsberg.de"
    town_a.save()
    call_command("opendata_build")
    # Built once, then sent as a file. The datasets are dated by their built files: the rows' freshness is read only
    # where a built file has no change date (a town without surveys here), so 29 queries for both files (JSON-LD,
    # RDF/XML) where reading every dataset's freshness in every scope took 45. On SQLite the projects' freshness
    # takes two queries more (projects.selectors.lists.public_project_changes: one statement on PostgreSQL only).
    with django_assert_max_num_queries(29 if connection.vendor == "postgresql" else 31):
        opendata_files.build_catalogue()
    with django_assert_max_num_queries(3):
        response = client.get(reverse("api:opendata-catalog"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/ld+json"
    assert response["Cache-Control"] == "public, max-age=300" and response["ETag"]
    catalogue = _json(response)
    assert catalogue["@type"] == "dcat:Catalog"
    assert {"dcat", "dct", "dcatde", "foaf"} <= set(catalogue["@context"])
    assert catalogue["dct:title"] and catalogue["dct:description"] and catalogue["dct:publisher"]["foaf:name"]
    datasets = catalogue["dcat:dataset"]
    # Region + Arnsberg, Olpe, Soest, each with three datasets.
    assert len(datasets) == 4 * 4
    # Each dataset's identifier is its IRI, on the portal's host.
    assert {d["dct:identifier"] for d in datasets} == {
        f"http://testserver/offene-daten/#{place}-{key}"
        for place in ("region", "arnsberg", "olpe", "soest")
        for key in DATASETS
    }
    assert all(d["@id"] == d["dct:identifier"] for d in datasets)
    fetched = 0
    for dataset in datasets:
        assert dataset["@type"] == "dcat:Dataset"
        assert dataset["dct:license"] == {"@id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0"}
        assert dataset["dcatde:licenseAttributionByText"].startswith("Datenquelle: ")
        assert dataset["dct:title"] and dataset["dct:description"] and dataset["dcat:keyword"]
        assert {"@id": "http://publications.europa.eu/resource/authority/data-theme/GOVE"} in dataset[
            "dcat:theme"
        ]
        assert dataset["dct:publisher"]["foaf:name"] and dataset["dct:spatial"]
        assert len(dataset["dcat:distribution"]) == 2
        for distribution in dataset["dcat:distribution"]:
            assert distribution["dct:license"] == dataset["dct:license"]
            assert (
                distribution["dcatde:licenseAttributionByText"] == dataset["dcatde:licenseAttributionByText"]
            )
            assert distribution["dct:format"]["@id"].startswith(
                "http://publications.europa.eu/resource/authority/file-type/"
            )
            url = distribution["dcat:downloadURL"]["@id"]
            assert (
                url.startswith("http://testserver/api/v1/") and distribution["dcat:accessURL"]["@id"] == url
            )
            download = client.get(url)
            assert download.status_code == 200, url
            kind = "text/csv" if distribution["dct:format"]["@id"].endswith("CSV") else "application/json"
            assert download["Content-Type"].startswith(kind), url
            assert distribution["dcat:mediaType"]["@id"].endswith(kind)
            fetched += 1
    assert fetched == 32
    by_id = {d["dct:identifier"].rsplit("#", 1)[1]: d for d in datasets}
    arnsberg = by_id["arnsberg-projects"]
    town_body = {
        "@type": "foaf:Agent",
        "foaf:name": "Stadt Arnsberg",
        "foaf:homepage": {"@id": "https://www.arnsberg.de"},
        "dct:type": {"@id": "http://purl.org/adms/publishertype/LocalAuthority"},
    }
    assert arnsberg["dct:publisher"] == town_body
    # The 12-digit regional key, as the conventions ask; a town without one falls back to its AGS, or a name.
    regional_key = "http://dcat-ap.de/def/politicalGeocoding/regionalKey/059580004004"
    assert arnsberg["dcatde:politicalGeocodingURI"] == [{"@id": regional_key}]
    assert arnsberg["dct:spatial"] == [{"@id": regional_key}]
    assert arnsberg["dcatde:contributorID"] == {"@id": "http://dcat-ap.de/def/contributors/openNRW"}
    assert arnsberg["dcat:contactPoint"]["vcard:hasEmail"] == {"@id": "mailto:kontakt@arnsberg.example"}
    assert arnsberg["dcat:contactPoint"]["vcard:hasURL"] == {"@id": "https://www.arnsberg.de"}
    assert arnsberg["dct:accrualPeriodicity"]["@id"].endswith("/frequency/UPDATE_CONT")
    assert "Stadt Arnsberg" in arnsberg["dcatde:licenseAttributionByText"]
    assert arnsberg["dct:modified"]["@type"] == arnsberg["dct:issued"]["@type"] == "xsd:dateTime"
    assert "politicalGeocodingURI" not in str(by_id["olpe-projects"])  # no key recorded
    # The region's datasets are published by the lead town (a legal body), not by the project, and name every
    # town's place.
    region = by_id["region-projects"]
    assert region["dct:publisher"] == town_body
    assert "5 für Südwestfalen" in region["dcatde:licenseAttributionByText"]
    assert len(region["dct:spatial"]) == 3 and {"@id": regional_key} in region["dct:spatial"]
    assert region["dcatde:politicalGeocodingURI"] == [{"@id": regional_key}]
    assert client.get(reverse("api:opendata-catalog"), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_page_lists_every_download_accessibly(client, town_a, town_b, content):
    response = client.get(reverse("opendata:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for town in (None, town_a, town_b):
        for dataset in DATASETS:
            for file_format in ("csv", "json"):
                assert f'href="{_url(dataset, file_format, town)}"' in html
    assert "<caption" in html and 'scope="col"' in html and 'scope="row"' in html
    assert 'class="kern-sr-only"' in html
    assert "https://www.govdata.de/dl-de/by-2-0" in html and "dl-de/by-2-0" in html
    assert f'href="{reverse("api:opendata-catalog")}"' in html and f'href="{reverse("api:schema")}"' in html
    assert f'href="{reverse("api:opendata-catalog-rdf")}"' in html
    # Each cell carries its dataset's IRI fragment and links the description of the CSV's columns.
    assert 'id="arnsberg-projects"' in html and 'id="region-ideas"' in html
    assert 'href="/api/v1/towns/arnsberg/opendata/indicators.datapackage.json"' in html
    assert "Byte-Order-Mark" not in html or "ohne Byte-Order-Mark" in html
    # The footer of every page links here.
    assert f'href="{reverse("opendata:index")}"' in client.get("/").content.decode()
