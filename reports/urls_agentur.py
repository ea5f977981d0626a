"""The region report pages of the Agentur: /agentur/berichte/… (moderators only)."""

from django.urls import path

from . import views

app_name = "agentur-reports"

urlpatterns = [
    path("", views.region_report_list, name="list"),
    path("<int:pk>/status/", views.region_report_status, name="status"),
    path("<int:pk>/datei/", views.region_report_download, name="download"),
]
