"""The apps' static files that collectstatic gathers (all but those of installed packages that no page loads) and
the production storage that compresses them (each distinct content once)."""

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future

from django.contrib.staticfiles import finders
from whitenoise.compress import Compressor  # type: ignore[import-untyped]  # ships no types
from whitenoise.storage import CompressedManifestStaticFilesStorage  # type: ignore[import-untyped]

#: The browsable API's files (the API answers JSON only, settings.REST_FRAMEWORK), django-htmx's copy of htmx (the
#: portal vendors its own, static/vendor/htmx) and ReDoc (the API's documentation is Swagger UI, api/urls.py):
#: about half of what the image's build and the production smoke would hash and compress (brotli) for nothing.
UNUSED = ("rest_framework/*", "django_htmx/*", "drf_spectacular_sidecar/redoc/*")


class AppDirectoriesFinder(finders.AppDirectoriesFinder):
    """Django's finder of the apps' ``static/`` folders, whose list for collectstatic skips :data:`UNUSED`. Finding
    one file by its name (``runserver``, the test server) is unchanged."""

    def list(self, ignore_patterns):
        return super().list([*(ignore_patterns or ()), *UNUSED])


class OnceCompressor(Compressor):
    """Whitenoise's compressor, computing each algorithm's output once per distinct content.

    Whitenoise compresses every file under its plain and its hashed name, and both hold the same bytes except
    where collectstatic rewrote their references (a CSS file's ``url()``): Brotli at quality 11, most of
    collectstatic's CPU, ran twice on the same data. Which files are compressed and which outputs are kept stay
    whitenoise's (``Compressor.compress``); both outputs depend on the data alone (gzip is written with
    ``mtime=0``), so the files written are the same. Whitenoise calls this from a thread pool: the first thread to
    meet a content computes it, one meeting it meanwhile waits for that result.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._outputs: dict[tuple[str, bytes], Future[bytes]] = {}

    def _once(self, algorithm: str, compress: Callable[[bytes], bytes], data: bytes) -> bytes:
        key = (algorithm, hashlib.sha256(data).digest())
        with self._lock:
            output = self._outputs.get(key)
            first = output is None
            if output is None:
                output = self._outputs[key] = Future()
        if first:
            try:
                output.set_result(compress(data))
            except BaseException as error:
                output.set_exception(error)  # raised in the threads waiting for it too, none left hanging
                raise
        return output.result()

    def compress_brotli(self, data: bytes) -> bytes:
        return self._once("br", super().compress_brotli, data)

    def compress_gzip(self, data: bytes) -> bytes:
        return self._once("gz", super().compress_gzip, data)


class CompressedManifestStorage(CompressedManifestStaticFilesStorage):
    """Production's static storage (settings.STORAGES): whitenoise's, with :class:`OnceCompressor`."""

    def create_compressor(self, **kwargs) -> Compressor:
        return OnceCompressor(**kwargs)
