"""Addresses (slugs) from German titles: umlauts spelled out, and a free address found in a table."""

from django.db.models import QuerySet
from django.utils.text import slugify

_GERMAN = str.maketrans({"ß": "ss", "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def german_slugify(text: str) -> str:
    """``"Grüne Mitte Soest"`` → ``"gruene-mitte-soest"``."""
    return slugify((text or "").translate(_GERMAN))


def free_slug(
    title: str,
    *,
    rows: QuerySet,
    fallback: str,
    exclude_pk: int | None = None,
    max_length: int = 100,
    reserved: frozenset[str] = frozenset(),
) -> str:
    """The address for ``title`` that no row of ``rows`` uses yet (``-2``, ``-3`` … appended if needed).
    Pass an unscoped queryset when addresses are unique across towns; ``reserved`` are addresses that a fixed
    page next to the rows' pages already uses."""
    base = german_slugify(title)[:max_length] or fallback
    taken = set(rows.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True))
    taken |= reserved
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug
