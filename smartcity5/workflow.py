"""Status workflows, once: the allowed moves a model declares, the check, the row lock and the one error.

A model with a workflow mixes in :class:`Workflow` and declares ``TRANSITIONS`` (status → the statuses it may
become) and ``TRANSITION_ERROR``, the sentence that names its kind of row (German grammar needs the noun: „Ein
Projekt …“, „Eine Idee …“). Services move a row with :func:`transition` inside their transaction: it re-reads the
row under ``SELECT … FOR UPDATE`` (two people acting at once never both move it from the same status; the second
waits, then sees the new status and is refused), checks the move and sets the status; the service then sets what
else the move changes, saves and records the history.

A refused move raises :class:`TransitionNotAllowed`, a ``ValidationError`` with the code ``invalid_transition``:
views show it as a form error or a message, the API as a 400 — never a 500.
"""

from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.transaction import TransactionManagementError
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    # The mixin is only ever mixed into models: the type checker sees it as one (``_meta``, ``pk``, managers).
    _ModelBase = models.Model
else:
    _ModelBase = object

M = TypeVar("M", bound=models.Model)


class TransitionNotAllowed(ValidationError):
    """A status move that the model's ``TRANSITIONS`` do not allow (made by :meth:`refusing`)."""

    code = "invalid_transition"

    @classmethod
    def refusing(cls, instance: "Workflow", to: str) -> "TransitionNotAllowed":
        """The error for moving ``instance`` to ``to``, in the model's words, naming both statuses."""
        message = ValidationError(
            str(instance.TRANSITION_ERROR)
            % {
                "old": instance.status_label(instance.current_status),
                "new": instance.status_label(to),
                "allowed": ", ".join(instance.status_label(s) for s in instance.allowed_transitions()) or "–",
            },
            code=cls.code,
        )
        field = instance.TRANSITION_ERROR_FIELD
        return cls({field: message} if field else message)


class Workflow(_ModelBase):
    """Mixin of a model with a status workflow (see the module's docs)."""

    #: status → the statuses it may become; an end state maps to ``()``.
    TRANSITIONS: dict = {}
    #: The field that holds the status.
    STATUS_FIELD = "status"
    #: The refusal; may use ``%(old)s``, ``%(new)s`` (status labels) and ``%(allowed)s`` (the possible next steps).
    TRANSITION_ERROR = gettext_lazy("“%(old)s” cannot become “%(new)s”.")
    #: The form field the refusal belongs to (``None``: the form as a whole).
    TRANSITION_ERROR_FIELD: str | None = None

    @property
    def current_status(self) -> str:
        return getattr(self, self.STATUS_FIELD)

    @classmethod
    def status_label(cls, value: str) -> str:
        field = cls._meta.get_field(cls.STATUS_FIELD)
        choices = dict(field.choices or ()) if isinstance(field, models.Field) else {}
        return str(choices.get(value, value))

    def allowed_transitions(self) -> tuple:
        return tuple(self.TRANSITIONS.get(self.current_status, ()))

    def can_transition_to(self, status: str) -> bool:
        return status in self.allowed_transitions()

    def check_transition(self, to: str) -> None:
        if not self.can_transition_to(to):
            raise TransitionNotAllowed.refusing(self, to)


def lock(instance: M) -> M:
    """The row as it is in the database now, locked until the transaction ends (``SELECT … FOR UPDATE``). Outside
    a transaction it refuses with ``TransactionManagementError`` on every database: Django refuses there only where
    the database has row locks (PostgreSQL), and on SQLite, which has none, the move would not be atomic."""
    rows = type(instance)._default_manager.select_for_update()
    if transaction.get_autocommit(using=rows.db):
        raise TransactionManagementError("A workflow move needs a transaction (transaction.atomic()).")
    return rows.get(pk=instance.pk)


W = TypeVar("W", bound=Workflow)


def transition(instance: W, *, to: str, locked: bool = False) -> tuple[W, str]:
    """Move a row to the status ``to``: re-read it under a lock (unless the caller already holds it:
    ``locked=True``), check the move and set the status (not saved). Returns the locked row and its old status;
    raises :class:`TransitionNotAllowed`."""
    row = instance if locked else lock(instance)
    old = row.current_status
    row.check_transition(to)
    setattr(row, row.STATUS_FIELD, to)
    return row, old
