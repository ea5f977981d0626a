from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge transfer")

    def ready(self):
        # Notes a person wrote or last changed as staff appear in their data export ("changes you made as
        # staff"), like the registry entries of the other apps in accounts.exports.
        from accounts import exports

        exports.STAFF_ACTIVITY.setdefault("knowledge.LessonNote", (
            exports.StaffActivity("author", "created_at", exports._title("title")),
            exports.StaffActivity("updated_by", "updated_at", exports._title("title")),
        ))
