"""The Agentur's review of progress reports: /agentur/fortschrittsberichte/… (moderators only)."""

from django.urls import path

from . import views

app_name = "agentur-reviews"

report = "<slug:slug>/<int:year>-q<int:quarter>/"

urlpatterns = [
    path("", views.review_list, name="list"),
    path(report, views.review_detail, name="detail"),
    path(report + "kommentar/", views.review_comment, name="comment"),
    path(report + "entscheidung/", views.review_decide, name="decide"),
]
