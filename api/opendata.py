"""Open data downloads (CSV/JSON) and their DCAT-AP.de catalogue — filled in by the open data work of issue 7."""

# Mounted under /api/v1/ (region-wide) and /api/v1/towns/<town_slug>/ (per town) by api/urls.py.
api_urlpatterns: list = []
town_urlpatterns: list = []
