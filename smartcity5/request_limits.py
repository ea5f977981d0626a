"""Request bodies are limited before anything reads them: 413 with a clear message for a body that is too large.

Uploads (``multipart/form-data``) may carry the largest allowed file plus the form around it; every other body
far less. The limit is checked against ``Content-Length`` before the body is read; a body without a length
(``Transfer-Encoding: chunked``) is read up to the limit and refused as soon as it passes it, so a client cannot
make the server read or hold more than the limit either way.
"""

import io
import json

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

READ_CHUNK = 64 * 1024


def upload_body_limit() -> int:
    """The largest body of an upload request: the largest file any form accepts, plus the form's other fields."""
    return (
        max(settings.UPLOAD_MAX_IMAGE_BYTES, settings.UPLOAD_MAX_DOCUMENT_BYTES)
        + settings.REQUEST_UPLOAD_OVERHEAD_BYTES
    )


def body_limit(request) -> int:
    if request.content_type == "multipart/form-data":
        return upload_body_limit()
    return settings.REQUEST_MAX_BODY_BYTES


def _too_large(request, limit: int) -> HttpResponse:
    message = _(
        "The request is too large: at most %(max)s can be sent here. Please send a smaller file or "
        "shorter text."
    ) % {"max": filesizeformat(limit)}
    if request.path.startswith("/api/"):
        response = HttpResponse(json.dumps({"detail": message}), status=413, content_type="application/json")
    else:
        response = HttpResponse(render_to_string("413.html", {"message": message}), status=413)
    return response


class RequestBodyLimitMiddleware:
    """Early in ``MIDDLEWARE`` (after ``SecurityMiddleware`` only): answers 413 to a body over the limit for its kind of request, before any view,
    form parser or session reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = body_limit(request)
        if "HTTP_TRANSFER_ENCODING" in request.META:
            # No length announced (chunked): HTTP ignores any Content-Length then. Read at most one byte past
            # the limit; a body within it is handed on as if it had been sent with its length.
            body = self._read_at_most(request, limit + 1)
            if len(body) > limit:
                return _too_large(request, limit)
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))  # Django has no public way to set it
        else:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0  # Django reads such a body as empty too
            if length > limit:
                return _too_large(request, limit)
        return self.get_response(request)

    @staticmethod
    def _read_at_most(request, size: int) -> bytes:
        stream = request.environ["wsgi.input"]
        parts, total = [], 0
        while total < size:
            part = stream.read(min(READ_CHUNK, size - total))
            if not part:
                break
            parts.append(part)
            total += len(part)
        return b"".join(parts)
