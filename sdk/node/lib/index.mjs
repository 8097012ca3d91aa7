// ESM entry point: the CommonJS implementation re-exported, so `instanceof` holds across both.
import sdk from './index.js';

export const {
  PaiTIENTClient,
  AuditLogs,
  AuditLog,
  ComplianceReport,
  Deployment,
  PHIEntity,
  Role,
  RoleAssignment,
  TextGeneration,
  StreamedGeneration,
  PaiTIENTError,
  ConfigurationError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ValidationError,
  PHIRejectedError,
  ConflictError,
  RateLimitError,
  ServiceUnavailableError,
  DeploymentFailedError,
  ReportFailedError,
  TimeoutError,
  SecuritySettings,
  ComplianceSettings,
  AccessControlSettings,
  TransmissionSecuritySettings,
  EmergencyAccessSettings,
} = sdk;
export default sdk;
