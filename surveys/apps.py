from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from municipalities import freshness

        from . import freshness as surveys_freshness

        freshness.watch_all(surveys_freshness.WATCHED)
