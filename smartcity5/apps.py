from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    default_site = "smartcity5.admin.PlatformAdminSite"

    def ready(self):
        super().ready()
        from . import lookups  # noqa: F401  # registers ``__any_of`` on every field
        from .relations import held_rows_are_not_looked_up
        from .single_line import add_to_model_fields

        add_to_model_fields()
        held_rows_are_not_looked_up()
