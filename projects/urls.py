"""Project pages of one town: /<town>/projekte/…, /<town>/strategie/ and /<town>/verwaltung/projekte/…"""

from django.urls import path

from . import views

app_name = "projects"

staff = "verwaltung/projekte/<slug:slug>/"

urlpatterns = [
    path("projekte/", views.project_list, name="list"),
    path("projekte/<slug:slug>/", views.project_detail, name="detail"),
    path("projekte/<slug:slug>/dateien/<int:pk>/", views.project_file, name="file"),
    path("strategie/", views.town_strategy, name="strategy"),
    path("strategie/dokument/<str:kind>/", views.strategy_document, name="strategy-document"),
    path("verwaltung/strategie/", views.staff_strategy, name="staff-strategy"),
    path(
        "verwaltung/strategie/gemeinsam/",
        views.staff_strategy,
        {"kind": "joint"},
        name="staff-joint-strategy",
    ),
    path("verwaltung/projekte/", views.staff_list, name="staff-list"),
    path("verwaltung/projekte/neu/", views.staff_create, name="staff-create"),
    path(staff, views.staff_detail, name="staff-detail"),
    path(staff + "bearbeiten/", views.staff_edit, name="staff-edit"),
    path(staff + "status/", views.staff_transition, name="staff-status"),
    path(staff + "verlauf/", views.staff_history, name="staff-history"),
    path(staff + "updates/neu/", views.staff_update_create, name="staff-update-create"),
    path(staff + "updates/<int:pk>/", views.staff_update_edit, name="staff-update-edit"),
    path(staff + "updates/<int:pk>/loeschen/", views.staff_update_delete, name="staff-update-delete"),
    path(staff + "kennzahlen/neu/", views.staff_indicator_create, name="staff-indicator-create"),
    path(staff + "kennzahlen/<int:pk>/", views.staff_indicator, name="staff-indicator"),
    path(
        staff + "kennzahlen/<int:pk>/loeschen/", views.staff_indicator_delete, name="staff-indicator-delete"
    ),
    path(
        staff + "kennzahlen/<int:pk>/messwerte/<int:measurement>/loeschen/",
        views.staff_measurement_delete,
        name="staff-measurement-delete",
    ),
    path(staff + "dateien/", views.staff_files, name="staff-files"),
    path(staff + "dateien/<int:pk>/loeschen/", views.staff_file_delete, name="staff-file-delete"),
]
