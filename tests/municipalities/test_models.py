"""Invariants of towns: brand colour contrast, reserved addresses, one lead town, towns added later."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from municipalities.models import Municipality
from municipalities.validators import contrast_ratio, validate_brand_colour, validate_town_slug
from tests import factories

pytestmark = pytest.mark.django_db


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("colour", ["#00508C", "#7A1F5C", "#000000"])
def test_dark_brand_colours_are_accepted(colour):
    validate_brand_colour(colour)


@pytest.mark.parametrize(
    "colour,code",
    [("#FFDD00", "contrast"), ("#999999", "contrast"), ("blue", "format"), ("#12345", "format")],
)
def test_light_or_malformed_brand_colours_are_refused(colour, code):
    with pytest.raises(ValidationError) as info:
        validate_brand_colour(colour)
    assert info.value.code == code


@pytest.mark.parametrize("slug", ["admin", "api", "accounts", "konto", "agentur", "static"])
def test_town_cannot_take_a_reserved_address(slug):
    with pytest.raises(ValidationError):
        validate_town_slug(slug)


def test_model_validation_reports_reserved_slug_and_bad_colour():
    town = factories.MunicipalityFactory.build(
        slug="admin", brand_colour="#eeeeee", consortium=factories.ConsortiumFactory()
    )
    with pytest.raises(ValidationError) as info:
        town.full_clean()
    assert {"slug", "brand_colour"} <= set(info.value.message_dict)


def test_only_one_lead_town_per_consortium(town_a):
    with pytest.raises(IntegrityError):
        factories.MunicipalityFactory(consortium=town_a.consortium, is_lead=True)


def test_a_town_added_later_works_without_code_change(client, town_a):
    Municipality.objects.create(
        consortium=town_a.consortium,
        name="Lennestadt",
        slug="lennestadt",
        official_name="Stadt Lennestadt",
        brand_colour="#2E6B30",
    )
    assert client.get("/lennestadt/").status_code == 200
    assert client.get("/lennestadt/barrierefreiheit/").status_code == 200
    assert 'href="/lennestadt/"' in client.get("/").text


def test_unknown_and_inactive_towns_answer_404(client, town_a):
    assert client.get("/atlantis/").status_code == 404
    assert client.get("/atlantis/impressum/").status_code == 404
    town_a.is_active = False
    town_a.save()
    assert client.get("/arnsberg/").status_code == 404
    assert 'href="/arnsberg/"' not in client.get("/").text


def test_the_regional_key_has_twelve_digits_and_fits_the_municipality_key():
    town = factories.MunicipalityFactory(name="Arnsberg", slug="arnsberg", ags="05958004", ars="059580004004")
    town.full_clean()  # the official keys of Arnsberg
    for wrong in ("05958000400", "05958000400x", "059580004008"):  # 11 digits, a letter, another town's
        town.ars = wrong
        with pytest.raises(ValidationError) as error:
            town.full_clean()
        assert list(error.value.message_dict) == ["ars"], wrong
    town.ags, town.ars = "", "059580004004"  # without an AGS there is nothing to compare
    town.full_clean()
