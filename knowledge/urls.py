"""Lessons-learned notes in a town's staff area: /<town>/verwaltung/wissen/… (notes of every town)."""

from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("verwaltung/wissen/", views.note_list, name="lessons"),
    path("verwaltung/wissen/neu/", views.note_create, name="lesson-create"),
    path("verwaltung/wissen/<int:pk>/", views.note_detail, name="lesson"),
    path("verwaltung/wissen/<int:pk>/bearbeiten/", views.note_edit, name="lesson-edit"),
]
