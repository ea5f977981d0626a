"""The human-readable open data page at /offene-daten/ (mounted by smartcity5/urls.py)."""

app_name = "opendata"

urlpatterns: list = []
