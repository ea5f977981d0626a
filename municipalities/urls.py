"""URLs under /<town>/ (the town is resolved by MunicipalityScopeMiddleware)."""

from django.urls import path

from . import views

app_name = "municipalities"

urlpatterns = [
    path("", views.town_home, name="home"),
    path("impressum/", views.town_legal, {"page": "imprint"}, name="imprint"),
    path("datenschutz/", views.town_legal, {"page": "privacy"}, name="privacy"),
    path("barrierefreiheit/", views.town_accessibility, name="accessibility"),
    path("verwaltung/barrierefreiheit/", views.staff_feedback_list, name="staff-feedback"),
    path(
        "verwaltung/barrierefreiheit/<int:pk>/erledigt/",
        views.staff_feedback_mark_handled,
        name="staff-feedback-handled",
    ),
]
