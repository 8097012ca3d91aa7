"""REST API v1 routes; each app contributes its endpoints here."""

from django.urls import path

from accessctl.api import accounts as accounts_api
from accessctl.api import api_keys as api_keys_api
from accessctl.api import identity as accessctl_api
from accessctl.api import invitations as invitations_api
from accessctl.api import roles as roles_api
from accessctl.api import security_settings as security_settings_api
from accessctl.api import users as users_api
from audit import api as audit_api
from compliance.api import baa as api_baa
from compliance.api import checklist as api_checklist
from deployments.api import deployments as deployments_api
from deployments.api import generate as api_generate
from disclosures import api as disclosures_api
from emergency import api as emergency_api
from incidents import api as incidents_api
from portal.api.root import ApiRootView
from reports import api as reports_api
from reviews import api as reviews_api
from scans import api as scans_api
from scim import api as scim_api
from siem import api as siem_api
from sso import api as sso_api

urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("me", accessctl_api.MeView.as_view(), name="api-me"),
    path("organization/members", accessctl_api.MemberListView.as_view(), name="api-members"),
    path(
        "organization/security-settings",
        security_settings_api.SecuritySettingsView.as_view(),
        name="api-security-settings",
    ),
    path("organization/sso", sso_api.OidcConfigurationView.as_view(), name="api-sso"),
    path("roles", roles_api.RoleListCreateView.as_view(), name="api-roles"),
    path("role-assignments", roles_api.RoleAssignmentView.as_view(), name="api-role-assignments"),
    path("users", users_api.UserListView.as_view(), name="api-users"),
    path("users/<str:user_id>", users_api.UserDetailView.as_view(), name="api-user"),
    path("users/<str:user_id>/deactivate", users_api.UserDeactivateView.as_view(), name="api-user-deactivate"),
    path("users/<str:user_id>/reactivate", users_api.UserReactivateView.as_view(), name="api-user-reactivate"),
    path(
        "users/<str:user_id>/password-reset", users_api.UserPasswordResetView.as_view(), name="api-user-password-reset"
    ),
    path("invitations", invitations_api.InvitationListCreateView.as_view(), name="api-invitations"),
    path(
        "invitations/<str:invitation_id>/resend",
        invitations_api.InvitationResendView.as_view(),
        name="api-invitation-resend",
    ),
    path(
        "invitations/<str:invitation_id>/revoke",
        invitations_api.InvitationRevokeView.as_view(),
        name="api-invitation-revoke",
    ),
    path("users/<str:user_id>/roles/<str:role_name>", roles_api.RoleUnassignView.as_view(), name="api-role-unassign"),
    path("users/<str:user_id>/unlock", accounts_api.AccountUnlockView.as_view(), name="api-user-unlock"),
    path("api-keys", api_keys_api.ApiKeyListCreateView.as_view(), name="api-keys"),
    path("api-keys/<str:key_id>", api_keys_api.ApiKeyRevokeView.as_view(), name="api-key-revoke"),
    path("scim-tokens", scim_api.ScimTokenListCreateView.as_view(), name="api-scim-tokens"),
    path("scim-tokens/<str:token_id>", scim_api.ScimTokenRevokeView.as_view(), name="api-scim-token-revoke"),
    path("deployments", deployments_api.DeploymentListCreateView.as_view(), name="api-deployments"),
    path("deployments/<str:deployment_id>", deployments_api.DeploymentDetailView.as_view(), name="api-deployment"),
    path("baas", api_baa.BaaListCreateView.as_view(), name="api-baas"),
    path("baas/<str:baa_id>", api_baa.BaaDetailView.as_view(), name="api-baa"),
    path("baas/<str:baa_id>/actions", api_baa.BaaActionView.as_view(), name="api-baa-actions"),
    path("baas/<str:baa_id>/document", api_baa.BaaDocumentView.as_view(), name="api-baa-document"),
    path("compliance/checklist", api_checklist.ChecklistView.as_view(), name="api-checklist"),
    path("compliance/checklist/history", api_checklist.ChecklistHistoryView.as_view(), name="api-checklist-history"),
    path("compliance/evidence", api_checklist.EvidenceCreateView.as_view(), name="api-evidence"),
    path(
        "compliance/evidence/<str:evidence_id>", api_checklist.EvidenceDetailView.as_view(), name="api-evidence-detail"
    ),
    path(
        "compliance/evidence/<str:evidence_id>/file", api_checklist.EvidenceFileView.as_view(), name="api-evidence-file"
    ),
    path("emergency-access/requests", emergency_api.RequestListCreateView.as_view(), name="api-emergency-requests"),
    path(
        "emergency-access/requests/<str:request_id>",
        emergency_api.RequestDetailView.as_view(),
        name="api-emergency-request",
    ),
    path(
        "emergency-access/requests/<str:request_id>/decisions",
        emergency_api.DecisionView.as_view(),
        name="api-emergency-decisions",
    ),
    path(
        "emergency-access/requests/<str:request_id>/revoke",
        emergency_api.RevokeView.as_view(),
        name="api-emergency-revoke",
    ),
    path(
        "emergency-access/requests/<str:request_id>/review",
        emergency_api.ReviewView.as_view(),
        name="api-emergency-review",
    ),
    path(
        "emergency-access/requests/<str:request_id>/activity",
        emergency_api.ActivityView.as_view(),
        name="api-emergency-activity",
    ),
    path("deployments/<str:deployment_id>/generate", api_generate.GenerateView.as_view(), name="api-generate"),
    path("disclosures/search", disclosures_api.DisclosureSearchView.as_view(), name="api-disclosures-search"),
    path("disclosures/export", disclosures_api.DisclosureExportView.as_view(), name="api-disclosures-export"),
    path("phi-scans", scans_api.PhiScanListCreateView.as_view(), name="api-phi-scans"),
    path("phi-scans/<str:scan_id>", scans_api.PhiScanDetailView.as_view(), name="api-phi-scan"),
    path("phi-scans/<str:scan_id>/redacted", scans_api.PhiScanRedactedView.as_view(), name="api-phi-scan-redacted"),
    path("reports", reports_api.ReportListCreateView.as_view(), name="api-reports"),
    path("reports/<str:report_id>", reports_api.ReportDetailView.as_view(), name="api-report"),
    path("reports/<str:report_id>/download", reports_api.ReportDownloadView.as_view(), name="api-report-download"),
    path("incidents", incidents_api.IncidentListCreateView.as_view(), name="api-incidents"),
    path("incidents/thresholds", incidents_api.ThresholdsView.as_view(), name="api-incident-thresholds"),
    path("incidents/<str:incident_id>", incidents_api.IncidentDetailView.as_view(), name="api-incident"),
    path("incidents/<str:incident_id>/notes", incidents_api.IncidentNoteView.as_view(), name="api-incident-notes"),
    path("incidents/<str:incident_id>/events", incidents_api.IncidentEventsView.as_view(), name="api-incident-events"),
    path(
        "incidents/<str:incident_id>/assessment",
        incidents_api.IncidentAssessmentView.as_view(),
        name="api-incident-assessment",
    ),
    path(
        "incidents/<str:incident_id>/deadlines",
        incidents_api.IncidentDeadlinesView.as_view(),
        name="api-incident-deadlines",
    ),
    path(
        "incidents/<str:incident_id>/notifications",
        incidents_api.IncidentNotificationView.as_view(),
        name="api-incident-notifications",
    ),
    path(
        "incidents/<str:incident_id>/notices",
        incidents_api.IncidentNoticeListView.as_view(),
        name="api-incident-notices",
    ),
    path(
        "incidents/<str:incident_id>/notices/<str:notice_id>",
        incidents_api.IncidentNoticeDownloadView.as_view(),
        name="api-incident-notice",
    ),
    path("alerts", incidents_api.AlertListView.as_view(), name="api-alerts"),
    path("access-reviews", reviews_api.CampaignListCreateView.as_view(), name="api-access-reviews"),
    path("access-reviews/schedule", reviews_api.ScheduleView.as_view(), name="api-access-review-schedule"),
    path("access-reviews/<str:review_id>", reviews_api.CampaignDetailView.as_view(), name="api-access-review"),
    path(
        "access-reviews/<str:review_id>/items/<str:item_id>/decision",
        reviews_api.ItemDecisionView.as_view(),
        name="api-access-review-decision",
    ),
    path(
        "access-reviews/<str:review_id>/sign-off", reviews_api.SignOffView.as_view(), name="api-access-review-sign-off"
    ),
    path("audit-logs", audit_api.AuditLogListView.as_view(), name="api-audit-logs"),
    path("audit-logs/export", audit_api.AuditExportView.as_view(), name="api-audit-export"),
    path("audit-logs/checkpoints", audit_api.AuditCheckpointListView.as_view(), name="api-audit-checkpoints"),
    path("audit-logs/consistency", audit_api.AuditConsistencyProofView.as_view(), name="api-audit-consistency"),
    path("audit-logs/<str:event_id>/proof", audit_api.AuditInclusionProofView.as_view(), name="api-audit-proof"),
    path("siem/destinations", siem_api.DestinationListView.as_view(), name="api-siem-destinations"),
    path(
        "siem/destinations/<str:destination_id>", siem_api.DestinationDetailView.as_view(), name="api-siem-destination"
    ),
    path("siem/ocsf", siem_api.OcsfExportView.as_view(), name="api-siem-ocsf"),
]
