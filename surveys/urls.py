"""Survey pages of one town: /<town>/beteiligung/<process>/umfrage/…"""

from django.urls import path

from . import views

app_name = "surveys"

survey = "beteiligung/<slug:slug>/umfrage/"
staff = "verwaltung/beteiligung/<slug:slug>/umfrage/"

urlpatterns = [
    path(survey, views.survey_detail, name="survey"),
    path(survey + "ergebnisse/", views.survey_results, name="results"),
    path(staff, views.staff_survey, name="staff-survey"),
    path(staff + "fragen/neu/", views.staff_question, name="staff-question-add"),
    path(staff + "fragen/<int:pk>/", views.staff_question, name="staff-question"),
    path(staff + "vorschau/", views.staff_preview, name="staff-preview"),
    path(staff + "papier/", views.staff_paper, name="staff-paper"),
    path(staff + "freitexte/", views.staff_texts, name="staff-texts"),
    *[
        path(
            staff + f"ergebnisse.{fmt}", views.staff_results_export, {"fmt": fmt}, name=f"staff-results-{fmt}"
        )
        for fmt in ("csv", "xlsx")
    ],
    *[
        path(
            staff + f"antworten.{fmt}",
            views.staff_responses_export,
            {"fmt": fmt},
            name=f"staff-responses-{fmt}",
        )
        for fmt in ("csv", "xlsx")
    ],
]
