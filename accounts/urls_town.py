"""Team pages under /<town>/verwaltung/team/."""

from django.urls import path

from . import views

app_name = "team"

urlpatterns = [
    path("", views.team, name="list"),
    path("<int:pk>/rolle/", views.team_change_role, name="role"),
    path("<int:pk>/entfernen/", views.team_remove, name="remove"),
    path("einladungen/<int:pk>/erneut-senden/", views.team_invitation_resend, name="invitation-resend"),
    path("einladungen/<int:pk>/zurueckziehen/", views.team_invitation_revoke, name="invitation-revoke"),
]
