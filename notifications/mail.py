"""Why a person gets a mail of the portal: the footer sentence for citizens (the kind of notification they
chose) and for staff (their role in the town, or their work for the Agentur)."""

from django.utils.translation import gettext as _

from municipalities.models import Municipality
from smartcity5.mail import portal_name

from .kinds import Audience, Kind


def mail_reason(*, user, municipality: Municipality | None = None, kind: Kind | None = None) -> str:
    """The footer sentence for ``user``: a citizen's kind of notification names what they follow; a staff mail
    names the role in ``municipality`` (or the Agentur), never a role the person does not hold."""
    from accounts.permissions import is_agentur_moderator, membership_for

    if kind is not None and kind.audience == Audience.EVERYONE:
        return _("You receive this e-mail because you get notifications about “%(label)s”: %(help)s") % {
            "label": kind.label,
            "help": kind.help_text,
        }
    if municipality is not None:
        membership = membership_for(user, municipality)
        if membership is not None:
            return _(
                "You receive this e-mail because of your role “%(role)s” in the Smart City portal of "
                "%(town)s."
            ) % {"role": membership.get_role_display(), "town": municipality.official_name}
    if is_agentur_moderator(user):
        return _("You receive this e-mail because you are a moderator of the Südwestfalen Agentur.")
    return _("You receive this e-mail because you have an account on the portal %(portal)s.") % {
        "portal": portal_name()
    }
