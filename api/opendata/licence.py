"""The licence of the open data (Datenlizenz Deutschland – Namensnennung 2.0), in one place: its names and
addresses, the attribution it requires, and who is named as the source."""

from municipalities.models import Municipality

LICENCE_ID = "dl-de/by-2-0"
LICENCE_NAME = "Datenlizenz Deutschland – Namensnennung – Version 2.0"
LICENCE_URL = "https://www.govdata.de/dl-de/by-2-0"
#: The licence in the DCAT-AP.de vocabulary of licences (``dct:license``).
LICENCE_DCAT_URI = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
#: The attribution the licence requires (``dcatde:licenseAttributionByText``), naming who provides the data.
ATTRIBUTION = "Datenquelle: {source}, " + LICENCE_ID + " (" + LICENCE_URL + ")"
#: Who provides the region's data when there is no consortium row.
REGION_SOURCE = "5 für Südwestfalen"


def attribution(source: str) -> str:
    return ATTRIBUTION.format(source=source)


def licence(source: str) -> dict:
    """The licence block of a JSON download."""
    return {
        "id": LICENCE_ID,
        "name": LICENCE_NAME,
        "url": LICENCE_URL,
        "uri": LICENCE_DCAT_URI,
        "attribution": attribution(source),
    }


def source_name(municipality: Municipality | None, consortium=None) -> str:
    """Who is named in the attribution: the town by its official name, or the consortium for the region."""
    if municipality is not None:
        return municipality.official_name or municipality.name
    return consortium.name if consortium is not None and consortium.name else REGION_SOURCE
