"""The stored fact "answered" (``Idea.answered_at``: the moment of the latest official answer) stays equal to what
the answers give through every write path, the refresh command and the data migration give the same, and the
lists, their counts, the API and the key figures filtered by it show what looking for an answer row showed."""

import importlib
import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as account_services
from agentur import figures
from municipalities.scoping import scopes_disabled, town_scope
from participation.models import Idea, IdeaStatus, OfficialAnswer, Process
from participation.selectors import facts as facts_selectors
from participation.selectors import ideas as ideas_selectors
from participation.selectors import processes as processes_selectors
from participation.services import answers as answers_services
from participation.services import moderation as moderation_services
from smartcity5 import fragments
from tests import factories

pytestmark = pytest.mark.django_db

Status = IdeaStatus


def _stored(idea):
    with scopes_disabled():
        return Idea._base_manager.get(pk=idea.pk).answered_at


def _latest_answer(idea):
    with scopes_disabled():
        latest = OfficialAnswer._base_manager.filter(idea=idea).order_by("-created_at", "-pk").first()
    return latest.created_at if latest else None


def _assert_right() -> None:
    """Every idea's stored facts equal the ones derived from its rows now."""
    with scopes_disabled():
        assert facts_selectors.ideas_with_stale_facts(Idea._base_manager.all()) == []


def _answer(idea, to=None, *, by=None, body="Wir prüfen das.", **kwargs):
    with town_scope(idea.municipality):
        return answers_services.idea_answer(
            idea=idea, by=by, acting_town=idea.municipality, body=body, to=to, **kwargs
        )


def test_answers_status_changes_and_merges_keep_the_fact(process, editor_a):
    idea = factories.idea(process=process)
    other = factories.idea(process=process, title="Ein Trinkbrunnen am Neumarkt")
    assert _stored(idea) is None
    _assert_right()
    first = _answer(idea, Status.UNDER_REVIEW, by=editor_a)
    assert _stored(idea) == first.created_at == _latest_answer(idea)
    # An answer without a new status is the latest answer too.
    second = _answer(idea, body="Die Verwaltung hat einen Ortstermin vereinbart.", by=editor_a)
    assert second.created_at > first.created_at and _stored(idea) == second.created_at
    # A merge answers the merged idea; the idea it was merged into has no answer of its own.
    merge = _answer(other, Status.MERGED, body="Gleiches Anliegen.", merged_into=idea)
    assert _stored(other) == merge.created_at and _stored(idea) == second.created_at
    # The returned copy carries the fact as stored.
    assert merge.idea.answered_at == merge.created_at
    _assert_right()
    # A refused answer (a transition the workflow does not allow) changes nothing.
    with pytest.raises(ValidationError):
        _answer(idea, Status.IMPLEMENTED)
    assert _stored(idea) == second.created_at
    _assert_right()


def test_moderation_and_deleting_the_answering_account_keep_the_fact(process, editor_a, town_a):
    idea = factories.idea(process=process)
    answer = _answer(idea, Status.ACCEPTED, by=editor_a, body="Wir setzen das um.")
    with town_scope(town_a):
        moderation_services.moderation_hide(
            target=idea, by=None, acting_town=town_a, reason="Angaben zu Dritten."
        )
    # Hidden, the idea leaves every public list; its answer and the fact stay for when it is shown again.
    assert _stored(idea) == answer.created_at
    with town_scope(town_a):
        assert not ideas_selectors.idea_list(filters=ideas_selectors.IdeaFilters(answered=True)).exists()
        moderation_services.moderation_approve(target=idea, by=None, acting_town=town_a)
        assert list(ideas_selectors.idea_list(filters=ideas_selectors.IdeaFilters(answered=True))) == [idea]
    assert _stored(idea) == answer.created_at
    # The member of staff who answered deletes the account: the answer stays, without a name, and so does the fact.
    account_services.account_delete(user=editor_a)
    with scopes_disabled():
        assert OfficialAnswer._base_manager.get(pk=answer.pk).author_id is None
    assert _stored(idea) == answer.created_at
    _assert_right()


def test_deleting_the_authors_contributions_takes_the_idea_and_its_answers(process, town_a):
    author = factories.UserFactory()
    idea = factories.idea(process=process, author=author)
    _answer(idea, Status.REJECTED, body="Nicht umsetzbar.")
    account_services.account_delete(user=author, keep_contributions=False)
    with scopes_disabled():
        assert not Idea._base_manager.filter(pk=idea.pk).exists()
        assert not OfficialAnswer._base_manager.filter(idea_id=idea.pk).exists()
    _assert_right()


def test_the_refresh_command_finds_and_repairs_drift(process, town_a):
    answered = factories.idea(process=process)
    answer = _answer(answered, Status.UNDER_REVIEW)
    silent = factories.idea(process=process, title="Ein Trinkbrunnen am Neumarkt")
    counted = factories.idea(process=process, title="Mehr Fahrradbügel")
    factories.comment(idea=counted)
    call_command("idea_facts_refresh", "--check", stdout=io.StringIO())
    with scopes_disabled():
        version = Process._base_manager.get(pk=process.pk).content_version
        # Rows written past the services: a lost answer date, one that no answer gives, a wrong count.
        Idea._base_manager.filter(pk=answered.pk).update(answered_at=None)
        Idea._base_manager.filter(pk=silent.pk).update(answered_at=answer.created_at)
        Idea._base_manager.filter(pk=counted.pk).update(comment_count=7)
    with pytest.raises(CommandError, match="3 ideas have wrong stored facts"):
        call_command("idea_facts_refresh", "--check", stdout=io.StringIO())
    with town_scope(town_a):  # the filter reads the stored (wrong) fact
        assert set(ideas_selectors.idea_list(filters=ideas_selectors.IdeaFilters(answered=True))) == {silent}
    out = io.StringIO()
    call_command("idea_facts_refresh", stdout=out)
    assert "Stored the facts of 3 ideas anew" in out.getvalue()
    assert (_stored(answered), _stored(silent)) == (answer.created_at, None)
    with scopes_disabled():
        assert Idea._base_manager.get(pk=counted.pk).comment_count == 1
        # The public saw a change: the process's stored version moves (page caches, Last-Modified).
        assert Process._base_manager.get(pk=process.pk).content_version > version
    call_command("idea_facts_refresh", "--check", stdout=io.StringIO())
    out = io.StringIO()
    call_command("idea_facts_refresh", stdout=out)
    assert "Stored the facts of 0 ideas anew" in out.getvalue()
    _assert_right()


def test_the_data_migration_fills_the_same_fact(process):
    """The migration that added the column fills it with its own SQL (PostgreSQL and SQLite alike); it gives what
    the services store."""
    [path] = Path(__file__).resolve().parents[2].glob("participation/migrations/*_idea_answered_at_*.py")
    migration = importlib.import_module(f"participation.migrations.{path.stem}")
    ideas = [factories.idea(process=process, title=f"Idee {n}") for n in range(3)]
    _answer(ideas[0], Status.UNDER_REVIEW)
    _answer(ideas[0], Status.ACCEPTED, body="Angenommen.")
    _answer(ideas[1], Status.REJECTED, body="Nicht umsetzbar.")
    expected = [_stored(i) for i in ideas]
    assert expected[0] and expected[1] and expected[2] is None
    with scopes_disabled():
        Idea._base_manager.update(answered_at=None)
    with connection.cursor() as cursor:
        cursor.execute(migration.FILL)
    assert [_stored(i) for i in ideas] == expected
    _assert_right()


# --- Reads -------------------------------------------------------------------------------------------------


def _has_answer_row():
    """How the lists decided "answered" before the stored fact: an answer row exists."""
    return Exists(OfficialAnswer._base_manager.filter(idea=OuterRef("pk")))


@pytest.fixture
def mixed(process, town_a, town_b):
    """Ideas of Arnsberg's own process and of a joint process led by Soest, answered or not, with supports and
    comments for the sorts, a hidden answered one and a merged one."""
    joint = factories.process(municipality=town_b, partners=[town_a], title="Gemeinsame Ideen")
    ideas = []
    for n in range(12):
        idea = factories.idea(process=process if n % 3 else joint, title=f"Idee {n}", municipality=town_a)
        for _ in range(n % 4):
            factories.comment(idea=idea, municipality=town_a)
        ideas.append(idea)
    for n in (0, 1, 4, 7, 9):
        _answer(ideas[n], Status.UNDER_REVIEW)
    _answer(ideas[7], Status.ACCEPTED, body="Angenommen.")
    _answer(ideas[5], Status.MERGED, body="Gleiches Anliegen.", merged_into=ideas[2])
    with town_scope(town_a):
        moderation_services.moderation_hide(
            target=ideas[4], by=None, acting_town=town_a, reason="Angaben zu Dritten."
        )
        moderation_services.moderation_hide(
            target=ideas[10], by=None, acting_town=town_a, reason="Angaben zu Dritten."
        )
    return ideas


@pytest.mark.parametrize("sort", ["new", "supported", "discussed"])
def test_the_filter_shows_what_looking_for_an_answer_row_showed(client, mixed, town_a, sort):
    _assert_right()
    with town_scope(town_a):
        processes = processes_selectors.published_process_ids()
        whole = ideas_selectors.idea_list(filters=ideas_selectors.IdeaFilters(sort=sort), processes=processes)
        for answered in (True, False):
            old = list(whole.filter(_has_answer_row() if answered else ~_has_answer_row()).values_list("pk"))
            filters = ideas_selectors.IdeaFilters(answered=answered, sort=sort)
            qs = ideas_selectors.idea_list(filters=filters, processes=processes)
            assert list(qs.values_list("pk")) == old and old
            # The matches the capped count, the pages and the map are taken from, in the list's order.
            pages = ideas_selectors.IdeaPages(qs, processes=processes, sort=sort)
            assert [pk for pk, _ in pages.matches(3)] == [pk for (pk,) in old[:4]]
            # The page, the API and the capped count.
            query = f"?answered={'yes' if answered else 'no'}&sort={sort}"
            page = client.get(reverse("participation:ideas", kwargs={"town_slug": town_a.slug}) + query)
            assert [i.pk for i in page.context["ideas"]] == [pk for (pk,) in old]
            assert page.context["page_obj"].paginator.count == len(old)
            api = client.get(f"/api/v1/towns/{town_a.slug}/ideas/{query}").json()
            assert [row["id"] for row in api["results"]] == [pk for (pk,) in old]
            assert api["count"] == len(old)
    # The key figures count what they counted.
    with scopes_disabled():
        received = Idea.objects.filter(municipality=town_a).visible()
        assert figures.answered(received).count() == received.filter(_has_answer_row()).count() == 3


def test_answered_lists_make_the_same_queries_with_few_and_many_answers(
    client, process, town_a, django_assert_max_num_queries
):
    ideas = reverse("participation:ideas", kwargs={"town_slug": town_a.slug})
    pages = [
        ideas + "?answered=yes",
        ideas + "?answered=no&sort=supported",
        ideas + "?answered=yes&sort=discussed&page=2",
        reverse("participation:process", kwargs={"town_slug": town_a.slug, "slug": process.slug})
        + "?answered=no",
        f"/api/v1/towns/{town_a.slug}/ideas/?answered=yes",
        f"/api/v1/towns/{town_a.slug}/processes/{process.slug}/ideas/?answered=no&sort=supported",
    ]

    def counts() -> list[int]:
        fragments.clear()  # each round as a fresh worker: what it keeps (the footer's towns) is read again
        found = []
        for url in pages:
            with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200, url
            found.append(len(queries))
        return found

    made = [factories.idea(process=process, title=f"Idee {n}") for n in range(4)]
    _answer(made[0], Status.UNDER_REVIEW)
    few = counts()
    made += [factories.idea(process=process, title=f"Weitere Idee {n}") for n in range(40)]
    for idea in made[1:30]:
        _answer(idea, Status.UNDER_REVIEW)
    assert counts() == few
