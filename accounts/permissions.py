"""Every permission rule of the portal, in one place.

Roles:
* **citizen**: any signed-in user with a verified e-mail address;
* **town staff**: a :class:`~accounts.models.Membership` in a town as viewer, editor or admin
  (higher roles include the lower ones); a user may serve several towns;
* **Agentur moderator** (``User.is_agentur_moderator``): reads all towns and moderates, but never edits
  a town's funding data;
* **platform admin** (``User.is_staff``): the Django admin.

Staff, moderators and platform admins must have TOTP two-factor authentication before they reach any
non-public page (:func:`needs_mfa_setup`). Views name a rule from :data:`RULES`; they never test
roles themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from municipalities.models import Municipality

from .models import ROLE_RANK, Membership, Role, User
from .selectors import user_api_tokens, user_memberships

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django_stubs_ext import StrOrPromise

    from funding.models import Grant
    from knowledge.models import LessonNote
    from participation.models import Idea, Process
    from projects.models import ProgressUpdate, Project, ProjectFile

#: Whom a rule is asked about: a signed-in user or the anonymous one of a request.
AnyUser: TypeAlias = User | AnonymousUser


def membership_for(user: AnyUser, municipality: Municipality) -> Membership | None:
    """The user's membership in one town, cached on the user object for the request."""
    if not user.is_authenticated:
        return None
    cache: dict[int, Membership | None] = user.__dict__.setdefault("_membership_cache", {})
    if municipality.pk not in cache:
        # An explicit single-town lookup: safe in any scope, including none.
        cache[municipality.pk] = (
            Membership.objects.with_scope(municipality=municipality.pk).filter(user=user).first()
        )
    return cache[municipality.pk]


def has_role(user: AnyUser, municipality: Municipality, role: str) -> bool:
    membership = membership_for(user, municipality)
    return membership is not None and ROLE_RANK[Role(membership.role)] >= ROLE_RANK[Role(role)]


def is_verified_citizen(user: AnyUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    cache: dict[str, bool] = user.__dict__
    if "_verified_cache" not in cache:
        cache["_verified_cache"] = EmailAddress.objects.filter(user=user, verified=True).exists()
    return cache["_verified_cache"]


def is_agentur_moderator(user: AnyUser) -> bool:
    return user.is_authenticated and user.is_active and user.is_agentur_moderator


def has_totp(user: AnyUser) -> bool:
    return user.is_authenticated and is_mfa_enabled(user, [Authenticator.Type.TOTP])


def holds_privileged_role(user: AnyUser) -> bool:
    """Staff of any town, Agentur moderator or platform admin: accounts that must use MFA."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_agentur_moderator:
        return True
    return user_memberships(user=user).exists()


def needs_mfa_setup(user: AnyUser) -> bool:
    return holds_privileged_role(user) and not has_totp(user)


# --- Rules: (user, municipality) -> bool --------------------------------------------------------


def can_view_staff_area(user: AnyUser, municipality: Municipality) -> bool:
    return has_role(user, municipality, Role.VIEWER) or is_agentur_moderator(user)


def can_edit_town_content(user: AnyUser, municipality: Municipality) -> bool:
    return has_role(user, municipality, Role.EDITOR)


def can_manage_town(user: AnyUser, municipality: Municipality) -> bool:
    """Team and town settings."""
    return has_role(user, municipality, Role.ADMIN)


def can_moderate(user: AnyUser, municipality: Municipality) -> bool:
    return has_role(user, municipality, Role.EDITOR) or is_agentur_moderator(user)


def can_view_funding(user: AnyUser, municipality: Municipality) -> bool:
    return has_role(user, municipality, Role.VIEWER) or is_agentur_moderator(user)


def can_edit_funding(user: AnyUser, municipality: Municipality) -> bool:
    # Moderators read funding data but never change it.
    return has_role(user, municipality, Role.EDITOR)


def can_approve_funding(user: AnyUser, municipality: Municipality) -> bool:
    return has_role(user, municipality, Role.ADMIN)


def can_change_grant_terms(user: AnyUser, municipality: Municipality) -> bool:
    """Record a grant or change its terms (``funding.services.GRANT_TERMS``: approval date, period, phases,
    eligible costs, funding rate): the town's admins only. Editors keep the grant's other data up to date."""
    return has_role(user, municipality, Role.ADMIN)


def can_write_knowledge(user: AnyUser, municipality: Municipality) -> bool:
    """Write lessons-learned notes: the town's editors (for their town), moderators (for the region)."""
    return has_role(user, municipality, Role.EDITOR) or is_agentur_moderator(user)


def can_participate(user: AnyUser, municipality: Municipality) -> bool:
    return is_verified_citizen(user)


def can_view_progress_reports(user: AnyUser, municipality: Municipality) -> bool:
    """The town's quarterly progress reports and their review: the town's staff and moderators."""
    return has_role(user, municipality, Role.VIEWER) or is_agentur_moderator(user)


def can_prepare_progress_report(user: AnyUser, municipality: Municipality) -> bool:
    # Editors generate the draft, write the texts and submit it: the report is the staff's account of their own
    # work, and the Agentur's review is the check. Moderators never write a town's report.
    return has_role(user, municipality, Role.EDITOR)


def can_review_progress_reports(user: AnyUser) -> bool:
    """Comment on, accept or return a submitted report: Agentur moderators only."""
    return is_agentur_moderator(user)


RULES: dict[str, Callable[..., bool]] = {
    "town.view_staff_area": can_view_staff_area,
    "town.edit_content": can_edit_town_content,
    "town.manage": can_manage_town,
    "town.moderate": can_moderate,
    "funding.view": can_view_funding,
    "funding.edit": can_edit_funding,
    "funding.approve": can_approve_funding,
    "funding.change_terms": can_change_grant_terms,
    "participation.participate": can_participate,
    "knowledge.write": can_write_knowledge,
    "reviews.view": can_view_progress_reports,
    "reviews.prepare": can_prepare_progress_report,
}

#: The town role each staff rule needs at least (the Agentur's moderators pass some of them too). The 403 page
#: names it, and who grants it.
RULE_ROLES: dict[str, str] = {
    "town.view_staff_area": Role.VIEWER,
    "town.edit_content": Role.EDITOR,
    "town.manage": Role.ADMIN,
    "town.moderate": Role.EDITOR,
    "funding.view": Role.VIEWER,
    "funding.edit": Role.EDITOR,
    "funding.approve": Role.ADMIN,
    "funding.change_terms": Role.ADMIN,
    "knowledge.write": Role.EDITOR,
    "reviews.view": Role.VIEWER,
    "reviews.prepare": Role.EDITOR,
}


class RoleRequired(PermissionDenied):
    """A 403 for the town's own staff whose role is too low: it carries the role that would allow the action
    (and the town), so that the 403 page (``smartcity5.errors.permission_denied``) can say which role is
    needed and who grants it. Raised by ``town_permission_required`` and by the views' own checks."""

    def __init__(
        self, *, role: str, municipality: Municipality | None = None, message: StrOrPromise | None = None
    ) -> None:
        self.role = Role(role)
        self.municipality = municipality
        super().__init__(message or _("Your role does not allow this."))


def town_allows(request: HttpRequest, rule: str) -> bool:
    """Whether the request's user may use what ``rule`` guards in the request's town (a missing second factor
    only sends them to set it up first): templates ask this before they show a link (the ``allows`` filter
    of ``accounts.templatetags.access``), so nobody is offered a page that answers 403."""
    municipality = getattr(request, "municipality", None)
    if municipality is None:
        return False
    return town_access(request.user, rule, municipality) in (ALLOWED, NEEDS_MFA)


# Rules that belong to town staff and moderators; they require MFA.
PRIVILEGED_RULES = frozenset(RULES) - {"participation.participate"}


# --- Project rules: (user, project) -> bool --------------------------------------------------------
# A joint project belongs to its lead town; its partner towns see it and may contribute updates.


def _project_towns(project: Project) -> list[Municipality]:
    return [project.municipality, *project.partner_towns.all()]


def can_edit_project(user: AnyUser, project: Project) -> bool:
    """Change the project itself (data, status, KPIs, files): editors of the lead town."""
    return has_role(user, project.municipality, Role.EDITOR)


def can_post_project_update(user: AnyUser, project: Project) -> bool:
    """Post progress updates: editors of the lead town or of a partner town."""
    return any(has_role(user, town, Role.EDITOR) for town in _project_towns(project))


def can_change_project_update(user: AnyUser, update: ProgressUpdate) -> bool:
    """Edit or delete an update: editors of the lead town, or of the town that posted it."""
    return can_edit_project(user, update.project) or has_role(user, update.municipality, Role.EDITOR)


def can_view_internal_project(user: AnyUser, project: Project) -> bool:
    """See internal projects, internal updates and files: staff of a participating town, moderators."""
    return is_agentur_moderator(user) or any(
        has_role(user, town, Role.VIEWER) for town in _project_towns(project)
    )


# --- Participation rules: (user, process or idea) -> bool -------------------------------------------------
# A joint process belongs to its lead town; its partner towns show it and answer its ideas.


def _process_towns(process: Process) -> list[Municipality]:
    return [process.municipality, *process.partner_towns.all()]


def can_manage_process(user: AnyUser, process: Process) -> bool:
    """Change a process (texts, phases, partner towns): editors of the lead town."""
    return has_role(user, process.municipality, Role.EDITOR)


def can_see_unpublished_process(user: AnyUser, process: Process) -> bool:
    """See a process before it is published: staff of a participating town, moderators."""
    return is_agentur_moderator(user) or any(
        has_role(user, town, Role.VIEWER) for town in _process_towns(process)
    )


def can_answer_in_process(user: AnyUser, process: Process, municipality: Municipality | None = None) -> bool:
    """Official answers, status, shortlist, project link, offline ideas and comments written for a town: editors
    of a participating town. With ``municipality``, in that town's name: its editors, if it takes part in the process."""
    towns = _process_towns(process)
    if municipality is not None:
        return any(t.pk == municipality.pk for t in towns) and has_role(user, municipality, Role.EDITOR)
    return any(has_role(user, t, Role.EDITOR) for t in towns)


def can_answer_idea(user: AnyUser, idea: Idea, municipality: Municipality | None = None) -> bool:
    """:func:`can_answer_in_process` for the idea's process."""
    return can_answer_in_process(user, idea.process, municipality)


# --- Knowledge rules: (user, note) -> bool --------------------------------------------------------------
# Every note is read by the staff of all towns and the moderators (town.view_staff_area in any town).


def can_edit_lesson_note(user: AnyUser, note: LessonNote) -> bool:
    """Change a lessons-learned note: its author, editors of the town that wrote it, moderators."""
    if is_agentur_moderator(user):
        return True
    if user.is_authenticated and note.author_id == user.pk:
        return True
    return note.municipality_id is not None and has_role(user, note.municipality, Role.EDITOR)  # type: ignore[arg-type]  # set: municipality_id checked


def lesson_note_town(user: AnyUser, municipality: Municipality) -> Municipality | None:
    """Whom a note written in ``municipality``'s staff area is for: the town, when its editor writes it; the
    region (None) when a moderator who is not among the town's editors writes it."""
    return municipality if has_role(user, municipality, Role.EDITOR) else None


def can_write_lesson_note(user: AnyUser, municipality: Municipality | None) -> bool:
    """Write a note for ``municipality`` (its editors) or for the region (None: moderators)."""
    if municipality is None:
        return is_agentur_moderator(user)
    return has_role(user, municipality, Role.EDITOR)


# --- Rules on one object, for templates: {% may "idea.answer" idea as can_answer %} -----------------------


def _grant_town(grant: Grant, municipality: Municipality | None) -> Municipality:
    """The grant's town: the request's, when it is the grant's (no query), else the grant's own."""
    return (
        municipality
        if municipality is not None and municipality.pk == grant.municipality_id
        else grant.municipality
    )


def can_change_grant(user: AnyUser, grant: Grant | None, municipality: Municipality | None = None) -> bool:
    """Change a grant's data and rows (``funding.services.grant_for_change``): the town's editors."""
    return grant is not None and can_edit_funding(user, _grant_town(grant, municipality))


def can_submit_for_grant(
    user: AnyUser, grant: Grant | None, municipality: Municipality | None = None
) -> bool:
    """Submit a grant's requests and proofs to the funder (``funding.services.grant_for_submission``): admins."""
    return grant is not None and can_approve_funding(user, _grant_town(grant, municipality))


def can_change_terms_of_grant(
    user: AnyUser, grant: Grant | None, municipality: Municipality | None = None
) -> bool:
    """Change a grant's terms (``funding.services.grant_change``): the town's admins."""
    return grant is not None and can_change_grant_terms(user, _grant_town(grant, municipality))


def can_open_public_project_page(user: AnyUser, project: Project | None) -> bool:
    """Link to a project's public page: it exists for public projects only (internal ones have staff pages)."""
    return project is not None and project.visibility == project.Visibility.PUBLIC


def is_project_file_for_everyone(project: Project, item: ProjectFile) -> bool:
    """Whether everyone may read a project's file (a public file of a public project), so that shared caches may
    keep it; any other file is sent only to the people allowed to see it, and kept by nobody else."""
    return item.is_public and project.visibility == project.Visibility.PUBLIC


#: The rules a template may ask about one object (``accounts.templatetags.access.may``); the town, when the
#: rule takes one, is the request's. Each is the function the view's service asks.
OBJECT_RULES: dict[str, Callable[..., bool]] = {
    "idea.answer": can_answer_idea,
    "process.manage": lambda user, process, town: can_manage_process(user, process),
    "project.edit": lambda user, project, town: can_edit_project(user, project),
    "project.post_update": lambda user, project, town: can_post_project_update(user, project),
    "project.view_internal": lambda user, project, town: can_view_internal_project(user, project),
    "project_update.change": lambda user, update, town: can_change_project_update(user, update),
    "project.public_page": lambda user, project, town: can_open_public_project_page(user, project),
    "lesson_note.edit": lambda user, note, town: can_edit_lesson_note(user, note),
    "lesson_note.write_for_town": lambda user, town_, town: lesson_note_town(user, town_) is not None,
    "process.answer": can_answer_in_process,
    "grant.change": can_change_grant,
    "grant.submit": can_submit_for_grant,
    "grant.change_terms": can_change_terms_of_grant,
    # The link only; the Agentur's pages send a moderator without a second factor to set it up first.
    "agentur.enter": lambda user, _obj, town: is_agentur_moderator(user),
    "account.api_tokens": lambda user, _obj, town: can_open_api_tokens(user),
}


def object_allows(user: AnyUser, rule: str, obj: Any, municipality: Municipality | None = None) -> bool:
    """Whether ``user`` may do what ``rule`` of :data:`OBJECT_RULES` guards on ``obj`` (in ``municipality``), or, for a
    town rule of :data:`RULES`, what it guards in the town ``obj`` (its role, as the services ask; the second
    factor is the pages' decorators' business)."""
    if user is None:
        return False
    if rule in OBJECT_RULES:
        return bool(OBJECT_RULES[rule](user, obj, municipality))
    return obj is not None and has_perm(user, rule, obj)


def require(allowed: bool, message: StrOrPromise | None = None) -> None:
    """The services' one way to refuse a caller: :class:`PermissionDenied` (a 403 on pages and in the API)."""
    if not allowed:
        raise PermissionDenied(message or _("Your role does not allow this."))


def has_perm(user: AnyUser, rule: str, municipality: Municipality) -> bool:
    return RULES[rule](user, municipality)


def is_related_to_town(user: AnyUser, municipality: Municipality) -> bool:
    """Staff of the town or a moderator: such users see 403 for missing rights; others see 404."""
    return membership_for(user, municipality) is not None or is_agentur_moderator(user)


# What a request may do with a town rule: the HTML decorator and the API permission turn these into a
# redirect or a status code, so both answer the same user the same way.
ALLOWED = "allowed"
SIGN_IN = "sign-in"  # anonymous
CONFIRM_EMAIL = "confirm-email"  # signed in, but no verified e-mail address for taking part
DENIED = "denied"  # related to the town (staff, moderator), but the role does not allow it: 403
HIDDEN = "hidden"  # no relation to the town: 404, so that not-allowed looks like not-found
NEEDS_MFA = "needs-mfa"  # allowed, but a privileged rule without TOTP set up


def town_access(user: AnyUser, rule: str, municipality: Municipality) -> str:
    if not user.is_authenticated:
        return SIGN_IN
    if not has_perm(user, rule, municipality):
        if rule == "participation.participate":
            return CONFIRM_EMAIL
        return DENIED if is_related_to_town(user, municipality) else HIDDEN
    if rule in PRIVILEGED_RULES and not has_totp(user):
        return NEEDS_MFA
    return ALLOWED


def agentur_access(user: AnyUser) -> str:
    """What a request may do on the Agentur's cross-town pages and API: moderators with TOTP only; others do
    not learn that the pages exist (HIDDEN)."""
    if not user.is_authenticated:
        return SIGN_IN
    if not is_agentur_moderator(user):
        return HIDDEN
    return ALLOWED if has_totp(user) else NEEDS_MFA


def is_cross_town_read(user: AnyUser, municipality: Municipality) -> bool:
    """A moderator acting in a town without belonging to it: such reads are audited."""
    return membership_for(user, municipality) is None and is_agentur_moderator(user)


# --- Platform-wide -----------------------------------------------------------------------------------


def can_read_all_towns(user: AnyUser) -> bool:
    return is_agentur_moderator(user) and has_totp(user)


def can_use_platform_admin(user: AnyUser) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff and has_totp(user)


def can_use_api_tokens(user: AnyUser) -> bool:
    """Hold personal API tokens and call the API with them: staff of a town, moderators and platform admins
    (:func:`holds_privileged_role`), with TOTP set up. Checked when a token is made and on every request
    that uses one, so a person who loses the role or the second factor loses the tokens' access too."""
    return user.is_authenticated and user.is_active and holds_privileged_role(user) and has_totp(user)


def can_open_api_tokens(user: AnyUser) -> bool:
    """The personal API tokens page (the link to it on the account page): those who may make tokens
    (:func:`can_use_api_tokens`), and those who still have some to revoke after losing that right."""
    return can_use_api_tokens(user) or (isinstance(user, User) and user_api_tokens(user=user).exists())
