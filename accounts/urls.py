"""Personal account pages (/konto/)."""

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("daten/", views.data, name="data"),
    path("daten/<int:pk>/herunterladen/", views.data_export_download, name="data-download"),
    path("loeschen/", views.account_delete, name="delete"),
    path("api-tokens/", views.api_tokens, name="api-tokens"),
    path("api-tokens/<int:pk>/widerrufen/", views.api_token_revoke, name="api-token-revoke"),
]
