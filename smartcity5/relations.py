"""Foreign keys in ``full_clean``: a row the instance holds is not looked up again.

Django's ``ForeignKey.validate`` asks the database whether the row a foreign key names exists (a ``SELECT 1 …``
per foreign key per ``full_clean``). The services call ``full_clean`` on every write, mostly with the related
rows in hand (``Comment(idea=idea, author=user, municipality=town)``): about one query in sixteen of the demo's
load was such a lookup. Where the instance holds the related object itself, loaded or saved (not one being
added) and with the key the field names, that object answers and the query is skipped. The database's foreign
key (every one is ``DEFERRABLE INITIALLY DEFERRED``) refuses a row deleted meanwhile at the commit, as it did
when the row was deleted after Django's check. A key given as a bare id (a form's hidden value, an API's
number) or of a field with ``limit_choices_to`` is looked up as before."""

from types import MethodType

from django.db.models import ForeignKey, Model


def _holds(field: ForeignKey, value, instance: Model | None) -> bool:
    """Whether ``instance`` holds the saved row that ``field``'s ``value`` names."""
    if instance is None or field.remote_field.parent_link or field.get_limit_choices_to():
        return False
    if not field.is_cached(instance):
        return False
    related = field.get_cached_value(instance)
    return (
        related is not None
        and not related._state.adding
        and related._state.db is not None
        and getattr(related, field.target_field.attname) == value
    )


def validate(field: ForeignKey, value, model_instance: Model | None) -> None:
    """``ForeignKey.validate`` without its query for a row the instance holds."""
    if value is not None and _holds(field, value, model_instance):
        super(ForeignKey, field).validate(value, model_instance)  # what Django checks before its query
        return
    ForeignKey.validate(field, value, model_instance)


def held_rows_are_not_looked_up() -> None:
    """Give every model's foreign keys :func:`validate`; run once when the apps are ready. On the field objects,
    not on Django's class: the fields' definitions (and so the migrations) stay as they are."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.local_fields:
            if isinstance(field, ForeignKey):
                field.__dict__["validate"] = MethodType(validate, field)
