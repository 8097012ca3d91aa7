"""Console URLs of compliance: the checklist with its evidence, and BAAs."""

from django.urls import path

from compliance import views

urlpatterns = [
    path("", views.checklist_page, name="compliance"),
    path("items/<str:key>", views.item_page, name="compliance-item"),
    path("evidence/<str:evidence_id>/revoke", views.evidence_revoke_view, name="compliance-evidence-revoke"),
    path("evidence/<str:evidence_id>/file", views.evidence_download, name="compliance-evidence-file"),
    path("baas/", views.baa_list, name="compliance-baas"),
    path("baas/<str:baa_id>", views.baa_detail, name="compliance-baa"),
    path("baas/<str:baa_id>/action", views.baa_action, name="compliance-baa-action"),
    path("baas/<str:baa_id>/document", views.baa_document, name="compliance-baa-document"),
]
