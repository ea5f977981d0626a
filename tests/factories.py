"""Factories for tests (no fixture files)."""

import itertools
import time

import factory
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as allauth_mfa_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)

from accounts.models import Membership, Role, User
from municipalities.models import AccessibilityFeedback, Consortium, Municipality

PASSWORD = "Test-Passwort-2026"
_colours = itertools.cycle(["#005B96", "#2E6B30", "#A3122A", "#00607A", "#7A1F5C"])


class ConsortiumFactory(factory.django.DjangoModelFactory[Consortium]):
    class Meta:
        model = Consortium
        django_get_or_create = ("slug",)

    name = "5 für Südwestfalen"
    slug = "5-fuer-suedwestfalen"
    coordinator = "Südwestfalen Agentur"
    programme = "Modellprojekte Smart Cities"


class MunicipalityFactory(factory.django.DjangoModelFactory[Municipality]):
    class Meta:
        model = Municipality

    consortium = factory.SubFactory(ConsortiumFactory)
    name = factory.Sequence(lambda n: f"Teststadt {n}")
    slug = factory.Sequence(lambda n: f"teststadt-{n}")
    official_name = factory.LazyAttribute(lambda o: f"Stadt {o.name}")
    district = "Hochsauerlandkreis"
    brand_colour = factory.LazyFunction(lambda: next(_colours))
    contact_email = factory.LazyAttribute(lambda o: f"kontakt@{o.slug}.example")
    accessibility_contact_email = factory.LazyAttribute(lambda o: f"barrierefrei@{o.slug}.example")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Person {n}")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def membership(*, user: User, municipality: Municipality, role: str = Role.VIEWER) -> Membership:
    return Membership.objects.with_scope(municipality=municipality.pk).create(
        user=user, municipality=municipality, role=role
    )


def staff_member(
    *, municipality: Municipality, role: str, email: str | None = None, mfa: bool = True
) -> User:
    """A verified user with a staff role in the town and, unless mfa=False, TOTP set up."""
    user = UserFactory.create(email=email or f"{municipality.slug}-{role}@example.org")
    membership(user=user, municipality=municipality, role=role)
    if mfa:
        activate_totp(user)
    return user


def activate_totp(user: User) -> str:
    """Give the user a TOTP authenticator; returns the secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, *, valid_for: int = 8) -> str:
    """The current TOTP code, valid for at least ``valid_for`` more seconds.

    allauth accepts only the current time step (MFA_TOTP_TOLERANCE is 0), so a code taken in the last
    moment of a step would be refused when a browser submits it a second later; wait for the next step. The test
    client posts the code at once: it asks for 3 seconds (a wait of 1.5 s in 10 % of the calls, not 4 s in 27 %).
    """
    period = allauth_mfa_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < valid_for:
        time.sleep(left + 0.05)
    counter = next(iter(yield_hotp_counters_from_time()))
    return f"{hotp_value(secret, counter):06d}"


def feedback(
    *, municipality: Municipality, message: str = "Kontrast zu gering", **kwargs
) -> AccessibilityFeedback:
    return AccessibilityFeedback.objects.with_scope(municipality=municipality.pk).create(
        municipality=municipality, message=message, **kwargs
    )


def project(*, municipality: Municipality, partners=(), by=None, status: str | None = None, **fields):
    """A project led by ``municipality``, made through the services (history included)."""
    from municipalities.scoping import town_scope
    from projects import services
    from projects.models import Project

    fields.setdefault("title", f"Projekt {next(_project_numbers)}")
    fields.setdefault("summary", "Eine Maßnahme der Smart-City-Strategie.")
    fields_of_action = fields.pop("fields_of_action", ())
    tags = fields.pop("tags", ())
    with town_scope(municipality):
        item = services.project_create(
            municipality=municipality,
            by=by,
            fields=fields,
            partner_towns=partners,
            fields_of_action=fields_of_action,
            tags=tags,
        )
        paths: dict[str | None, list[str]] = {
            Project.Status.PLANNED: ["planned"],
            Project.Status.IN_PROGRESS: ["planned", "in_progress"],
            Project.Status.COMPLETED: ["planned", "in_progress", "completed"],
            Project.Status.PAUSED: ["planned", "paused"],
            Project.Status.CANCELLED: ["cancelled"],
        }
        for step in paths.get(status, []):
            item = services.project_transition(
                project=item, to=step, by=by, acting_town=municipality, reason="Test"
            )
    return item


def progress_update(*, project, acting_town: Municipality | None = None, by=None, **fields):
    from municipalities.scoping import town_scope
    from projects import services

    town = acting_town or project.municipality
    fields.setdefault("title", "Zwischenstand")
    with town_scope(town):
        return services.progress_update_post(project=project, by=by, acting_town=town, fields=fields)


_project_numbers = itertools.count(1)


def grant(*, municipality: Municipality, by=None, **fields):
    """A grant of the town (2024–2026, 1 Mio. € eligible costs at 65 %), made through the services."""
    import datetime
    from decimal import Decimal

    from funding import services
    from municipalities.scoping import town_scope

    fields.setdefault("title", "Modellprojekt Smart Cities")
    fields.setdefault("approved_on", datetime.date(2023, 11, 1))
    fields.setdefault("period_start", datetime.date(2024, 1, 1))
    fields.setdefault("period_end", datetime.date(2026, 12, 31))
    fields.setdefault("eligible_costs", Decimal("1000000.00"))
    fields.setdefault("funding_rate", Decimal("65.00"))
    with town_scope(municipality):
        return services.grant_create(municipality=municipality, by=by, fields=fields)


def budget_line(*, grant, year: int, amount, cost_type: str = "personnel", by=None, **fields):
    from decimal import Decimal

    from funding import services
    from municipalities.scoping import town_scope

    with town_scope(grant.municipality):
        return services.budget_line_save(
            grant=grant,
            by=by,
            fields={"year": year, "cost_type": cost_type, "amount": Decimal(str(amount)), **fields},
        )


def evidence_pdf(name: str = "nachweis.pdf"):
    """A checked upload of a minimal PDF, as the evidence forms produce it."""
    from django.core.files.base import ContentFile

    from projects.uploads import check_upload

    return check_upload(ContentFile(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", name=name))


_process_numbers = itertools.count(1)


def process(*, municipality: Municipality, partners=(), by=None, phases=None, **fields):
    """A published process of ``municipality`` that is collecting ideas today (information before, evaluation,
    vote and results after), made through the services. ``phases`` replaces the default plan."""
    import datetime

    from django.utils import timezone

    from municipalities.scoping import town_scope
    from participation.services import processes as processes_services

    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    if phases is None:
        phases = [
            {"kind": "information", "starts_on": today - 30 * day, "ends_on": today - 11 * day},
            {"kind": "ideas", "starts_on": today - 10 * day, "ends_on": today + 20 * day},
            {"kind": "evaluation", "starts_on": today + 21 * day, "ends_on": today + 40 * day},
            {"kind": "vote", "starts_on": today + 41 * day, "ends_on": today + 60 * day},
            {"kind": "results", "starts_on": today + 61 * day, "ends_on": None},
        ]
    number = next(_process_numbers)
    fields.setdefault("title", f"Ideen für {municipality.name} {number}")
    fields.setdefault("summary", "Sammeln Sie mit uns Ideen für die Stadt.")
    fields.setdefault("is_published", True)
    with town_scope(municipality):
        return processes_services.process_create(
            municipality=municipality, by=by, fields=fields, phases=phases, partner_towns=partners
        )


def image_upload(name: str = "bild.png", size=(40, 30)):
    """A checked upload of a small PNG, as the idea form produces it."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from participation.forms import IMAGE_CONTENT_TYPES
    from projects.uploads import check_upload

    buffer = io.BytesIO()
    Image.new("RGB", size, (0, 91, 150)).save(buffer, format="PNG")
    return check_upload(ContentFile(buffer.getvalue(), name=name), allowed=IMAGE_CONTENT_TYPES)


def idea(*, process, author=None, municipality: Municipality | None = None, image=None, **fields):
    """A published (post-moderation) idea in ``process``; without an author a fresh citizen writes it."""
    from municipalities.scoping import town_scope
    from participation.services import ideas as ideas_services

    fields.setdefault("title", "Mehr Bänke am Marktplatz")
    fields.setdefault("body", "Damit ältere Menschen unterwegs ausruhen können.")
    if image is not None:
        fields.setdefault("image_alt", "Skizze der Idee")
    with town_scope(municipality or process.municipality):
        return ideas_services.idea_submit(
            process=process, author=author or UserFactory.create(), fields=fields, consent=True, image=image
        )


def comment(
    *, idea, author=None, body: str = "Gute Idee!", parent=None, municipality: Municipality | None = None
):
    from municipalities.scoping import town_scope
    from participation.services import comments as comments_services

    with town_scope(municipality or idea.municipality):
        return comments_services.comment_post(
            idea=idea, author=author or UserFactory.create(), body=body, parent=parent
        )


# --- A town's rows with one of everything hanging off them (the tenant and API matrices) ---------------------


def project_with_rows(municipality):
    """A public project led by ``municipality``, with one of everything hanging off it."""
    import datetime

    from django.core.files.base import ContentFile

    from municipalities.scoping import town_scope
    from projects import services

    row = project(municipality=municipality, title=f"Matrix {municipality.slug}")
    update = progress_update(project=row)
    with town_scope(municipality):
        indicator = services.indicator_create(
            project=row, by=None, acting_town=municipality, fields={"name": "KPI"}
        )
        measurement = services.measurement_record(
            indicator=indicator,
            by=None,
            acting_town=municipality,
            measured_on=datetime.date(2026, 1, 1),
            value=1,
        )
        item = services.project_file_add(
            project=row,
            by=None,
            acting_town=municipality,
            upload=ContentFile(b"%PDF-1.4\n%%EOF\n", name="m.pdf"),
            kind="document",
            title="Datei",
            content_type="application/pdf",
        )
    return {
        "slug": row.slug,
        "update": update.pk,
        "indicator": indicator.pk,
        "measurement": measurement.pk,
        "file": item.pk,
    }


def grant_with_rows(municipality):
    """A grant of ``municipality`` with one row of each kind; the milestone is done (evidence), the proof submitted, the
    rate an exception with the funder's decision."""
    import datetime
    from decimal import Decimal

    from funding import services
    from municipalities.scoping import town_scope

    row = grant(municipality=municipality)
    line = budget_line(grant=row, year=2025, amount="10000.00")
    past = datetime.date(2025, 3, 1)
    with town_scope(municipality):
        spending = services.spending_record(
            grant=row,
            by=None,
            fields={
                "spent_on": past,
                "cost_type": "material",
                "amount": Decimal("100.00"),
                "description": "Matrix",
            },
        )
        request = services.disbursement_prepare(
            grant=row, by=None, fields={"year": 2025, "amount": Decimal("50")}
        )
        milestone = services.milestone_save(grant=row, by=None, fields={"title": "Matrix", "due_on": past})
        services.milestone_mark_done(milestone=milestone, by=None, done_on=past, evidence=evidence_pdf())
        proof = services.proof_save(grant=row, by=None, fields={"kind": "final", "due_on": past})
        services.proof_submit(proof=proof, by=None, submitted_on=past, document=evidence_pdf())
        services.grant_change(
            grant=row,
            by=None,
            fields={"funding_rate": Decimal("80.00")},
            reason="Matrix",
            rate_exception_document=evidence_pdf(),
        )
    return {
        "pk": row.pk,
        "budget-line": line.pk,
        "spending-edit": spending.pk,
        "disbursement": request.pk,
        "milestone": milestone.pk,
        "proof": proof.pk,
    }


def process_with_idea_and_comment(municipality):
    """A published process of ``municipality`` (collecting ideas), one idea with a comment."""
    published = process(municipality=municipality)
    submitted = idea(process=published, image=image_upload())
    written = comment(idea=submitted)
    return {"slug": published.slug, "pk": submitted.pk, "comment": written.pk}


def process_with_survey(municipality, *, results_shown="live"):
    """A published process of ``municipality`` running its survey (open to everyone, one question of a choice
    and one of free text, results shown as ``results_shown`` says)."""
    import datetime

    from django.utils import timezone

    from municipalities.scoping import town_scope
    from surveys import services

    today = timezone.localdate()
    published = process(
        municipality=municipality,
        phases=[{"kind": "survey", "starts_on": today - datetime.timedelta(days=2), "ends_on": today}],
    )
    with town_scope(municipality):
        survey = services.survey_create(
            process=published,
            by=None,
            fields={"title": "Umfrage", "audience": "everyone", "results_shown": results_shown},
        )
        choice = services.question_add(
            survey=survey,
            by=None,
            values=services.QuestionInput(kind="single", text="Wie oft?", options=["Täglich", "Selten"]),
        )
        services.question_add(
            survey=survey, by=None, values=services.QuestionInput(kind="short_text", text="Was fehlt?")
        )
    return {"slug": published.slug, "survey": survey, "question": choice}


def finished_town_report(municipality):
    """A finished town report of ``municipality`` with its file."""
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from municipalities.scoping import town_scope
    from reports.models import ReportRequest

    with town_scope(municipality):
        report = ReportRequest(
            municipality=municipality,
            kind="town",
            format="pdf",
            status="done",
            progress=100,
            finished_at=timezone.now(),
            expires_at=timezone.now() + datetime.timedelta(days=1),
        )
        report.file.save("report.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        report.save()
    return {"pk": report.pk}
