"""Knowledge transfer on the project side: similar projects in other towns and the catalogue of transferable
projects (region page)."""

import pytest
from django.db import connection
from django.utils import translation

from municipalities.scoping import town_scope
from projects.models import FieldOfAction
from projects.selectors import lists as lists_selectors
from projects.selectors import similarity as similarity_selectors
from projects.selectors.similarity import CatalogueFilters
from tests import factories

pytestmark = pytest.mark.django_db

PARKING = (
    "Parkraumsensoren in der Innenstadt",
    "Sensoren melden freie Parkplätze in der Innenstadt an eine App.",
    "LoRaWAN-Sensoren in den Parkbuchten erkennen belegte Parkplätze. Die Daten fließen in eine offene "
    "Parkplatz-App und auf digitale Anzeigetafeln, damit weniger Parksuchverkehr entsteht.",
)


def _parking(municipality, **fields):
    title, summary, description = PARKING
    return factories.project(
        municipality=municipality,
        title=fields.pop("title", title),
        summary=summary,
        description=description,
        **fields,
    )


def _detail(project):
    """The project as the detail page loads it (fields of action and partner towns prefetched)."""
    with town_scope(project.municipality):
        return lists_selectors.project_get(slug=project.slug, include_internal=True)


@pytest.fixture
def fields(catalogue):
    return {f.slug: f for f in FieldOfAction.objects.all()}


def _titles(found):
    return [s.project.title for s in found]


@pytest.mark.parametrize("use_search", [True, False], ids=["full-text search", "word overlap"])
def test_similar_projects_rank_the_text_similar_project_of_another_town_first(
    fields, town_a, town_b, town_c, use_search
):
    if use_search and connection.vendor != "postgresql":
        pytest.skip("full-text search needs PostgreSQL")
    mobility = fields["mobilitaet"]
    own = _parking(town_a, title="Smart Parking Arnsberg", fields_of_action=[mobility])
    # Another town: the same field, an unrelated text; and a text-similar one in the same field.
    factories.project(
        municipality=town_b,
        title="Bürgerbus",
        summary="Ein Bus fährt ehrenamtlich in die Dörfer.",
        fields_of_action=[mobility],
    )
    _parking(town_c, title="Parkleitsystem Olpe", fields_of_action=[mobility])
    # Text-similar, but internal, or in the page's own town: never shown.
    _parking(town_b, title="Internes Parken", visibility="internal", fields_of_action=[mobility])
    _parking(town_a, title="Parken Neheim", fields_of_action=[mobility])
    # Shares nothing.
    factories.project(
        municipality=town_b,
        title="Digitale Bibliothek",
        summary="Ausleihe rund um die Uhr.",
        fields_of_action=[fields["bildung"]],
    )

    found = similarity_selectors.similar_projects(project=_detail(own), use_search=use_search)

    assert _titles(found) == ["Parkleitsystem Olpe", "Bürgerbus"]
    first, second = found
    assert first.similar_text and second.shared_fields == [mobility] and not second.similar_text
    with translation.override("en"):
        assert first.reasons == ["same field of action: Mobilität", "similar description"]
        assert second.reasons == ["same field of action: Mobilität"]


@pytest.mark.parametrize("use_search", [True, False], ids=["full-text search", "word overlap"])
def test_similar_projects_find_text_and_tags_without_a_shared_field(fields, town_a, town_b, use_search):
    if use_search and connection.vendor != "postgresql":
        pytest.skip("full-text search needs PostgreSQL")
    from projects import services

    with town_scope(town_a):
        tags = services.tags_from_text("LoRaWAN, Sensorik")
    own = _parking(town_a, fields_of_action=[fields["mobilitaet"]], tags=tags)
    _parking(town_b, title="Parken in Soest", fields_of_action=[fields["daten-digitale-infrastruktur"]])
    factories.project(
        municipality=town_b, title="Pegelmessung", summary="Wasserstände der Ruhr.", tags=tags[:1]
    )

    found = similarity_selectors.similar_projects(project=_detail(own), use_search=use_search)

    assert _titles(found) == ["Parken in Soest", "Pegelmessung"]
    with translation.override("en"):
        assert found[0].reasons == ["similar description"]
        assert found[1].reasons == ["1 shared tag"]


def test_similar_projects_leave_out_joint_projects_of_the_own_towns(fields, town_a, town_b, town_c):
    mobility = fields["mobilitaet"]
    own = _parking(town_a, fields_of_action=[mobility], partners=[town_b])
    _parking(town_c, title="Olpe führt, Arnsberg ist Partner", partners=[town_a], fields_of_action=[mobility])
    _parking(town_b, title="Soest allein", fields_of_action=[mobility])
    _parking(town_c, title="Olpe allein", fields_of_action=[mobility], status="cancelled")
    assert similarity_selectors.similar_projects(project=_detail(own)) == []


def test_similar_projects_are_at_most_five_in_a_bounded_number_of_queries(
    fields, town_a, town_b, town_c, django_assert_max_num_queries
):
    mobility = fields["mobilitaet"]
    own = _parking(town_a, fields_of_action=[mobility])
    for n in range(8):
        _parking(
            town_b if n % 2 else town_c, title=f"Parken {n}", fields_of_action=[mobility, fields["bildung"]]
        )
    project = _detail(own)
    for use_search in (True, False) if connection.vendor == "postgresql" else (False,):
        with django_assert_max_num_queries(5):
            found = similarity_selectors.similar_projects(project=project, use_search=use_search)
            assert len(found) == 5
            for item in found:
                item.project.municipality.name, item.reasons, item.project.get_absolute_url()


def test_catalogue_lists_transferable_public_projects_with_filters(fields, town_a, town_b):
    mobility, data = fields["mobilitaet"], fields["daten-digitale-infrastruktur"]
    factories.project(
        municipality=town_a,
        title="Parken",
        transferability="yes",
        fields_of_action=[mobility],
        open_source_url="https://gitlab.opencode.de/arnsberg/parken",
    )
    factories.project(
        municipality=town_b, title="Datenplattform", transferability="partly", fields_of_action=[data]
    )
    factories.project(municipality=town_b, title="Gemeinsam", transferability="partly", partners=[town_a])
    factories.project(municipality=town_b, title="Soest-spezifisch", transferability="no")
    factories.project(municipality=town_b, title="Nicht bewertet")
    factories.project(municipality=town_a, title="Intern", transferability="yes", visibility="internal")

    def titles(**kwargs):
        return [
            p.title
            for p in similarity_selectors.transfer_catalogue(filters=CatalogueFilters(**kwargs)).object_list
        ]

    assert titles() == ["Parken", "Datenplattform", "Gemeinsam"]  # fully re-usable first
    assert titles(field="mobilitaet") == ["Parken"]
    assert titles(town="soest") == ["Datenplattform", "Gemeinsam"]
    assert titles(town="arnsberg") == ["Parken", "Gemeinsam"]
    assert titles(open_source=True) == ["Parken"]
    assert titles(transferability="partly") == ["Datenplattform", "Gemeinsam"]
    page = similarity_selectors.transfer_catalogue(per_page=2, page=2)
    assert [p.title for p in page.object_list] == ["Gemeinsam"] and page.paginator.count == 3
