"""Template filter and tag that ask the permission rules of :mod:`accounts.permissions` before a link or a form
is shown: `allows` for the rules of a town, `may` for the rules of one object."""

from django import template

from accounts import permissions

register = template.Library()


@register.filter
def allows(request, rule: str) -> bool:
    """``{% if request|allows:"town.manage" %}``: whether the person may use what ``rule`` guards in the
    request's town (:func:`accounts.permissions.town_allows`), the rule the view behind the link checks."""
    return permissions.town_allows(request, rule)


@register.simple_tag(takes_context=True)
def may(context, rule: str, obj=None) -> bool:
    """``{% may "idea.answer" idea as can_answer %}``: whether the signed-in person may do what ``rule`` of
    :data:`accounts.permissions.OBJECT_RULES` guards on ``obj``, in the request's town — the function the
    service behind the button asks; ``{% may "town.edit_content" municipality as can_edit %}`` asks a town rule
    of :data:`accounts.permissions.RULES` for a town (no query beyond the person's membership, which is read once
    per request). Templates ask this (or ``allows``, for links to pages behind a town rule) and never test roles
    or visibility; views pass no permission flags."""
    request = context.get("request")
    if request is None:
        return False
    return permissions.object_allows(request.user, rule, obj, getattr(request, "municipality", None))
