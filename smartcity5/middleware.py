"""Portal-wide middleware: the request id of the logs, German first (the language is German unless the
visitor chose another one with the switch), and compressed text answers."""

import re
import uuid

from django.conf import settings
from django.core.signals import request_finished
from django.middleware.gzip import GZipMiddleware
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .logs import request_done, request_id_var

# What a proxy may hand us as X-Request-ID (a UUID, a hex or base64-ish token); anything else is replaced.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{7,127}")


class RequestIdMiddleware:
    """First in the chain: gives the request an id that every log line written while it runs carries
    (smartcity5.logs) and that the response echoes in ``X-Request-ID``. The id of a trusted reverse proxy
    (``TRUSTED_PROXY_COUNT`` > 0) is kept when it looks sane, so the proxy's and our logs can be joined;
    otherwise a new one is made."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        if settings.TRUSTED_PROXY_COUNT > 0 and SANE_REQUEST_ID.fullmatch(given):
            request_id = given
        else:
            request_id = uuid.uuid4().hex
        request.request_id = request_id
        # Cleared by smartcity5.logs.request_done (request_finished), not here: Django logs 4xx/5xx responses
        # ("Not Found: …") after the middleware has returned, and those lines need the id too.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


request_finished.connect(request_done, dispatch_uid="smartcity5.logs.request_done")


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Like Django's LocaleMiddleware, but ignores the browser's Accept-Language header: a German
    municipal portal speaks German until the visitor picks English (stored in the language cookie)."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# Media types worth compressing; images, fonts, PDFs, spreadsheets and archives are compressed already.
COMPRESSIBLE_TYPES = (
    "text/",
    "application/json",
    "application/geo+json",
    "application/ld+json",
    "application/problem+json",
    "application/xml",
    "application/rdf+xml",
    "application/javascript",
    "image/svg+xml",
)


class TextGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for rendered text answers only (HTML, JSON, CSV, XML): a page shrinks to a third,
    while gzipping a PDF, an XLSX or a ZIP costs CPU and saves nothing. Streamed answers (file downloads, the
    open data files) keep their Content-Length and pass as they are. Static files are not compressed twice:
    WhiteNoise answers with its prebuilt .br/.gz file and a Content-Encoding, which GZipMiddleware leaves alone.
    BREACH: Django masks the CSRF token anew on every response and GZipMiddleware pads its output with random
    bytes (docs/ARCHITECTURE.md, "What a phone downloads")."""

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if response.streaming or not content_type.startswith(COMPRESSIBLE_TYPES):
            return response
        return super().process_response(request, response)
