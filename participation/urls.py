"""Participation pages of one town: /<town>/beteiligung/…, /<town>/ideen/… and /<town>/verwaltung/beteiligung/…"""

from django.urls import path

from . import views

app_name = "participation"

process = "beteiligung/<slug:slug>/"
staff = "verwaltung/beteiligung/"

urlpatterns = [
    path("beteiligung/", views.process_list, name="processes"),
    path(process, views.process_detail, name="process"),
    path(process + "idee/", views.idea_create, name="idea-create"),
    path(process + "abstimmung/", views.process_vote, name="vote"),
    path(process + "abstimmung/code/", views.process_vote_code, name="vote-code"),
    path(process + "ergebnis/", views.process_results, name="results"),
    path(process + "ergebnis.csv", views.process_results_csv, name="results-csv"),
    path(process + "karte.geojson", views.process_map, name="process-map"),
    path("ideen/", views.idea_list, name="ideas"),
    path("ideen/<int:pk>/", views.idea_detail, name="idea"),
    path("ideen/<int:pk>/bild/", views.idea_image, name="idea-image"),
    path("ideen/<int:pk>/unterstuetzen/", views.idea_support, name="idea-support"),
    path("ideen/<int:pk>/kommentieren/", views.comment_create, name="comment-create"),
    path("ideen/<int:pk>/melden/", views.idea_flag, name="idea-flag"),
    path("kommentare/<int:pk>/melden/", views.comment_flag, name="comment-flag"),
    path(staff, views.staff_overview, name="staff-overview"),
    path(staff + "neu/", views.staff_process_create, name="staff-process-create"),
    path(staff + "moderation/", views.staff_moderation, name="staff-moderation"),
    path(staff + "moderation/ideen/<int:pk>/", views.staff_moderate_idea, name="staff-moderate-idea"),
    path(
        staff + "moderation/kommentare/<int:pk>/", views.staff_moderate_comment, name="staff-moderate-comment"
    ),
    path(
        staff + "moderation/ideen/<int:pk>/datenschutz/",
        views.staff_privacy_edit_idea,
        name="staff-privacy-edit-idea",
    ),
    path(
        staff + "moderation/kommentare/<int:pk>/datenschutz/",
        views.staff_privacy_edit_comment,
        name="staff-privacy-edit-comment",
    ),
    path(staff + "einstellungen/", views.staff_settings, name="staff-settings"),
    path(staff + "ideen/", views.staff_ideas, name="staff-ideas"),
    path(staff + "ideen/<int:pk>/", views.staff_idea, name="staff-idea"),
    path(staff + "ideen/<int:pk>/antwort/", views.staff_idea_answer, name="staff-idea-answer"),
    path(staff + "ideen/<int:pk>/projekt/", views.staff_idea_project, name="staff-idea-project"),
    path(staff + "ideen/<int:pk>/auswahl/", views.staff_idea_shortlist, name="staff-idea-shortlist"),
    path(staff + "ideen/<int:pk>/pruefung/", views.staff_idea_assess, name="staff-idea-assess"),
    path(
        staff + "ideen/<int:pk>/projekt-anlegen/",
        views.staff_idea_make_project,
        name="staff-idea-make-project",
    ),
    path(staff + "<slug:slug>/", views.staff_process, name="staff-process"),
    path(staff + "<slug:slug>/bearbeiten/", views.staff_process_edit, name="staff-process-edit"),
    path(staff + "<slug:slug>/offline/", views.staff_offline_idea, name="staff-offline"),
    path(staff + "<slug:slug>/codes/", views.staff_voting_codes, name="staff-voting-codes"),
    path(
        staff + "<slug:slug>/codes/<int:pk>/briefe.pdf",
        views.staff_voting_code_letters,
        name="staff-voting-code-letters",
    ),
    path(staff + "<slug:slug>/stimmzettel/", views.staff_paper_ballot, name="staff-paper-ballot"),
]
