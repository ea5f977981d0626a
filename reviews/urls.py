"""Progress reports of one town: /<town>/verwaltung/fortschrittsberichte/… (internal: staff and moderators)."""

from django.urls import path

from . import views

app_name = "reviews"

report = "verwaltung/fortschrittsberichte/<int:year>-q<int:quarter>/"

urlpatterns = [
    path("verwaltung/fortschrittsberichte/", views.report_list, name="list"),
    path(report, views.report_detail, name="detail"),
    path(report + "texte/", views.report_texts, name="texts"),
    path(report + "aktualisieren/", views.report_refresh, name="refresh"),
    path(report + "einreichen/", views.report_submit, name="submit"),
    path(report + "ueberarbeiten/", views.report_reopen, name="reopen"),
    path(report + "antworten/", views.report_reply, name="reply"),
]
