"""Console URLs of compliance: the checklist with its evidence, and BAAs."""

from django.urls import path

from compliance import views, views_baa

urlpatterns = [
    path("", views.checklist_page, name="compliance"),
    path("items/<str:key>", views.item_page, name="compliance-item"),
    path("evidence/<str:evidence_id>/revoke", views.evidence_revoke_view, name="compliance-evidence-revoke"),
    path("evidence/<str:evidence_id>/file", views.evidence_download, name="compliance-evidence-file"),
    path("baas/", views_baa.baa_list, name="compliance-baas"),
    path("baas/<str:baa_id>", views_baa.baa_detail, name="compliance-baa"),
    path("baas/<str:baa_id>/action", views_baa.baa_action, name="compliance-baa-action"),
    path("baas/<str:baa_id>/document", views_baa.baa_document, name="compliance-baa-document"),
]
