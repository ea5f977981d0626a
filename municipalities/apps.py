from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MunicipalitiesConfig(AppConfig):
    name = "municipalities"
    verbose_name = _("Municipalities")

    def ready(self):
        # Every write of a row a town's public pages show or its key figures count moves its towns' versions
        # (the anonymous page cache, the Agentur's figures): one registry, municipalities.freshness.WATCHED.
        from . import freshness

        freshness.connect()
