"""Checks for uploaded files: type by content (never by name), size, image dimensions; images are
re-encoded so that no metadata (camera, GPS position) survives."""

import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
MAX_IMAGE_PIXELS = 40_000_000


@dataclass(frozen=True)
class CheckedUpload:
    kind: str  # "image" or "document"
    content_type: str
    file: ContentFile


def _sniff_document(head: bytes, upload) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if not head.startswith(b"PK\x03\x04"):
        return None
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                return mimetype if mimetype in DOCUMENT_TYPES else None
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                if any(n.startswith("xl/") for n in names):
                    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    except (zipfile.BadZipFile, OSError, UnicodeError):
        return None
    return None


def _stem(name: str) -> str:
    return (name.rsplit(".", 1)[0] or "datei")[:80]


def _clean_image(upload) -> CheckedUpload:
    if upload.size > settings.UPLOAD_MAX_IMAGE_BYTES:
        raise ValidationError(_("The image is %(size)s; images may be at most %(max)s.")
                              % {"size": filesizeformat(upload.size),
                                 "max": filesizeformat(settings.UPLOAD_MAX_IMAGE_BYTES)}, code="too_large")
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            if image.format not in IMAGE_TYPES:
                raise ValidationError(_("Please upload a JPEG, PNG or WebP image."), code="type")
            width, height = image.size
            if width < 1 or height < 1 or width * height > MAX_IMAGE_PIXELS or max(width, height) > 10000:
                raise ValidationError(_("The image is %(w)s × %(h)s pixels; at most 10,000 pixels per side "
                                        "are allowed.") % {"w": width, "h": height}, code="dimensions")
            image.load()
            fmt = image.format
            # Keep the visible orientation, then copy the pixels without any metadata (EXIF, XMP, GPS).
            clean = ImageOps.exif_transpose(image).copy()
            clean.info = {}
            if fmt == "JPEG" and clean.mode not in ("RGB", "L"):
                clean = clean.convert("RGB")
            out = io.BytesIO()
            options = {"quality": 88} if fmt in ("JPEG", "WEBP") else {}
            clean.save(out, format=fmt, **options)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not an image we can read (JPEG, PNG or WebP)."), code="type") from None
    content_type, suffix = IMAGE_TYPES[fmt]
    return CheckedUpload("image", content_type, ContentFile(out.getvalue(), name=_stem(upload.name) + suffix))


def check_upload(upload, *, allowed: set[str] | None = None) -> CheckedUpload:
    """Check an uploaded file and return what to store; raises ``ValidationError`` with a clear message."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head[:3] == b"\xff\xd8\xff" or head.startswith(b"\x89PNG") or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        checked = _clean_image(upload)
    else:
        content_type = _sniff_document(head, upload)
        upload.seek(0)
        if content_type is None:
            raise ValidationError(_("This file type is not accepted. Please upload an image (JPEG, PNG, WebP) "
                                    "or a document (PDF, ODT, DOCX, ODS, XLSX)."), code="type")
        if upload.size > settings.UPLOAD_MAX_DOCUMENT_BYTES:
            raise ValidationError(_("The document is %(size)s; documents may be at most %(max)s.")
                                  % {"size": filesizeformat(upload.size),
                                     "max": filesizeformat(settings.UPLOAD_MAX_DOCUMENT_BYTES)}, code="too_large")
        checked = CheckedUpload("document", content_type,
                                ContentFile(upload.read(), name=_stem(upload.name) + DOCUMENT_TYPES[content_type]))
    if allowed is not None and checked.content_type not in allowed:
        raise ValidationError(_("This file type is not accepted here."), code="type")
    return checked
