"""The open data files built by the worker (``api.opendata.files``): what is stored where, with the validators it
is served with, and the changes not yet built into them."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

REGION = "region"


def scope_key(municipality) -> str:
    """The scope of a file: ``region``, or ``town:<pk>`` (a town's slug may change, its key does not)."""
    return REGION if municipality is None else f"town:{municipality.pk}"


class OpenDataFile(models.Model):
    """One open data download (a dataset of one town or of the region as CSV or JSON) as built by the worker, kept
    in the default storage under a stable name (``opendata/<town|region>/<dataset>.<format>``) and sent as it is.

    Public data of a town or of the region, so not town-owned: the region's files belong to no town.
    """

    dataset = models.CharField(_("dataset"), max_length=20)
    scope = models.CharField(_("scope"), max_length=30, help_text=_("region, or town:<id>"))
    file_format = models.CharField(_("format"), max_length=10)
    file = models.FileField(_("file"), max_length=200)
    download_name = models.CharField(_("file name"), max_length=200)
    etag = models.CharField(_("ETag"), max_length=80)
    last_modified = models.DateTimeField(_("last change of the data"), null=True, blank=True)
    built_at = models.DateTimeField(_("built"), default=timezone.now)
    issued_at = models.DateTimeField(
        _("first published"),
        default=timezone.now,
        help_text=_("When the file was built for the first time (dct:issued)."),
    )
    size = models.PositiveBigIntegerField(_("size"), default=0)

    class Meta:
        verbose_name = _("open data file")
        verbose_name_plural = _("open data files")
        constraints = [
            models.UniqueConstraint(fields=["dataset", "scope", "file_format"], name="opendata_file_unique")
        ]

    def __str__(self) -> str:
        return self.file.name


class OpenDataBuild(models.Model):
    """One row per dataset: locked while its files are built (at most one build of a dataset at a time), and when
    the last build finished."""

    dataset = models.CharField(_("dataset"), max_length=20, primary_key=True)
    built_at = models.DateTimeField(_("last built"), null=True, blank=True)

    class Meta:
        verbose_name = _("open data build")
        verbose_name_plural = _("open data builds")

    def __str__(self) -> str:
        return self.dataset


class OpenDataChange(models.Model):
    """A change of the data behind a dataset that its files do not show yet. Written in the transaction of the
    change (so it is never lost, even if the hand-over to the worker is), deleted by the build that covers it;
    only inserted, never updated, so that concurrent writes never wait for each other here."""

    dataset = models.CharField(_("dataset"), max_length=20, db_index=True)
    at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("open data change")
        verbose_name_plural = _("open data changes")

    def __str__(self) -> str:
        return f"{self.dataset} @ {self.at:%Y-%m-%d %H:%M:%S}"
