"""Loads the consortium, the towns and the demo accounts (the base of the demo that ``sampledata.demo`` loads, each
domain its own part). Idempotent: running it again updates rows."""

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Membership, Role, User
from municipalities.models import Consortium, Municipality

DATA_FILE = Path(__file__).with_name("municipalities.json")
DEMO_PASSWORD = "Demo-Passwort-2026"
DEMO_DOMAIN = "demo.smartcity5.example"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    town: str


def _bound(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def load_towns() -> tuple[Consortium, list[Municipality]]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    c = data["consortium"]
    consortium, _ = Consortium.objects.update_or_create(
        slug=c["slug"],
        defaults={
            "name": c["name"],
            "programme": c["programme"],
            "cohort": c["cohort"],
            "coordinator": c["coordinator"],
            "motto": c["motto"],
            "goal": c["goal"],
            "cooperating_since": c["cooperating_since"],
            "funding_until": c["funding_until"],
            "federal_grant_eur": Decimal(c["funding"]["federal_grant_eur"]),
            "total_volume_eur": Decimal(c["funding"]["total_volume_eur"]),
            "linked_programme": c["linked_programme"],
            "contact_name": c["contact"]["name"],
            "contact_street": c["contact"]["street"],
            "contact_postcode": c["contact"]["postcode"],
            "contact_city": c["contact"]["city"],
        },
    )
    towns = []
    for m in data["municipalities"]:
        bounds = m.get("map_bounds") or {}
        town, _ = Municipality.objects.update_or_create(
            slug=m["slug"],
            defaults={
                "consortium": consortium,
                "name": m["name"],
                "official_name": m["official_name"],
                "district": m["district"],
                "administrative_region": m["administrative_region"],
                "ags": m["ags"],
                "ars": m["ars"],
                "population": m["population"],
                "population_date": date.fromisoformat(m["population_date"]),
                "population_source": m["population_source"],
                "area_km2": Decimal(m["area_km2"]),
                "website": m["website"],
                "brand_colour": m["brand_colour"],
                "is_lead": m["lead"],
                "vision": m.get("vision", "")[:300],
                "contact_email": m["contact_email"],
                "accessibility_contact_email": m["contact_email"],
                "joined_on": date(2019, 7, 1),
                "imprint": f"{m['official_name']}\nDer Bürgermeister / Die Bürgermeisterin\n"
                f"Vertreten durch die Bürgermeisterin bzw. den Bürgermeister\n"
                f"E-Mail: {m['contact_email']}",
                "privacy_contact": f"Datenschutzbeauftragte/r der {m['official_name']}, {m['contact_email']}",
                **{f"map_{edge}": _bound(bounds.get(edge)) for edge in ("south", "west", "north", "east")},
            },
        )
        towns.append(town)
    return consortium, towns


def _account(email: str, display_name: str, password: str, **flags) -> User:
    """Create or update a demo account; ``password`` is DEMO_PASSWORD hashed (once for all of them: hashing
    properly takes a good part of a second, 18 times was a fifth of the demo's load)."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, display_name=display_name, **flags)
    else:
        for key, value in {"display_name": display_name, **flags}.items():
            setattr(user, key, value)
    user.password = password
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def load_accounts(towns: list[Municipality]) -> list[DemoAccount]:
    accounts = []
    password = make_password(DEMO_PASSWORD)
    _account(f"buerger@{DEMO_DOMAIN}", "Bürgerin Demo", password)
    accounts.append(DemoAccount(f"buerger@{DEMO_DOMAIN}", "citizen", "–"))
    _account(f"agentur@{DEMO_DOMAIN}", "Moderation Südwestfalen Agentur", password, is_agentur_moderator=True)
    accounts.append(DemoAccount(f"agentur@{DEMO_DOMAIN}", "Agentur moderator", "all"))
    _account(f"plattform@{DEMO_DOMAIN}", "Plattform-Admin", password, is_staff=True, is_superuser=True)
    accounts.append(DemoAccount(f"plattform@{DEMO_DOMAIN}", "platform admin", "all"))
    for town in towns:
        for role in Role:
            email = f"{town.slug}-{role.value}@{DEMO_DOMAIN}"
            user = _account(email, f"{town.name} ({role.label})", password)
            Membership.objects.with_scope(municipality=town.pk).update_or_create(
                municipality=town, user=user, defaults={"role": role.value}
            )
            accounts.append(DemoAccount(email, role.value, town.slug))
    return accounts


@transaction.atomic
def citizens_of(accounts: list[DemoAccount]) -> list[User]:
    """The demo citizens among ``accounts`` (none without accounts)."""
    emails = [account.email for account in accounts if account.role == "citizen"]
    return list(User.objects.filter(email__in=emails).order_by("email"))
