"""Template filter that asks the permission rules of :mod:`accounts.permissions` before a link is shown."""

from django import template

from accounts import permissions

register = template.Library()


@register.filter
def allows(request, rule: str) -> bool:
    """``{% if request|allows:"town.manage" %}``: whether the person may use what ``rule`` guards in the
    request's town (:func:`accounts.permissions.town_allows`), the rule the view behind the link checks."""
    return permissions.town_allows(request, rule)
