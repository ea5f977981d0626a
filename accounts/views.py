"""The personal account pages (profile, my data, API tokens, deleting the account) and the town team page."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from smartcity5.forms import add_errors
from smartcity5.jobs import job_download
from smartcity5.ratelimit import RateLimited, check_rate

from . import permissions, selectors, services
from .decorators import personal, public, town_permission_required
from .forms import AccountDeleteForm, InvitationAccountForm, ProfileForm, TeamInviteForm, TeamRoleForm
from .models import ApiToken, Membership, Role, StaffInvitation, User


@personal
def overview(request):
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:overview")
    else:
        form = ProfileForm(instance=request.user)
    return render(
        request,
        "accounts/overview.html",
        {
            "form": form,
            "memberships": selectors.user_memberships(user=request.user),
            "has_totp": permissions.has_totp(request.user),
            "needs_mfa": permissions.needs_mfa_setup(request.user),
            "mfa_next": request.session.get("mfa_next"),
        },
    )


@personal
def data(request):
    """Meine Daten: ask for an export of everything about oneself, see earlier ones, download the ready one."""
    if request.method == "POST":
        try:
            check_rate(request, "data_export")
        except RateLimited as error:
            messages.error(request, str(error))
            return redirect("accounts:data")
        _export, created = services.data_export_request(user=request.user)
        if not created:
            messages.info(
                request, _("Your export is already being prepared. We will tell you when it is ready.")
            )
        else:
            messages.success(
                request,
                _(
                    "Your export is being prepared. We will tell you when it is ready; this "
                    "usually takes a few minutes."
                ),
            )
        return redirect("accounts:data")
    return render(
        request,
        "accounts/data.html",
        {
            "exports": selectors.user_data_exports(user=request.user),
            "lifetime_hours": settings.DATA_EXPORT_LIFETIME_HOURS,
        },
    )


@personal
def data_export_download(request, pk: int):
    """The export's file, for its owner only while it is available (anyone else: 404)."""
    export = selectors.user_data_exports(user=request.user).filter(pk=pk).first()
    if export is None:
        raise Http404
    return job_download(export)


# Kept here rather than in forms.py for now (a shared file of the parallel API work); move it there later.
class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=gettext_lazy("What the token is for, e.g. the integration that uses it."),
    )
    lifetime_days = forms.TypedChoiceField(
        label=gettext_lazy("Valid for"),
        coerce=int,
        initial=ApiToken.DEFAULT_LIFETIME_DAYS,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per form, in the language of the request.
        self.fields["lifetime_days"].choices = [
            (days, ngettext("%(days)d day", "%(days)d days", days) % {"days": days})
            for days in ApiToken.LIFETIME_DAYS
        ]


def _api_tokens_page(request, **context):
    user = request.user
    if "refusal" not in context:
        context["refusal"] = services.api_token_refusal(user)
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "tokens": selectors.user_api_tokens(user=user),
            "needs_mfa": permissions.needs_mfa_setup(user),
            "max_active": ApiToken.MAX_ACTIVE,
            **context,
        },
    )


@personal
def api_tokens(request):
    """Persönliche API-Schlüssel: the person's tokens and the form to make one. The new secret is shown once, on
    the answer to the form (never stored, never put into a message cookie, not cacheable)."""
    refusal = services.api_token_refusal(request.user)
    form = ApiTokenForm(request.POST or None)
    if request.method != "POST":
        return _api_tokens_page(request, form=form, refusal=refusal)
    if refusal:
        raise PermissionDenied(refusal)
    if form.is_valid():
        try:
            token, secret = services.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                lifetime_days=form.cleaned_data["lifetime_days"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            response = _api_tokens_page(
                request, form=ApiTokenForm(), refusal=None, new_token=token, new_secret=secret
            )
            add_never_cache_headers(response)  # the secret must not stay in any cache
            return response
    return _api_tokens_page(request, form=form, refusal=refusal)


@require_POST
@personal
def api_token_revoke(request, pk: int):
    """Revoke one's own token (anyone else's: 404). The first POST asks for confirmation, the second revokes."""
    token = selectors.user_api_tokens(user=request.user).filter(pk=pk).first()
    if token is None:
        raise Http404
    if request.POST.get("confirm") != "yes":
        return _api_tokens_page(request, revoking=token)
    services.api_token_revoke(token=token, by=request.user)
    messages.success(
        request,
        _("The token “%(name)s” has been revoked. Requests with it are refused from now on.")
        % {"name": token.name},
    )
    return redirect("accounts:api-tokens")


@personal
def account_delete(request):
    """Delete one's own account: password again and an explicit confirmation."""
    user = request.user
    form = AccountDeleteForm(request.POST or None, user=user)
    if request.method == "POST":
        try:
            check_rate(
                request, "account_delete"
            )  # each attempt counts: the password must not be guessable here
        except RateLimited as error:
            messages.error(request, str(error))
            return redirect("accounts:delete")
        if form.is_valid():
            try:
                services.account_delete(user=user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                logout(request)
                messages.success(request, _("Your account and your personal data have been deleted."))
                return redirect("region-home")
    return render(
        request,
        "accounts/delete.html",
        {
            "form": form,
            "keeps_contributions": settings.ACCOUNT_DELETION_KEEPS_CONTRIBUTIONS,
            "last_admin_towns": selectors.last_admin_towns(user=user),
        },
    )


def _team_page(request, form, status: int = 200):
    municipality = request.municipality
    return render(
        request,
        "accounts/team.html",
        {
            "form": form,
            "role_choices": Role.choices,
            "members": selectors.team_members(municipality=municipality),
            "invitations": selectors.team_invitations(municipality=municipality),
        },
        status=status,
    )


@town_permission_required("town.manage")
def team(request, town_slug: str):
    """The town's team: members with their roles, and invitations (pending ones can be sent again or withdrawn,
    accepted and withdrawn ones stay as the history)."""
    municipality = request.municipality
    form = TeamInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check_rate(request, "staff_invite")
            invitation = services.invitation_create(
                municipality=municipality,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.user,
            )
        except RateLimited as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("The invitation to %(email)s is on its way. It is valid for %(days)d days.")
                % {"email": invitation.email, "days": invitation.LIFETIME_DAYS},
            )
            return redirect("team:list", town_slug=municipality.slug)
    return _team_page(request, form, status=400 if form.errors else 200)


def _invitation_or_404(request, pk: int) -> StaffInvitation:
    invitation = StaffInvitation.objects.filter(municipality=request.municipality, pk=pk).first()
    if invitation is None:
        raise Http404
    return invitation


@require_POST
@town_permission_required("town.manage")
def team_invitation_resend(request, town_slug: str, pk: int):
    invitation = _invitation_or_404(request, pk)
    try:
        check_rate(request, "staff_invite")
        services.invitation_resend(invitation=invitation, by=request.user)
    except (RateLimited, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(
            request,
            _("The invitation to %(email)s has been sent again; the earlier link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("team:list", town_slug=request.municipality.slug)


@require_POST
@town_permission_required("town.manage")
def team_invitation_revoke(request, town_slug: str, pk: int):
    invitation = _invitation_or_404(request, pk)
    try:
        services.invitation_revoke(invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The invitation to %(email)s has been withdrawn; its link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("team:list", town_slug=request.municipality.slug)


def _membership_or_404(request, pk: int) -> Membership:
    membership = selectors.team_members(municipality=request.municipality).filter(pk=pk).first()
    if membership is None:
        raise Http404
    return membership


@require_POST
@town_permission_required("town.manage")
def team_change_role(request, town_slug: str, pk: int):
    membership = _membership_or_404(request, pk)
    form = TeamRoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_grant(
                municipality=request.municipality,
                user=membership.user,
                role=form.cleaned_data["role"],
                by=request.user,
            )
            messages.success(request, _("The role has been changed."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Please choose a valid role."))
    return redirect("team:list", town_slug=request.municipality.slug)


@require_POST
@town_permission_required("town.manage")
def team_remove(request, town_slug: str, pk: int):
    membership = _membership_or_404(request, pk)
    try:
        services.membership_revoke(membership=membership, by=request.user)
        messages.success(request, _("%(name)s no longer belongs to the team.") % {"name": membership.user})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("team:list", town_slug=request.municipality.slug)


# --- Accepting an invitation (/einladung/<token>/) ---------------------------------------------------------------


def _invitation_page(request, invitation, step: str, status: int = 200, **context):
    return render(
        request,
        "accounts/invitation.html",
        {
            "invitation": invitation,
            "step": step,
            "town": invitation.municipality if invitation else None,
            **context,
        },
        status=status,
    )


def _totp_context(request, form) -> dict:
    import base64

    from allauth.mfa.adapter import get_adapter as get_mfa_adapter

    adapter = get_mfa_adapter()
    url = adapter.build_totp_url(request.user, form.secret)
    svg = adapter.build_totp_svg(url)
    return {
        "totp_form": form,
        "totp_secret": form.secret,
        "totp_url": url,
        "totp_svg_data_uri": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
    }


@public
def invitation_accept(request, token: str):
    """Einladung annehmen, in steps that follow from who is here: a person without an account makes one (the
    link confirms the address); a person with one signs in; then two-factor authentication is set up on this page;
    then the role is given. Broken, expired, used and withdrawn links say so and what to do."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.account.internal.flows.reauthentication import is_reauthentication_required
    from allauth.mfa.totp.forms import ActivateTOTPForm
    from allauth.mfa.totp.internal.flows import activate_totp
    from django.contrib.auth import login
    from django.contrib.auth.views import redirect_to_login

    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        return _invitation_page(request, None, "invalid", status=404)
    try:
        services.invitation_check_usable(invitation)
    except ValidationError as error:
        return _invitation_page(
            request, invitation, "unusable", status=410, problem=error.messages[0], code=error.code
        )
    user = request.user
    here = request.get_full_path()
    if not user.is_authenticated:
        if User.objects.filter(email__iexact=invitation.email).exists():
            return _invitation_page(request, invitation, "sign_in", login_url=redirect_to_login(here).url)
        form = InvitationAccountForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                check_rate(request, "invitation_accept")
                user = services.invitation_account_create(
                    invitation=invitation,
                    display_name=form.cleaned_data["display_name"],
                    password=form.cleaned_data["password1"],
                )
            except RateLimited as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                add_errors(form, error)
            else:
                login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
                # The password was chosen a moment ago: it counts as the fresh sign-in allauth asks for before a
                # second factor is added.
                record_authentication(
                    request, user, method="password", email=user.email, reauthenticated=True
                )
                return redirect(here)
        return _invitation_page(request, invitation, "create", status=400 if form.errors else 200, form=form)
    if user.email.lower() != invitation.email.lower():
        return _invitation_page(request, invitation, "other_account")
    if not permissions.has_totp(user):
        if is_reauthentication_required(request, app="allauth.mfa"):
            return redirect(f"{reverse('account_reauthenticate')}?{urlencode({'next': here})}")
        form = ActivateTOTPForm(request.POST or None, user=user)
        if request.method == "POST" and form.is_valid():
            activate_totp(request, form)
            return _accept(request, invitation, then="mfa_view_recovery_codes")
        return _invitation_page(
            request, invitation, "mfa", status=400 if form.errors else 200, **_totp_context(request, form)
        )
    if request.method == "POST":
        return _accept(request, invitation)
    return _invitation_page(request, invitation, "accept")


def _accept(request, invitation, then: str = ""):
    try:
        check_rate(request, "invitation_accept")
        services.invitation_accept(invitation=invitation, user=request.user)
    except (RateLimited, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(request.get_full_path())
    messages.success(
        request,
        _("Welcome to the team of %(town)s: you now have the role “%(role)s”.")
        % {"town": invitation.municipality.official_name, "role": invitation.get_role_display()},
    )
    if then:
        messages.info(
            request,
            _(
                "Please keep these recovery codes in a safe place: with one of them you can sign "
                "in if you lose your phone."
            ),
        )
        return redirect(then)
    return redirect("agentur:staff-dashboard", town_slug=invitation.municipality.slug)
