from django.contrib.admin.apps import AdminConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig


class PlatformAdminConfig(AdminConfig):
    default_site = "smartcity5.admin.PlatformAdminSite"

    def ready(self):
        super().ready()
        from . import lookups  # noqa: F401  # registers ``__any_of`` on every field
        from .single_line import add_to_model_fields

        add_to_model_fields()


class StaticFilesConfig(DjangoStaticFilesConfig):
    """collectstatic leaves out the static files of installed packages that no page loads: the browsable API's
    (the API answers JSON only, settings.REST_FRAMEWORK), django-htmx's copy of htmx (the portal vendors its own,
    static/vendor/htmx) and ReDoc (the API's documentation is Swagger UI, api/urls.py). About a third less to
    hash and compress (brotli) in the image's build and in the production smoke."""

    ignore_patterns = [
        *DjangoStaticFilesConfig.ignore_patterns,
        "rest_framework/*",
        "django_htmx/*",
        "drf_spectacular_sidecar/redoc/*",
    ]
