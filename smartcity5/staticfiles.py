"""The apps' static files that collectstatic gathers: all but those of installed packages that no page loads."""

from django.contrib.staticfiles import finders

#: The browsable API's files (the API answers JSON only, settings.REST_FRAMEWORK), django-htmx's copy of htmx (the
#: portal vendors its own, static/vendor/htmx) and ReDoc (the API's documentation is Swagger UI, api/urls.py):
#: about half of what the image's build and the production smoke would hash and compress (brotli) for nothing.
UNUSED = ("rest_framework/*", "django_htmx/*", "drf_spectacular_sidecar/redoc/*")


class AppDirectoriesFinder(finders.AppDirectoriesFinder):
    """Django's finder of the apps' ``static/`` folders, whose list for collectstatic skips :data:`UNUSED`. Finding
    one file by its name (``runserver``, the test server) is unchanged."""

    def list(self, ignore_patterns):
        return super().list([*(ignore_patterns or ()), *UNUSED])
