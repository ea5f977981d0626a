"""Demo-like data for the report tests: a town with a strategy, projects (one joint), KPIs with measurements, a
grant of 1 Mio. € at 65 % with plan, spending, a request and milestones, and a process with ideas."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from tests import factories

PAST = datetime.date(2025, 3, 1)


@transaction.atomic
def fill_town(municipality, *, partner=None, by=None) -> dict:
    """The town's data, written in one transaction. In a transactional test (a worker, a browser) each commit
    hands over the open data builds, which run at once there (eager): one by one, the twenty-odd writes built
    the datasets after each; together they are built once, from the same rows."""
    from funding import services as funding_services
    from municipalities.scoping import town_scope
    from participation.services import answers as answers_services
    from projects import services as project_services
    from projects.models import FieldOfAction

    with town_scope(municipality):
        project_services.strategy_save(
            municipality=municipality,
            kind="town",
            fields={
                "title": f"Smart-City-Strategie {municipality.name}",
                "adopted_on": datetime.date(2023, 6, 1),
                "summary": "Digitale Daseinsvorsorge für Stadt und Land.",
            },
            fields_of_action=list(FieldOfAction.objects.all()[:2]),
        )
    sensor = factories.project(municipality=municipality, title="Sensorik im Quartier", status="in_progress")
    factories.progress_update(project=sensor, progress_percent=40, title="Sensoren montiert")
    factories.project(municipality=municipality, title="Digitales Rathaus", status="planned")
    factories.project(
        municipality=municipality, title="Internes Prüfprojekt", status="idea", visibility="internal"
    )
    if partner is not None:
        factories.project(
            municipality=partner,
            title="Gemeinsame Datenplattform",
            partners=[municipality],
            status="in_progress",
        )
    with town_scope(municipality):
        indicator = project_services.indicator_create(
            project=sensor,
            by=by,
            acting_town=municipality,
            fields={
                "name": "Angeschlossene Sensoren",
                "unit": "Stück",
                "baseline": Decimal("0"),
                "baseline_date": datetime.date(2024, 1, 1),
                "target": Decimal("120"),
                "target_date": datetime.date(2026, 12, 31),
            },
        )
        for day, value in (
            (datetime.date(2024, 6, 1), 20),
            (datetime.date(2025, 1, 1), 45),
            (datetime.date(2025, 6, 1), 70),
        ):
            project_services.measurement_record(
                indicator=indicator, by=by, acting_town=municipality, measured_on=day, value=Decimal(value)
            )
    grant = factories.grant(
        municipality=municipality, title=f"Modellprojekt Smart Cities {municipality.name}"
    )
    for year, amount in ((2024, "300000.00"), (2025, "400000.00"), (2026, "300000.00")):
        factories.budget_line(grant=grant, year=year, amount=amount)
    with town_scope(municipality):
        funding_services.spending_record(
            grant=grant,
            by=by,
            fields={
                "spent_on": PAST,
                "cost_type": "material",
                "amount": Decimal("12500.50"),
                "description": "LoRaWAN-Gateways",
                "payee": "Funk GmbH",
            },
        )
        request = funding_services.disbursement_prepare(
            grant=grant,
            by=by,
            fields={"year": 2025, "amount": Decimal("50000.00"), "purpose": "Erster Mittelabruf"},
        )
        funding_services.disbursement_submit(item=request, by=by, submitted_on=PAST)
        funding_services.milestone_save(
            grant=grant, by=by, fields={"title": "Sensoren in Betrieb", "due_on": datetime.date(2025, 1, 31)}
        )
        funding_services.milestone_save(
            grant=grant, by=by, fields={"title": "Abschluss Phase B", "due_on": datetime.date(2030, 12, 31)}
        )
    process = factories.process(municipality=municipality, title="Ideen für den Marktplatz")
    idea = factories.idea(process=process, title="Mehr Bänke am Marktplatz")
    factories.idea(process=process, title="Trinkbrunnen")
    with town_scope(municipality):
        answers_services.idea_answer(
            idea=idea, by=by, acting_town=municipality, body="Wir prüfen das.", to="under_review"
        )
    return {"grant": grant, "project": sensor, "process": process}


@pytest.fixture
def demo_town(town_a, town_b, catalogue):
    return {"town": town_a, **fill_town(town_a, partner=town_b)}
