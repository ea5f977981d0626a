from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MunicipalitiesConfig(AppConfig):
    name = "municipalities"
    verbose_name = _("Municipalities")

    def ready(self):
        # A town's name, colours and facts show on every page (the footer lists all towns), the consortium on the
        # region and town pages: a change raises every town's version (the anonymous page cache).
        from . import freshness
        from .models import Consortium, Municipality

        freshness.watch(Municipality, everywhere=True)
        freshness.watch(Consortium, everywhere=True)

        from . import figure_versions

        figure_versions.connect()
