"""Responses shared by the apps: stored files sent through a view that has checked the reader's rights."""

from django.http import FileResponse, Http404


def file_response(field_file, content_type: str, *, private: bool) -> FileResponse:
    """Send a stored file; images and PDFs inline, others as download, never sniffed by the browser."""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    inline = content_type.startswith("image/") or content_type == "application/pdf"
    response = FileResponse(
        handle,
        content_type=content_type or "application/octet-stream",
        as_attachment=not inline,
        filename=field_file.name.rsplit("/", 1)[-1],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store" if private else "public, max-age=3600"
    return response
