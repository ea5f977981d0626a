from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = _("Task outbox")

    def ready(self):
        from . import signals  # noqa: F401  (connects the worker's task signals)
