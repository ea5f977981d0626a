"""A person's notifications: /konto/benachrichtigungen/…"""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/", views.notification_open, name="open"),
    path("alle-gelesen/", views.notifications_read_all, name="read-all"),
    path("einstellungen/", views.notification_preferences, name="preferences"),
    path("abbestellen/<str:token>/", views.digest_unsubscribe, name="unsubscribe"),
]
