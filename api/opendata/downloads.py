"""The open data files as they are written and sent: the file (CSV or JSON) written from the rows, its ETag,
the conditional GET (304) and the answers for a built file and for one being built."""

import csv
import datetime
import hashlib
import io
import json
from typing import BinaryIO

from django.http import FileResponse, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from municipalities.selectors import consortium_get

from . import selectors
from .datasets import Dataset, site_url
from .licence import LICENCE_URL, licence, source_name
from .rows import Context, csv_cell, iso_moment

CHUNK = 500
CACHE_CONTROL = "public, max-age=300"
#: Seconds a client is asked to wait (``Retry-After``) while a file that was never built is being built.
RETRY_AFTER = 10
#: Changes whenever the columns or the JSON shape change, so that cached copies are not reused.
FORMAT_VERSION = "2"  # 2: CSV without BOM, the KPI column "id" (was "indicator_id")


def with_validators(response, *, etag: str, last_modified: datetime.datetime | None):
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(int(last_modified.timestamp()))
    response["Cache-Control"] = CACHE_CONTROL
    return response


def not_modified(request, *, etag: str, last_modified: datetime.datetime | None):
    """The 304 (or 412) Django's conditional-GET rules give for these validators, or ``None``: build the file."""
    probe = with_validators(HttpResponse(), etag=etag, last_modified=last_modified)
    answer = get_conditional_response(
        request,
        etag=etag,
        response=probe,
        last_modified=(int(last_modified.timestamp()) if last_modified is not None else None),
    )
    return None if answer is probe else answer


def dataset_etag(
    dataset: Dataset,
    file_format: str,
    municipality: Municipality | None,
    freshness: selectors.Freshness,
    content: str = "",
) -> str:
    """Weak (the JSON's generated_at differs between two answers with the same rows), made from the rows' freshness
    token and the digest of what the file holds: a row that leaves changes it even where no counter would."""
    raw = "|".join(
        (
            FORMAT_VERSION,
            dataset.key,
            file_format,
            municipality.slug if municipality else "",
            freshness.token,
            content,
        )
    )
    return "W/" + quote_etag(hashlib.sha256(raw.encode()).hexdigest()[:32])


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
}


def write_download(
    out: BinaryIO, dataset: Dataset, file_format: str, municipality: Municipality | None
) -> str:
    """Write the file to ``out`` (binary), read in the caller's scope; rows are read in chunks with their related
    rows prefetched. Addresses in it are absolute on ``SITE_HOST``: the file is built by the worker, not for one
    request. Returns a digest of the content (the JSON without its ``generated_at``), so that the build can tell a
    file whose rows changed from one rebuilt as it was."""
    ctx = Context(base=site_url(), town=municipality)
    items = (dataset.item(obj, ctx) for obj in dataset.rows().iterator(chunk_size=CHUNK))
    digest = hashlib.sha256()
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    if file_format == "csv":
        # Plain UTF-8 without a byte order mark (RFC 4180); the page and the datapackage.json say how to open it
        # in a spreadsheet program.
        writer = csv.writer(text)  # RFC 4180: comma, double quotes where needed, CRLF
        writer.writerow(dataset.columns)
        for item in items:
            rows = [[csv_cell(value) for value in row] for row in dataset.csv_rows(item, dataset.columns)]
            writer.writerows(rows)
            digest.update(json.dumps(rows, ensure_ascii=False).encode())
    else:
        all_items = list(items)
        body = {
            "licence": licence(source_name(municipality, None if municipality else consortium_get())),
            "dataset": dataset.key,
            "town": None
            if municipality is None
            else {
                "slug": municipality.slug,
                "name": municipality.name,
                "official_name": municipality.official_name,
            },
            "count": len(all_items),
            "items": all_items,
        }
        digest.update(json.dumps(body, ensure_ascii=False, sort_keys=True).encode())
        json.dump(
            {"licence": body.pop("licence"), "generated_at": iso_moment(timezone.now()), **body},
            text,
            ensure_ascii=False,
        )
    text.flush()
    text.detach()  # ``out`` stays open for the caller
    return digest.hexdigest()


def file_response(stored) -> FileResponse:
    """A built file (:class:`api.models.OpenDataFile`) as it is sent: streamed from the storage, CSV as a download
    and JSON inline, with the licence link. Raises ``FileNotFoundError`` when the storage lost the file."""
    response = FileResponse(
        stored.file.open("rb"),
        content_type=CONTENT_TYPES[stored.file_format],
        as_attachment=stored.file_format == "csv",
        filename=stored.download_name,
    )
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def being_built() -> JsonResponse:
    """The answer while a file that was never built before is being built by another request or the worker."""
    response = JsonResponse(
        {"detail": _("This file is being prepared right now. Please try again in a few seconds.")}, status=503
    )
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def content_etag(content: bytes) -> str:
    return quote_etag(hashlib.sha256(content).hexdigest()[:32])
