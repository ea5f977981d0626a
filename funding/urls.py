"""Funding pages of one town: /<town>/verwaltung/foerderung/… (internal: staff and Agentur moderators)."""

from django.urls import path

from . import views

app_name = "funding"

grant = "verwaltung/foerderung/<int:pk>/"

urlpatterns = [
    path("verwaltung/foerderung/", views.grant_list, name="list"),
    path("verwaltung/foerderung/neu/", views.grant_create, name="create"),
    path(grant, views.grant_detail, name="detail"),
    path(grant + "bearbeiten/", views.grant_edit, name="edit"),
    path(grant + "verlauf/", views.grant_history, name="history"),
    path(grant + "ausnahme/", views.grant_rate_exception_document, name="rate-exception-document"),
    path(grant + "export.xlsx", views.grant_export, name="export"),
    path(grant + "haushaltsplan/", views.budget, name="budget"),
    path(grant + "haushaltsplan/<int:item>/", views.budget_line_edit, name="budget-line"),
    path(grant + "haushaltsplan/<int:item>/loeschen/", views.budget_line_delete, name="budget-line-delete"),
    path(grant + "ausgaben/", views.spending, name="spending"),
    path(grant + "ausgaben/<int:item>/", views.spending_edit, name="spending-edit"),
    path(grant + "ausgaben/<int:item>/loeschen/", views.spending_delete, name="spending-delete"),
    path(grant + "mittelabrufe/", views.disbursements, name="disbursements"),
    path(grant + "mittelabrufe/<int:item>/", views.disbursement_edit, name="disbursement"),
    path(grant + "mittelabrufe/<int:item>/status/", views.disbursement_action, name="disbursement-action"),
    path(grant + "mittelabrufe/<int:item>/loeschen/", views.disbursement_delete, name="disbursement-delete"),
    path(grant + "meilensteine/", views.milestones, name="milestones"),
    path(grant + "meilensteine/<int:item>/", views.milestone_detail, name="milestone"),
    path(grant + "meilensteine/<int:item>/status/", views.milestone_status, name="milestone-status"),
    path(grant + "meilensteine/<int:item>/loeschen/", views.milestone_delete, name="milestone-delete"),
    path(grant + "meilensteine/<int:item>/nachweis/", views.milestone_evidence, name="milestone-evidence"),
    path(grant + "nachweise/", views.proofs, name="proofs"),
    path(grant + "nachweise/<int:item>/", views.proof_detail, name="proof"),
    path(grant + "nachweise/<int:item>/status/", views.proof_status, name="proof-status"),
    path(grant + "nachweise/<int:item>/loeschen/", views.proof_delete, name="proof-delete"),
    path(grant + "nachweise/<int:item>/dokument/", views.proof_document, name="proof-document"),
]
