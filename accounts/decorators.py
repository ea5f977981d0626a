"""View decorators that apply the rules of :mod:`accounts.permissions` and label each view's access
level (``view.access``), which the cross-tenant matrix test reads for every URL."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from . import permissions

PUBLIC = "public"
PERSONAL = "personal"  # any signed-in user, own data only
CITIZEN = "citizen"  # verified citizens, town content
STAFF = "staff"  # a rule of accounts.permissions for the request's town
AGENTUR = "agentur"  # cross-town reads for Agentur moderators


def public(view):
    view.access = PUBLIC
    return view


def redirect_to_mfa_setup(request, message: str | None = None):
    """Send a privileged user without TOTP to set it up, remembering where they wanted to go."""
    messages.warning(
        request,
        message
        or _(
            "Please set up two-factor authentication first. Staff pages are "
            "only available with a second factor."
        ),
    )
    request.session["mfa_next"] = request.get_full_path()
    return redirect("mfa_activate_totp")


def personal(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.access = PERSONAL
    return wrapper


def town_permission_required(rule: str):
    """Allow the view only to users for whom ``rule`` holds in ``request.municipality``.

    Anonymous users go to the login page. Users with no relation to the town get 404 (not-found and
    not-allowed look the same); the town's own staff without the right role get 403. Privileged rules
    also require TOTP set up, else the user is sent to set it up.
    """
    if rule not in permissions.RULES:
        raise ValueError(f"Unknown permission rule {rule!r}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            municipality = request.municipality
            access = permissions.town_access(request.user, rule, municipality)
            if access == permissions.SIGN_IN:
                return redirect_to_login(request.get_full_path())
            if access == permissions.CONFIRM_EMAIL:
                # The only thing missing is a confirmed e-mail address: say so and show where to do it.
                messages.info(
                    request,
                    _(
                        "Please confirm your e-mail address first; we have sent you a link. "
                        "Then you can take part."
                    ),
                )
                return redirect("account_email")
            if access == permissions.DENIED:
                raise permissions.RoleRequired(role=permissions.RULE_ROLES[rule], municipality=municipality)
            if access == permissions.HIDDEN:
                raise Http404
            if access == permissions.NEEDS_MFA:
                return redirect_to_mfa_setup(request)
            if permissions.is_cross_town_read(request.user, municipality):
                audit_moderator_visit(request, municipality)
            return view(request, *args, **kwargs)

        wrapper.access = STAFF if rule in permissions.PRIVILEGED_RULES else CITIZEN
        wrapper.rule = rule
        return wrapper

    return decorator


def audit_moderator_visit(request, municipality) -> None:
    """A moderator reads a town's internal pages without belonging to the town: an audited cross-town read.
    Used by ``town_permission_required`` and by the API's town views, so both audit the same way."""
    from municipalities.models import AuditEntry

    AuditEntry.objects.create(
        user=request.user,
        purpose="agentur:town-staff-page",
        path=request.get_full_path()[:500],
        municipality_slugs=[municipality.slug],
    )


def agentur_required(view):
    """Cross-town pages of the Südwestfalen Agentur: moderators with MFA only; others get 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        access = permissions.agentur_access(request.user)
        if access == permissions.SIGN_IN:
            return redirect_to_login(request.get_full_path())
        if access == permissions.HIDDEN:
            raise Http404
        if access == permissions.NEEDS_MFA:
            return redirect_to_mfa_setup(request)
        return view(request, *args, **kwargs)

    wrapper.access = AGENTUR
    return wrapper
