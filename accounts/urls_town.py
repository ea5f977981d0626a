"""Team pages under /<town>/verwaltung/team/."""

from django.urls import path

from . import views

app_name = "team"

urlpatterns = [
    path("", views.team, name="list"),
    path("<int:pk>/rolle/", views.team_change_role, name="role"),
    path("<int:pk>/entfernen/", views.team_remove, name="remove"),
]
