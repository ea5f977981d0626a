from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = _("Funding")

    def ready(self):
        from municipalities import freshness

        # The figures of the town that keeps the grant (funding is internal: no public page shows it).
        freshness.watch_all(
            {
                f"funding.{name}": freshness.Watch(freshness.own, freshness.FIGURES)
                for name in ("Grant", "Milestone", "DisbursementRequest", "Spending")
            }
        )
