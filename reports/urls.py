"""Report pages of one town: /<town>/verwaltung/berichte/… (staff and Agentur moderators)."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("verwaltung/berichte/", views.report_list, name="list"),
    path("verwaltung/berichte/<int:pk>/status/", views.report_status, name="status"),
    path("verwaltung/berichte/<int:pk>/datei/", views.report_download, name="download"),
]
