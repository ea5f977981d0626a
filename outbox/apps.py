from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = _("Task outbox")

    def ready(self):
        from . import health, signals  # noqa: F401  (the readiness check; the worker's task signals)
