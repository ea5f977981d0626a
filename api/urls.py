"""URLs of the API: /api/v1/… and the OpenAPI schema at /api/schema/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.decorators import public

from . import agentur, notifications, projects, reports, surveys, towns
from . import funding as f
from . import participation as p
from .opendata import urls as opendata_urls

app_name = "api"

town = "v1/towns/<slug:town_slug>/"

urlpatterns = [
    # The schema describes public facts only (drf-spectacular's view; readable by everyone).
    path("schema/", public(SpectacularAPIView.as_view()), name="schema"),
    # The browsable documentation (Swagger UI, served from our own static files by drf-spectacular-sidecar); the
    # split view serves its start-up script at ?script, so the page needs no inline script under the CSP.
    path(
        "docs/",
        public(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html")
        ),
        name="docs",
    ),
    path("v1/agentur/towns/", agentur.AgenturOverview.as_view(), name="agentur-towns"),
    path("v1/me/notifications/", notifications.NotificationList.as_view(), name="notifications"),
    path(
        "v1/me/notifications/read-all/",
        notifications.NotificationsReadAll.as_view(),
        name="notifications-read-all",
    ),
    path(
        "v1/me/notifications/<int:pk>/read/",
        notifications.NotificationRead.as_view(),
        name="notification-read",
    ),
    path(town + "reports/", reports.ReportList.as_view(), name="reports"),
    path(town + "reports/<int:pk>/", reports.ReportDetail.as_view(), name="report"),
    path(town + "reports/<int:pk>/download/", reports.ReportDownload.as_view(), name="report-download"),
    path("v1/towns/", towns.TownList.as_view(), name="towns"),
    path("v1/fields-of-action/", projects.FieldOfActionList.as_view(), name="fields-of-action"),
    path(town + "projects/", projects.ProjectList.as_view(), name="projects"),
    path(town + "projects/<slug:slug>/", projects.ProjectDetail.as_view(), name="project"),
    path(town + "projects/<slug:slug>/updates/", projects.ProjectUpdates.as_view(), name="project-updates"),
    path(
        town + "projects/<slug:slug>/indicators/",
        projects.ProjectIndicators.as_view(),
        name="project-indicators",
    ),
    path(town + "processes/", p.ProcessList.as_view(), name="processes"),
    path(town + "processes/<slug:slug>/", p.ProcessDetail.as_view(), name="process"),
    path(town + "processes/<slug:slug>/ideas/", p.ProcessIdeas.as_view(), name="process-ideas"),
    path(town + "processes/<slug:slug>/survey/", surveys.ProcessSurvey.as_view(), name="process-survey"),
    path(
        town + "processes/<slug:slug>/survey/results/",
        surveys.ProcessSurveyResults.as_view(),
        name="process-survey-results",
    ),
    path(
        town + "processes/<slug:slug>/survey/responses/",
        surveys.SurveyResponses.as_view(),
        name="process-survey-responses",
    ),
    path(
        town + "processes/<slug:slug>/survey/paper-responses/",
        surveys.SurveyPaperResponses.as_view(),
        name="process-survey-paper-responses",
    ),
    path(town + "processes/<slug:slug>/results/", p.ProcessResults.as_view(), name="process-results"),
    path(town + "processes/<slug:slug>/ballot/", p.ProcessBallot.as_view(), name="process-ballot"),
    path(
        town + "processes/<slug:slug>/paper-ballots/",
        p.ProcessPaperBallots.as_view(),
        name="process-paper-ballots",
    ),
    path(town + "ideas/", p.IdeaList.as_view(), name="ideas"),
    path(town + "ideas/<int:pk>/", p.IdeaDetail.as_view(), name="idea"),
    path(town + "ideas/<int:pk>/comments/", p.IdeaComments.as_view(), name="idea-comments"),
    path(town + "ideas/<int:pk>/support/", p.IdeaSupport.as_view(), name="idea-support"),
    path(town + "ideas/<int:pk>/report/", p.IdeaReport.as_view(), name="idea-report"),
    path(town + "ideas/<int:pk>/answers/", p.IdeaAnswer.as_view(), name="idea-answers"),
    path(town + "ideas/<int:pk>/assessment/", p.IdeaAssessment.as_view(), name="idea-assessment"),
    path(town + "comments/<int:pk>/report/", p.CommentReport.as_view(), name="comment-report"),
    path(town + "moderation/", p.ModerationQueue.as_view(), name="moderation"),
    path(town + "moderation/ideas/<int:pk>/", p.ModerateIdea.as_view(), name="moderate-idea"),
    path(town + "moderation/comments/<int:pk>/", p.ModerateComment.as_view(), name="moderate-comment"),
    path(town + "grants/", f.GrantList.as_view(), name="grants"),
    path(town + "grants/<int:pk>/", f.GrantDetail.as_view(), name="grant"),
    path(town + "grants/<int:pk>/budget/", f.GrantBudget.as_view(), name="grant-budget"),
    path(town + "grants/<int:pk>/disbursements/", f.GrantDisbursements.as_view(), name="grant-disbursements"),
    path(town + "grants/<int:pk>/milestones/", f.GrantMilestones.as_view(), name="grant-milestones"),
    path(town + "grants/<int:pk>/proofs/", f.GrantProofs.as_view(), name="grant-proofs"),
    *[path("v1/", include(opendata_urls.api_urlpatterns))],
    *[path(town, include(opendata_urls.town_urlpatterns))],
    # Any other address under /api/ (an unknown resource, a town address no converter accepts): JSON, not HTML.
    re_path(r"^[\s\S]*$", towns.not_found, name="not-found"),  # any path, line breaks included
]
