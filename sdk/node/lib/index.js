'use strict';
/** Node.js SDK for the PaiTIENT Secure Model Service (dependency-free; Node >= 20). */

const { PaiTIENTClient, AuditLogs, StreamedGeneration } = require('./client');
const errors = require('./errors');
const models = require('./models');
const security = require('./security');
const users = require('./users');

module.exports = {
  PaiTIENTClient,
  AuditLogs,
  AuditLog: models.AuditLog,
  ComplianceReport: models.ComplianceReport,
  Deployment: models.Deployment,
  PHIEntity: models.PHIEntity,
  Role: models.Role,
  RoleAssignment: models.RoleAssignment,
  TextGeneration: models.TextGeneration,
  User: users.User,
  Invitation: users.Invitation,
  StreamedGeneration,
  PaiTIENTError: errors.PaiTIENTError,
  ConfigurationError: errors.ConfigurationError,
  AuthenticationError: errors.AuthenticationError,
  PermissionDeniedError: errors.PermissionDeniedError,
  NotFoundError: errors.NotFoundError,
  ValidationError: errors.ValidationError,
  PHIRejectedError: errors.PHIRejectedError,
  ConflictError: errors.ConflictError,
  RateLimitError: errors.RateLimitError,
  ServiceUnavailableError: errors.ServiceUnavailableError,
  DeploymentFailedError: errors.DeploymentFailedError,
  ReportFailedError: errors.ReportFailedError,
  TimeoutError: errors.TimeoutError,
  SecuritySettings: security.SecuritySettings,
  ComplianceSettings: security.ComplianceSettings,
  AccessControlSettings: security.AccessControlSettings,
  TransmissionSecuritySettings: security.TransmissionSecuritySettings,
  EmergencyAccessSettings: security.EmergencyAccessSettings,
};
