"""Root URLs. Fixed portal paths come first; everything else is /<town>/…

A town's slug can never equal a fixed first segment (see municipalities.validators.RESERVED_SLUGS).
"""

from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from agentur import views as agentur_views
from knowledge import views as knowledge_views
from municipalities import views as municipality_views
from participation import views as participation_views
from projects import views as project_views
from smartcity5 import views as platform_views

town_patterns = [
    path("", include("municipalities.urls")),
    path("", include("agentur.urls")),
    path("", include("projects.urls")),
    path("", include("funding.urls")),
    path("", include("participation.urls")),
    path("", include("surveys.urls")),
    path("", include("knowledge.urls")),
    path("", include("reviews.urls")),
    path("", include("reports.urls")),
    path("verwaltung/team/", include("accounts.urls_town")),
]

# A database that cannot be reached answers 503 instead of 500 (smartcity5.errors).
handler500 = "smartcity5.errors.server_error"
# A 403 says which role is needed and who grants it (smartcity5.errors).
handler403 = "smartcity5.errors.permission_denied"

urlpatterns = [
    path("", municipality_views.region_home, name="region-home"),
    path("impressum/", municipality_views.region_legal, {"page": "imprint"}, name="imprint"),
    path("datenschutz/", municipality_views.region_legal, {"page": "privacy"}, name="privacy"),
    path(
        "barrierefreiheit/", municipality_views.region_legal, {"page": "accessibility"}, name="accessibility"
    ),
    path("projekte/", project_views.region_project_list, name="region-projects"),
    path("projekte/katalog/", knowledge_views.transfer_catalogue, name="region-catalogue"),
    path("strategie/", project_views.region_strategy, name="region-strategy"),
    path("beteiligung/", participation_views.region_process_list, name="region-processes"),
    path("wissen/", knowledge_views.public_note_list, name="knowledge-public"),
    path("wissen/<int:pk>/", knowledge_views.public_note_detail, name="knowledge-public-note"),
    path("healthz", platform_views.healthz, name="healthz"),
    path("readyz", platform_views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("konto/", include("accounts.urls")),
    path("einladung/<str:token>/", account_views.invitation_accept, name="invitation-accept"),
    path("konto/benachrichtigungen/", include("notifications.urls")),
    path("konto/beteiligung/", participation_views.my_participation, name="participation-mine"),
    path("agentur/", agentur_views.agentur_overview, name="agentur-overview"),
    path("agentur/fortschrittsberichte/", include("reviews.urls_agentur")),
    path("agentur/berichte/", include("reports.urls_agentur")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("offene-daten/", include("api.opendata.pages")),
    path("<slug:town_slug>/", include(town_patterns)),
]
