"""The personal account pages (profile, my data, deleting the account) and the town team page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smartcity5.ratelimit import RateLimited, check_rate
from smartcity5.responses import file_response

from . import permissions, selectors, services
from .decorators import personal, town_permission_required
from .forms import AccountDeleteForm, ProfileForm, TeamAddForm, TeamRoleForm
from .models import Membership


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
    return render(request, "accounts/overview.html", {
        "form": form,
        "memberships": selectors.user_memberships(user=request.user),
        "has_totp": permissions.has_totp(request.user),
        "needs_mfa": permissions.needs_mfa_setup(request.user),
        "mfa_next": request.session.get("mfa_next"),
    })


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
            messages.info(request, _("Your export is already being prepared. We will tell you when it is ready."))
        else:
            messages.success(request, _("Your export is being prepared. We will tell you when it is ready; this "
                                        "usually takes a few minutes."))
        return redirect("accounts:data")
    return render(request, "accounts/data.html", {
        "exports": selectors.user_data_exports(user=request.user),
        "lifetime_hours": settings.DATA_EXPORT_LIFETIME_HOURS,
    })


@personal
def data_export_download(request, pk: int):
    """The export's file, for its owner only while it is available (anyone else: 404)."""
    export = selectors.user_data_exports(user=request.user).filter(pk=pk).first()
    if export is None or not export.is_available:
        raise Http404
    response = file_response(export.file, "application/zip", private=True)
    response["Content-Disposition"] = (
        f'attachment; filename="meine-daten-{timezone.localtime(export.finished_at):%Y-%m-%d}.zip"')
    return response


@personal
def account_delete(request):
    """Delete one's own account: password again and an explicit confirmation."""
    user = request.user
    form = AccountDeleteForm(request.POST or None, user=user)
    if request.method == "POST":
        try:
            check_rate(request, "account_delete")  # each attempt counts: the password must not be guessable here
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
    return render(request, "accounts/delete.html", {
        "form": form,
        "keeps_contributions": settings.ACCOUNT_DELETION_KEEPS_CONTRIBUTIONS,
        "last_admin_towns": selectors.last_admin_towns(user=user),
    })


@town_permission_required("town.manage")
def team(request, town: str):
    municipality = request.municipality
    form = TeamAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.membership_grant(municipality=municipality, user=form.cleaned_data["user"],
                                  role=form.cleaned_data["role"], by=request.user)
        messages.success(request, _("%(name)s now has the role %(role)s.") % {
            "name": form.cleaned_data["user"], "role": dict(form.fields["role"].choices)[form.cleaned_data["role"]]})
        return redirect("team:list", town=municipality.slug)
    return render(request, "accounts/team.html",
                  {"form": form, "members": selectors.team_members(municipality=municipality)})


def _membership_or_404(request, pk: int) -> Membership:
    membership = selectors.team_members(municipality=request.municipality).filter(pk=pk).first()
    if membership is None:
        raise Http404
    return membership


@require_POST
@town_permission_required("town.manage")
def team_change_role(request, town: str, pk: int):
    membership = _membership_or_404(request, pk)
    form = TeamRoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_grant(municipality=request.municipality, user=membership.user,
                                      role=form.cleaned_data["role"], by=request.user)
            messages.success(request, _("The role has been changed."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Please choose a valid role."))
    return redirect("team:list", town=request.municipality.slug)


@require_POST
@town_permission_required("town.manage")
def team_remove(request, town: str, pk: int):
    membership = _membership_or_404(request, pk)
    try:
        services.membership_revoke(membership=membership, by=request.user)
        messages.success(request, _("%(name)s no longer belongs to the team.") % {"name": membership.user})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("team:list", town=request.municipality.slug)
