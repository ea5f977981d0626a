from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    default_site = "smartcity5.admin.PlatformAdminSite"

    def ready(self):
        super().ready()
        from .single_line import add_to_model_fields

        add_to_model_fields()
