from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenturConfig(AppConfig):
    name = "agentur"
    verbose_name = _("Südwestfalen Agentur")
