"""Checks for uploaded files: type by content (never by name), size, image dimensions; images are
re-encoded so that no metadata (camera, GPS position) survives.

The order keeps refusals cheap: the first bytes and the size decide before anything is unpacked or decoded.
Archives (ODT, DOCX …) are sniffed from their directory and at most the first bytes of one entry (a zip bomb is
never inflated); images are measured from their header and refused above a pixel budget before they are decoded.
"""

import io
import struct
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
IMAGE_CONTENT_TYPES = frozenset(content_type for content_type, _suffix in IMAGE_TYPES.values())
DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
MAX_IMAGE_SIDE = 10_000
# Office documents hold tens to a few hundred entries; every entry of the directory becomes an object in memory.
MAX_ARCHIVE_ENTRIES = 10_000
# The ODF "mimetype" entry is a short line of ASCII; nothing longer is read.
MIMETYPE_MAX_BYTES = 100
# Decoding holds the pixels once, rotating (EXIF orientation) or converting (CMYK JPEG to RGB) once more.
DECODED_COPIES = 2


@dataclass(frozen=True)
class CheckedUpload:
    kind: str  # "image" or "document"
    content_type: str
    file: ContentFile


def _is_image(head: bytes) -> bool:
    return (
        head[:3] == b"\xff\xd8\xff"
        or head.startswith(b"\x89PNG")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    )


def _archive_entry_count(upload) -> int | None:
    """The number of entries the zip's end record declares, read from the file's last 64 KB; ``None`` if there is
    no end record (not a zip) or it is a ZIP64 one (office documents of our size never are)."""
    tail_size = min(upload.size, 22 + 65535)
    upload.seek(upload.size - tail_size)
    tail = upload.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    entries = struct.unpack("<H", tail[at + 10 : at + 12])[0]
    return None if entries == 0xFFFF else entries


def _sniff_archive(upload) -> str | None:
    """The office type of a zip by its directory, reading at most ``MIMETYPE_MAX_BYTES`` of one entry."""
    entries = _archive_entry_count(upload)
    if entries is None or entries > MAX_ARCHIVE_ENTRIES:
        return None
    upload.seek(0)
    with zipfile.ZipFile(upload) as archive:
        names = set(archive.namelist())
        if "mimetype" in names:
            info = archive.getinfo("mimetype")
            if info.file_size > MIMETYPE_MAX_BYTES or info.compress_size > MIMETYPE_MAX_BYTES:
                return None
            with archive.open(info) as entry:
                mimetype = entry.read(MIMETYPE_MAX_BYTES + 1).decode("ascii", "replace").strip()
            return mimetype if mimetype in DOCUMENT_TYPES else None
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            if any(n.startswith("xl/") for n in names):
                return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def _sniff_document(head: bytes, upload) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        return _sniff_archive(upload)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        UnicodeError,
        NotImplementedError,
        RuntimeError,
        struct.error,
    ):
        return None


def _stem(name: str) -> str:
    return (name.rsplit(".", 1)[0] or "datei")[:80]


def bytes_per_pixel(mode: str) -> int:
    """What Pillow holds in memory per pixel of ``mode``: one byte for 1-bit, grey and palette images, two for
    16-bit grey, four for everything else (RGB is stored as four bytes too)."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


def max_image_pixels(mode: str) -> int:
    """The pixel budget of an image in ``mode``: decoding and one working copy fit in
    ``UPLOAD_IMAGE_DECODE_BUDGET_BYTES``."""
    return settings.UPLOAD_IMAGE_DECODE_BUDGET_BYTES // (bytes_per_pixel(mode) * DECODED_COPIES)


def _check_dimensions(image) -> None:
    width, height = image.size
    if width < 1 or height < 1 or max(width, height) > MAX_IMAGE_SIDE:
        raise ValidationError(
            _("The image is %(w)s × %(h)s pixels; at most 10,000 pixels per side are allowed.")
            % {"w": width, "h": height},
            code="dimensions",
        )
    budget = max_image_pixels(image.mode)
    if width * height > budget:
        raise ValidationError(
            _(
                "The image has %(w)s × %(h)s pixels (%(mp)s megapixels); images like this may have at most "
                "%(max)s megapixels. Please upload a smaller version."
            )
            % {
                "w": width,
                "h": height,
                "mp": number_format(width * height / 1e6, 1),
                "max": number_format(budget / 1e6, 1),
            },
            code="pixels",
        )


def _clean_image(upload) -> CheckedUpload:
    upload.seek(0)
    try:
        # Image.open reads only the header: format, size and mode are known before any pixel is decoded.
        with Image.open(upload) as probe:
            if probe.format not in IMAGE_TYPES:
                raise ValidationError(_("Please upload a JPEG, PNG or WebP image."), code="type")
            _check_dimensions(probe)
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            _check_dimensions(image)
            image.load()
            fmt = image.format or ""  # one of IMAGE_TYPES: the probe above refused every other format
            # Keep the visible orientation (in place: no second copy unless the image is turned), then save the
            # pixels without any metadata (EXIF, XMP, GPS).
            ImageOps.exif_transpose(image, in_place=True)
            image.info = {}
            clean: Image.Image = image
            if fmt == "JPEG" and clean.mode not in ("RGB", "L"):
                clean = clean.convert("RGB")
            out = io.BytesIO()
            options = {"quality": 88} if fmt in ("JPEG", "WEBP") else {}
            clean.save(out, format=fmt, **options)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not an image we can read (JPEG, PNG or WebP)."), code="type"
        ) from None
    content_type, suffix = IMAGE_TYPES[fmt]
    return CheckedUpload("image", content_type, ContentFile(out.getvalue(), name=_stem(upload.name) + suffix))


def check_upload(upload, *, allowed: set[str] | None = None) -> CheckedUpload:
    """Check an uploaded file and return what to store; raises ``ValidationError`` with a clear message.

    ``allowed`` narrows the accepted content types (e.g. images only for ideas): a file of another kind is
    refused by its first bytes and size, before it is unpacked or decoded."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    is_image = _is_image(head)
    if allowed is not None and not (allowed & (IMAGE_CONTENT_TYPES if is_image else set(DOCUMENT_TYPES))):
        if allowed <= IMAGE_CONTENT_TYPES:
            raise ValidationError(_("Please upload a JPEG, PNG or WebP image."), code="type")
        raise ValidationError(_("This file type is not accepted here."), code="type")
    if is_image:
        if upload.size > settings.UPLOAD_MAX_IMAGE_BYTES:
            raise ValidationError(
                _("The image is %(size)s; images may be at most %(max)s.")
                % {
                    "size": filesizeformat(upload.size),
                    "max": filesizeformat(settings.UPLOAD_MAX_IMAGE_BYTES),
                },
                code="too_large",
            )
        checked = _clean_image(upload)
    else:
        if upload.size > settings.UPLOAD_MAX_DOCUMENT_BYTES:
            raise ValidationError(
                _("The document is %(size)s; documents may be at most %(max)s.")
                % {
                    "size": filesizeformat(upload.size),
                    "max": filesizeformat(settings.UPLOAD_MAX_DOCUMENT_BYTES),
                },
                code="too_large",
            )
        content_type = _sniff_document(head, upload)
        upload.seek(0)
        if content_type is None:
            raise ValidationError(
                _(
                    "This file type is not accepted. Please upload an image (JPEG, PNG, WebP) "
                    "or a document (PDF, ODT, DOCX, ODS, XLSX)."
                ),
                code="type",
            )
        checked = CheckedUpload(
            "document",
            content_type,
            ContentFile(upload.read(), name=_stem(upload.name) + DOCUMENT_TYPES[content_type]),
        )
    if allowed is not None and checked.content_type not in allowed:
        raise ValidationError(_("This file type is not accepted here."), code="type")
    return checked
