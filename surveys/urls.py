"""Survey pages of one town: /<town>/beteiligung/<process>/umfrage/…"""

from django.urls import path

from . import views

app_name = "surveys"

survey = "beteiligung/<slug:slug>/umfrage/"

urlpatterns = [
    path(survey, views.survey_detail, name="survey"),
    path(survey + "ergebnisse/", views.survey_results, name="results"),
]
