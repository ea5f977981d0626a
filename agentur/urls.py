"""URLs under /<town>/ of the key figures' pages (the town is resolved by MunicipalityScopeMiddleware)."""

from django.urls import path

from . import views

app_name = "agentur"

urlpatterns = [
    path("verwaltung/", views.staff_dashboard, name="staff-dashboard"),
]
