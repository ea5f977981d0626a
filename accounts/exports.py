"""The data export of one person (Datenauskunft, Art. 15 DSGVO): everything the portal holds about them, as JSON
and as a readable HTML page in one ZIP file.

It holds the person's own data and nothing about anybody else: comments by others on their ideas and other
supporters appear only as counts, official answers name the answering town, never the member of staff, and
rows the person touched as staff are listed briefly (what, where, when), without the other people in them.
Every foreign key to the user model is either read by a section below or listed in :data:`STAFF_ACTIVITY`;
``tests/accounts/test_privacy.py`` fails for a new one that is neither.
"""

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from municipalities.models import AccessibilityFeedback
from municipalities.scoping import scopes_disabled
from notifications.kinds import KINDS
from notifications.models import Notification, NotificationPreference
from participation.models import ContentFlag, OfficialAnswer, ParticipationEvent
from participation.selectors.people import user_contributions

from .models import ApiToken, DataExport, Membership, User

IMAGE_FOLDER = "bilder"


@dataclass(frozen=True)
class StaffActivity:
    """How rows a person wrote or changed as staff appear in their export: a time and a short subject that
    names the thing, never another person."""

    field: str
    time: str
    subject: Callable | None = None
    #: Only the rows that are staff work (e.g. not a citizen's own steps, which their section lists).
    where: Q = field(default_factory=Q)  # type: ignore[operator]  # `field: str` above is an annotation only


def _title(attr: str) -> Callable:
    return lambda row: str(getattr(row, attr) or "")


#: Rows keyed to the user through a foreign key that the sections of the export do not read themselves
#: ("changes you made as staff"), by model label.
STAFF_ACTIVITY: dict[str, tuple[StaffActivity, ...]] = {
    "surveys.Response": (StaffActivity("entered_by", "submitted_on", lambda r: r.survey.title),),
    "participation.Idea": (StaffActivity("entered_by", "created_at", _title("title")),),
    # A paper ballot names no voter: only the process it was entered in.
    "participation.Ballot": (StaffActivity("entered_by", "created_at", lambda b: b.process.title),),
    "participation.OfficialAnswer": (StaffActivity("author", "created_at", lambda a: a.idea.title),),
    # History entries with an acting town are staff work; those without one are the person's own participation
    # (submitting an idea), listed in the participation section (``_own_steps``).
    "participation.ParticipationEvent": (
        StaffActivity(
            "actor",
            "at",
            lambda e: f"{e.get_kind_display()}: {e.subject}" if e.subject else e.get_kind_display(),
            where=Q(acting_town__isnull=False),
        ),
    ),
    "projects.ProgressUpdate": (
        StaffActivity("author", "created_at", lambda u: f"{u.project.title}: {u.title}"),
    ),
    "projects.Measurement": (
        StaffActivity(
            "recorded_by", "created_at", lambda m: f"{m.indicator.project.title}: {m.indicator.name}"
        ),
    ),
    "projects.ProjectFile": (
        StaffActivity("uploaded_by", "uploaded_at", lambda f: f"{f.project.title}: {f.title}"),
    ),
    "projects.ProjectEvent": (
        StaffActivity(
            "actor",
            "at",
            lambda e: f"{e.project.title}: {e.get_kind_display()}" + (f" ({e.subject})" if e.subject else ""),
        ),
    ),
    "funding.Spending": (
        StaffActivity("created_by", "created_at", lambda s: f"{s.grant.title}: {s.description}"),
    ),
    "funding.DisbursementRequest": (
        StaffActivity("created_by", "created_at", lambda d: f"{d.grant.title}: {d.number}"),
        StaffActivity("submitted_by", "submitted_on", lambda d: f"{d.grant.title}: {d.number}"),
    ),
    "funding.ProofOfUse": (
        StaffActivity("submitted_by", "submitted_on", lambda p: f"{p.grant.title}: {p.get_kind_display()}"),
    ),
    "funding.FundingEvent": (
        StaffActivity(
            "actor", "at", lambda e: f"{e.grant.title}: {e.get_entity_display()} – {e.get_kind_display()}"
        ),
    ),
    # A barrier report is another person's message: only that it was handled, where and when.
    "municipalities.AccessibilityFeedback": (StaffActivity("handled_by", "handled_at"),),
    "municipalities.AuditEntry": (StaffActivity("user", "created_at", _title("purpose")),),
    "knowledge.LessonNote": (
        StaffActivity("author", "created_at", _title("title")),
        StaffActivity("updated_by", "updated_at", _title("title")),
    ),
    "reports.ReportRequest": (
        StaffActivity(
            "requested_by", "created_at", lambda r: f"{r.get_kind_display()} ({r.get_format_display()})"
        ),
    ),
    "reviews.ProgressReport": (
        StaffActivity("created_by", "created_at", lambda r: f"{r.municipality.name}: {r.label}"),
        StaffActivity("submitted_by", "submitted_at", lambda r: f"{r.municipality.name}: {r.label}"),
        StaffActivity("decided_by", "decided_at", lambda r: f"{r.municipality.name}: {r.label}"),
    ),
    "reviews.ProgressReportSection": (
        StaffActivity(
            "updated_by",
            "updated_at",
            lambda s: f"{s.report.municipality.name}: {s.report.label} – {s.field_of_action}",
        ),
    ),
    "reviews.ReviewComment": (
        StaffActivity("author", "created_at", lambda c: f"{c.report.municipality.name}: {c.report.label}"),
    ),
    "reviews.ProgressReportEvent": (
        StaffActivity(
            "actor",
            "at",
            lambda e: f"{e.report.municipality.name}: {e.report.label} – {e.get_kind_display()}",
        ),
    ),
    # An invitation names another person's address: only the town and the role.
    "accounts.StaffInvitation": (
        StaffActivity("invited_by", "created_at", lambda i: f"{i.municipality.name}: {i.get_role_display()}"),
        StaffActivity("revoked_by", "revoked_at", lambda i: f"{i.municipality.name}: {i.get_role_display()}"),
        StaffActivity(
            "accepted_by", "accepted_at", lambda i: f"{i.municipality.name}: {i.get_role_display()}"
        ),
    ),
    # The object of a platform admin's change may be another person's account: only its type.
    "admin.LogEntry": (
        StaffActivity("user", "action_time", lambda e: f"{e.content_type}: {e.get_action_flag_display()}"),
    ),
}

#: Foreign keys to the user model that the sections of the export read (model label → field names).
SECTIONS_READ: dict[str, tuple[str, ...]] = {
    "account.EmailAddress": ("user",),
    "mfa.Authenticator": ("user",),
    "accounts.Membership": ("user",),
    "accounts.DataExport": ("user",),
    "accounts.ApiToken": ("user",),
    "notifications.Notification": ("recipient",),
    "notifications.NotificationPreference": ("user",),
    "participation.Idea": ("author",),
    "participation.Comment": ("author",),
    "participation.Support": ("user",),
    "participation.Ballot": ("user",),
    "participation.ContentFlag": ("reporter",),
    "participation.ParticipationEvent": ("actor",),  # own steps here, staff work in STAFF_ACTIVITY
    "surveys.Participant": ("user",),
    "surveys.Response": ("respondent",),
}


def verified_addresses(user) -> list[str]:
    """The person's confirmed e-mail addresses: the ones that prove rows sent without an account are theirs."""
    return list(EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True))


def _email_matches(addresses: list[str]) -> Q:
    condition = Q(pk__in=[])
    for address in addresses:
        condition |= Q(email__iexact=address)
    return condition


def accessibility_feedback_of(user: "User") -> "QuerySet[AccessibilityFeedback]":
    """Barrier reports sent with one of the person's confirmed addresses, in every town (call with scopes
    disabled). An unconfirmed address may belong to somebody else, so it never counts."""
    return AccessibilityFeedback.objects.filter(_email_matches(verified_addresses(user)))


def _town(row) -> str:
    municipality = getattr(row, "municipality", None)
    return municipality.name if municipality is not None else ""


def _account(user) -> dict:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "privacy_consent_at": user.privacy_consent_at,
        "is_active": user.is_active,
        "agentur_moderator": user.is_agentur_moderator,
        "platform_admin": user.is_staff,
        # The portal stores no language per person: the choice is a cookie in the browser.
        "language": None,
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        # What kind of second factor and when it was used; never its secret.
        "two_factor": [
            {"type": a.get_type_display(), "created_at": a.created_at, "last_used_at": a.last_used_at}
            for a in Authenticator.objects.filter(user=user).order_by("created_at")
        ],
        # Personal API tokens: what identifies them in the account page's list; never their digest.
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at,
                "last_used_at": t.last_used_at,
                "expires_at": t.expires_at,
                "revoked_at": t.revoked_at,
            }
            for t in ApiToken.objects.filter(user=user).order_by("created_at", "pk")
        ],
    }


def _memberships(user) -> list[dict]:
    rows = Membership.objects.filter(user=user).select_related("municipality").order_by("municipality__name")
    return [{"town": m.municipality.name, "role": m.get_role_display(), "since": m.created_at} for m in rows]


def _notifications(user) -> dict:
    preferences = [
        {
            "kind": p.kind,
            "label": str(KINDS[p.kind].label) if p.kind in KINDS else p.kind,
            "delivery": p.get_delivery_display(),
        }
        for p in NotificationPreference.objects.filter(user=user).order_by("kind")
    ]
    notifications = [
        {
            "town": n.municipality.name,
            "kind": n.kind,
            "title": n.title,
            "text": n.body,
            "link": n.url,
            "created_at": n.created_at,
            "read_at": n.read_at,
            "emailed_at": n.emailed_at,
        }
        for n in Notification.objects.filter(recipient=user)
        .select_related("municipality")
        .order_by("-created_at", "-pk")
    ]
    return {"preferences": preferences, "notifications": notifications}


def _image_name(idea) -> str:
    return f"{IMAGE_FOLDER}/{idea.pk}{PurePosixPath(idea.image.name).suffix.lower()}" if idea.image else ""


def _participation(user) -> dict:
    own = user_contributions(user=user)
    answers: dict[int, list] = {}
    for answer in (
        OfficialAnswer.objects.filter(idea__author=user)
        .select_related("answering_town")
        .order_by("created_at", "pk")
    ):
        # The answering town, never the member of staff who wrote it.
        answers.setdefault(answer.idea_id, []).append(
            {
                "town": answer.answering_town.name,
                "status_before": answer.get_status_before_display(),
                "status_after": answer.get_status_after_display(),
                "answer": answer.body,
                "at": answer.created_at,
            }
        )
    ideas = [
        {
            "town": idea.municipality.name,
            "process": idea.process.title,
            "title": idea.title,
            "text": idea.body,
            "status": idea.get_status_display(),
            "status_changed_at": idea.status_changed_at,
            "moderation": idea.get_moderation_display(),
            "moderation_reason": idea.moderation_reason,
            "place": idea.location_label,
            "latitude": idea.latitude,
            "longitude": idea.longitude,
            "image": _image_name(idea),
            "image_description": idea.image_alt,
            "project": idea.project.title if idea.project else "",
            # A participatory budget's proposal: the author's estimate and the town's published check.
            "estimated_cost": idea.estimated_cost,
            "cost_by_the_town": idea.cost_estimate,
            "feasibility": idea.get_feasibility_display() if idea.process.is_budget else "",
            "feasibility_reason": idea.feasibility_reason,
            # Others' supports and comments only as numbers: they are other people's data.
            "supports": idea.support_count,
            "comments": idea.comment_count,
            "consent_at": idea.consent_at,
            "created_at": idea.created_at,
            "updated_at": idea.updated_at,
            "answers": answers.get(idea.pk, []),
        }
        for idea in own["ideas"]
    ]
    comments = [
        {
            "town": c.municipality.name,
            "idea": c.idea.title,
            "reply": c.parent_id is not None,
            "text": c.body,
            "moderation": c.get_moderation_display(),
            "moderation_reason": c.moderation_reason,
            "created_at": c.created_at,
            "edited_at": c.edited_at,
        }
        for c in own["comments"]
    ]
    supports = [
        {"town": s.idea.municipality.name, "idea": s.idea.title, "since": s.created_at}
        for s in own["supports"]
    ]
    votes = [
        {
            "town": v.municipality.name,
            "process": v.ballot.process.title,
            "idea": v.idea.title,
            "votes": v.count,
            "cast_at": v.ballot.created_at,
            "changed_at": v.ballot.updated_at,
        }
        for v in own["votes"]
    ]
    reports = [
        {
            "town": r.municipality.name,
            "concerns": _("idea") if r.idea_id else _("comment"),
            # A reported comment is another person's text: only the idea it was written on.
            "idea": r.idea.title if r.idea_id else r.comment.idea.title,  # type: ignore[union-attr]  # one is set
            "reason": r.get_reason_display(),
            "note": r.note,
            "created_at": r.created_at,
            "reviewed_at": r.resolved_at,
        }
        for r in ContentFlag.objects.filter(reporter=user)
        .select_related("municipality", "idea", "comment__idea")
        .order_by("-created_at", "-pk")
    ]
    return {
        "ideas": ideas,
        "comments": comments,
        "supports": supports,
        "votes": votes,
        "reports": reports,
        "steps": _own_steps(user),
    }


def _answer_text(answer) -> str:
    if answer.row_id:
        return f"{answer.row.label}: {answer.option.label}"
    if answer.option_id:
        return f"{answer.number}. {answer.option.label}" if answer.number else answer.option.label
    return str(answer.number) if answer.number is not None else answer.text


def _surveys(user) -> list[dict]:
    """The surveys the person took part in, and their answers where the survey was not anonymous: an anonymous
    survey keeps no link between a person and their answers, so there are none to give."""
    from surveys.models import Answer, Participant

    answers: dict[int, list[dict]] = {}
    for answer in (
        Answer.objects.filter(response__respondent=user)
        .select_related("question", "option", "row")
        .order_by("response__survey", "question__position", "question", "number", "pk")
    ):
        answers.setdefault(answer.response.survey_id, []).append(
            {"question": answer.question.text, "answer": _answer_text(answer)}
        )
    return [
        {
            "town": taken.survey.municipality.name,
            "process": taken.survey.process.title,
            "survey": taken.survey.title,
            "version": taken.survey.version,
            "anonymous": taken.survey.is_anonymous,
            "answers": answers.get(taken.survey_id, []),
        }
        for taken in Participant.objects.filter(user=user)
        .select_related("survey__process", "survey__municipality")
        .order_by("pk")
    ]


def _own_steps(user) -> list[dict]:
    """The history entries of the person's own participation (e.g. "Idea submitted"): entries without an acting
    town. Staff work, which always acts for a town, is under "Changes you made as staff"."""
    rows = (
        ParticipationEvent.objects.filter(actor=user, acting_town__isnull=True)
        .select_related("municipality")
        .order_by("-at", "-pk")
    )
    return [
        {"town": e.municipality.name, "what": e.get_kind_display(), "subject": e.subject, "at": e.at}
        for e in rows
    ]


def _accessibility_feedback(user) -> list[dict]:
    return [
        {
            "town": f.municipality.name,
            "page": f.page_url,
            "message": f.message,
            "email": f.email,
            "received_at": f.created_at,
            "status": f.get_status_display(),
        }
        for f in accessibility_feedback_of(user).select_related("municipality").order_by("-created_at", "-pk")
    ]


def _staff_activity(user) -> list[dict]:
    entries = []
    for label, activities in STAFF_ACTIVITY.items():
        try:
            model = apps.get_model(label)
        except LookupError:  # an optional app (the Django admin) is not installed
            continue
        for activity in activities:
            for row in model._default_manager.filter(activity.where, **{activity.field: user}).order_by("pk"):
                entries.append(
                    {
                        "what": str(model._meta.verbose_name),
                        "role": str(model._meta.get_field(activity.field).verbose_name),
                        "town": _town(row),
                        "at": getattr(row, activity.time),
                        "subject": activity.subject(row) if activity.subject else "",
                    }
                )
    entries.sort(key=lambda e: (str(e["at"] or ""), e["what"]), reverse=True)
    return entries


def _exports(user) -> list[dict]:
    return [
        {"requested_at": e.created_at, "status": e.get_status_display(), "available_until": e.expires_at}
        for e in DataExport.objects.filter(user=user).order_by("-created_at")
    ]


def user_data(*, user) -> dict:
    """Everything the portal holds about ``user``, as JSON-ready data.

    Reads the person's own rows in every town with scopes disabled (own data only, like
    ``participation.selectors.people.user_contributions``), so no audit entry.
    """
    with scopes_disabled():
        return {
            "generated_at": timezone.now(),
            "account": _account(user),
            "memberships": _memberships(user),
            **_notifications(user),
            "participation": _participation(user),
            "surveys": _surveys(user),
            "accessibility_feedback": _accessibility_feedback(user),
            "staff_activity": _staff_activity(user),
            "data_exports": _exports(user),
        }


def _images(user) -> list[tuple[str, bytes]]:
    from participation.models import Idea

    files = []
    with scopes_disabled():
        for idea in Idea.objects.filter(author=user).exclude(image="").order_by("pk"):
            try:
                with idea.image.open("rb") as handle:
                    files.append((_image_name(idea), handle.read()))
            except (FileNotFoundError, OSError):
                continue  # a lost file: the export lists the idea without it
    return files


def data_export_archive(*, user, language: str = "") -> bytes:
    """The ZIP file of a person's data export: ``daten.json``, ``daten.html`` (the same, readable) and the images
    of their ideas."""
    with translation.override(language or settings.LANGUAGE_CODE):
        data = user_data(user=user)
        page = render_to_string("accounts/export/data.html", {"data": data})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("daten.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        archive.writestr("daten.html", page)
        for name, content in _images(user):
            archive.writestr(name, content)
    return buffer.getvalue()
