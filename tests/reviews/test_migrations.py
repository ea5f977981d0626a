"""reviews.0003_event_base_history: the report history joins the one history mechanism without losing a remark, and
the entries written before it read like new ones (their status change in ``changes``)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from municipalities.scoping import town_scope
from reviews import services
from reviews.models import ProgressReportEvent

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("reviews", "0002_review_comment_from_town")]
AFTER = [("reviews", "0003_event_base_history")]


def test_remarks_are_kept_and_older_entries_get_readable_changes(town_a, editor_a, moderator):
    with town_scope(town_a):
        report = services.report_create(municipality=town_a, year=2025, quarter=1, by=editor_a)
        services.report_submit(report=report, by=editor_a)
        services.review_decide(report=report, by=moderator, decision="returned", remarks="Bitte ergänzen.")
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)  # the table as it was: ``remark``, no ``changes``
        old = executor.loader.project_state(BEFORE).apps.get_model("reviews", "ProgressReportEvent")
        assert old._base_manager.filter(remark="Bitte ergänzen.").count() == 1
        executor.loader.build_graph()
        executor.migrate(AFTER)
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    with town_scope(town_a):
        rows = list(
            ProgressReportEvent.objects.filter(report=report)
            .order_by("at", "pk")
            .values_list("kind", "status_after", "reason", "changes")
        )
    assert rows == [
        ("created", "draft", "", {"status": ["", "Entwurf"]}),
        ("status", "submitted", "", {"status": ["Entwurf", "Eingereicht"]}),
        ("status", "returned", "Bitte ergänzen.", {"status": ["Eingereicht", "Zurückgegeben"]}),
    ]
