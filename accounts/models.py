"""Users, their staff memberships in towns, the exports of their data, their personal API tokens and their browser
sessions."""

import datetime
import hashlib
import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel
from smartcity5.constraints import CheckConstraint
from smartcity5.jobs import GeneratedFile, generated_file_path

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)  # type: ignore[attr-defined]  # self.model is the User
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. Citizens appear under their display name only (pseudonymous use).

    ``is_staff`` means *platform admin* (Django admin), not town staff: town staff hold a
    :class:`Membership`. Agentur moderators have ``is_agentur_moderator``.
    """

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(
        _("display name"),
        max_length=60,
        help_text=_("Shown with your contributions. It does not need to be your real name."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("platform admin"), default=False, help_text=_("May use the Django admin of the whole platform.")
    )
    is_agentur_moderator = models.BooleanField(
        _("Agentur moderator"),
        default=False,
        help_text=_("Reads all towns and moderates; cannot edit a town's funding data."),
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    privacy_consent_at = models.DateTimeField(_("privacy consent given"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name

    def get_full_name(self) -> str:
        return self.display_name


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    EDITOR = "editor", _("Editor")
    ADMIN = "admin", _("Administrator")


# Higher rank includes the rights of the lower ones.
ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


class Membership(TownOwnedModel):
    """A user's staff role in one town. A user may serve several towns, with one role in each."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)
    # Counts the grants: the role given and each change of it. Names the mail about it (``outbox.claims``), so a
    # second delivery of that mail's task sends nothing and the next change is told again.
    grant_count = models.PositiveIntegerField(_("times granted"), default=1, editable=False)

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "user"], name="one_membership_per_user_and_town"),
            CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"

    def has_rank(self, role: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]


class StaffInvitation(TownOwnedModel):
    """Einladung ins Team: a town admin invites a person by e-mail; the role is given once the person accepts,
    with an account of their own (made on acceptance if need be) and two-factor authentication set up.

    The link carries the row's id and an HMAC of it and of ``nonce`` under the ``SECRET_KEY`` (:meth:`token`): the
    database alone cannot make a link, and a new ``nonce`` (sending again) makes earlier links invalid. The row stays after acceptance or withdrawal as the team's history.
    """

    LIFETIME_DAYS = 7

    class State(models.TextChoices):
        OPEN = "open", _("open")
        EXPIRED = "expired", _("expired")
        ACCEPTED = "accepted", _("accepted")
        REVOKED = "revoked", _("withdrawn")

    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    nonce = models.CharField(max_length=64, editable=False)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("invited"), default=timezone.now)
    sent_at = models.DateTimeField(_("last sent"), default=timezone.now)
    send_count = models.PositiveSmallIntegerField(_("times sent"), default=1)
    expires_at = models.DateTimeField(_("valid until"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )

    class Meta:
        verbose_name = _("staff invitation")
        verbose_name_plural = _("staff invitations")
        constraints = [
            # One open invitation per address and town: inviting again means sending the open one again.
            models.UniqueConstraint(
                models.functions.Lower("email"),
                "municipality",
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_email_and_town",
            ),
            CheckConstraint(condition=models.Q(role__in=Role.values), name="invitation_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.email} – {self.get_role_display()}"

    def state(self, now=None) -> str:
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return self.State.EXPIRED
        return self.State.OPEN

    def get_state_display(self) -> "StrOrPromise":
        return self.State(self.state()).label

    def token(self) -> str:
        """The secret part of the invitation's link: the id and an HMAC of id, address and current nonce."""
        mac = salted_hmac(
            "accounts.StaffInvitation", f"{self.pk}:{self.nonce}:{self.email.lower()}", algorithm="sha256"
        ).hexdigest()
        return f"{self.pk}-{mac}"

    @property
    def is_pending(self) -> bool:
        """Neither accepted nor withdrawn (perhaps expired): it can be sent again or withdrawn."""
        return self.accepted_at is None and self.revoked_at is None


def _export_path(instance, filename: str) -> str:
    """Named by migration 0003; the one rule is :func:`smartcity5.jobs.generated_file_path`."""
    return generated_file_path(instance, filename)


class DataExport(GeneratedFile):
    """Datenauskunft (Art. 15 DSGVO): a copy of everything the portal holds about one person, built by a task
    (``accounts.tasks.data_export_build``) and offered to that person alone for download until ``expires_at``.

    A person's own row across towns, so not town-owned. Status, progress, file and expiry are those of every
    generated file (:class:`smartcity5.jobs.GeneratedFile`); the row goes with its file when it expires.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="data_exports", verbose_name=_("user")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("The language the export is written in (the one of the request)."),
    )

    class Meta(GeneratedFile.Meta):
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        constraints = [
            *GeneratedFile.Meta.constraints,
            # A finished export has its file; nothing else has one.
            CheckConstraint(
                condition=models.Q(status="done", file__gt="")
                | (~models.Q(status="done") & models.Q(file="")),
                name="data_export_file_when_done",
            ),
        ]

    JOB_TASK = "accounts.tasks.data_export_build"
    JOB_ID_KWARG = "export_id"
    FILE_FOLDER = "exports"
    file_format = "zip"

    def __str__(self) -> str:
        return f"{self.user} – {self.created_at:%Y-%m-%d %H:%M}"

    @classmethod
    def lifetime(cls) -> datetime.timedelta:
        return datetime.timedelta(hours=settings.DATA_EXPORT_LIFETIME_HOURS)

    def download_name(self) -> str:
        """``meine-daten-2026-05-04.zip``."""
        return f"meine-daten-{timezone.localtime(self.finished_at):%Y-%m-%d}.zip"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now: datetime.datetime | None = None) -> "ApiTokenQuerySet":
        """Neither revoked nor expired."""
        now = now or timezone.now()
        return self.filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now), revoked_at__isnull=True
        )


class ApiToken(models.Model):
    """A personal API token (persönlicher API-Schlüssel): lets an integration call /api/v1/… as its owner with
    ``Authorization: Bearer <secret>``, for staff and moderators with two-factor authentication.

    Only a SHA-256 digest of the secret is stored; the secret is shown once, when the token is made
    (``accounts.services.api_token_create``). A person's own row across towns, so not town-owned.
    """

    PREFIX = "sc5_"
    #: Characters of the secret kept in clear text (``sc5_`` and 8 random ones), to recognise a token in lists.
    SHOWN_CHARS = 12
    #: The lifetimes offered on the page (days); the service also accepts ``None`` (no expiry).
    LIFETIME_DAYS = (30, 90, 365)
    DEFAULT_LIFETIME_DAYS = 90
    #: Tokens one person may have in use at a time (not revoked, not expired).
    MAX_ACTIVE = 10
    #: What a secret looks like (``secrets.token_urlsafe(32)`` gives 43 characters of the URL-safe alphabet).
    SECRET_PATTERN = re.compile(r"sc5_[A-Za-z0-9_-]{43}")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. the integration that uses it.")
    )
    prefix = models.CharField(_("beginning of the token"), max_length=16, db_index=True)
    digest = models.CharField(_("SHA-256 digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(
        _("expires"), null=True, blank=True, help_text=_("Empty: never expires.")
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            CheckConstraint(
                condition=models.Q(digest__regex=r"^[0-9a-f]{64}$"), name="api_token_digest_is_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(secret: str) -> str:
        """The stored form of a secret. The secret has 256 random bits, so a plain hash is enough (no salt, no
        slow hash) and the lookup by digest does not reveal through timing how much of a guess was right."""
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def is_well_formed(cls, secret: str) -> bool:
        return cls.SECRET_PATTERN.fullmatch(secret) is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def is_usable(self, now=None) -> bool:
        """Neither revoked nor expired (whether its owner may still use tokens is a rule of
        :func:`accounts.permissions.can_use_api_tokens`)."""
        return self.revoked_at is None and not self.is_expired(now)

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired() else "active"


class Session(AbstractBaseSession):
    """A browser session (Django's session table) with the id of the person signed in to it beside the encoded
    data, indexed: one person's sessions are ended without reading anyone else's (``services.sessions_end``).

    Written by ``accounts.sessions.SessionStore`` (``SESSION_ENGINE``). A plain number, not a foreign key: a session
    may outlive its account for the moment between the deletion and the end of its sessions, and an anonymous
    session has none.
    """

    user_id = models.BigIntegerField(_("user"), null=True, blank=True, db_index=True)

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore

    class Meta(AbstractBaseSession.Meta):  # type: ignore[name-defined]  # the stubs leave this Meta out
        db_table = "accounts_session"
