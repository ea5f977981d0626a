"""URLs of the API: /api/v1/… and the OpenAPI schema at /api/schema/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from accounts.decorators import public

from . import opendata, views

app_name = "api"

town = "v1/towns/<slug:town_slug>/"

urlpatterns = [
    # The schema describes public facts only (drf-spectacular's view; readable by everyone).
    path("schema/", public(SpectacularAPIView.as_view()), name="schema"),
    path("v1/towns/", views.TownList.as_view(), name="towns"),
    path(town + "projects/", views.ProjectList.as_view(), name="projects"),
    path(town + "projects/<slug:slug>/", views.ProjectDetail.as_view(), name="project"),
    path(town + "processes/", views.ProcessList.as_view(), name="processes"),
    path(town + "ideas/", views.IdeaList.as_view(), name="ideas"),
    path(town + "ideas/<int:pk>/", views.IdeaDetail.as_view(), name="idea"),
    *[path("v1/", include(opendata.api_urlpatterns))],
    *[path(town, include(opendata.town_urlpatterns))],
    # Any other address under /api/ (an unknown resource, a town address no converter accepts): JSON, not HTML.
    re_path(r"^[\s\S]*$", views.not_found, name="not-found"),  # any path, line breaks included
]
