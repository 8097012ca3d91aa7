'use strict';
// SecuritySettings: camelCase options, the REST (snake_case) shape with only given fields, and the split
// between organisation sections and request-level settings.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const {
  SecuritySettings,
  ComplianceSettings,
  AccessControlSettings,
  TransmissionSecuritySettings,
  EmergencyAccessSettings,
} = require('paitient-secure-model/security');

test('only the given fields, in snake_case', () => {
  const compliance = new ComplianceSettings({ hipaa: true, logRetentionDays: 365, phiDetection: undefined });
  assert.deepEqual(compliance.toDict(), { hipaa: true, log_retention_days: 365 });
  assert.equal(JSON.stringify(compliance), '{"hipaa":true,"log_retention_days":365}');
  assert.deepEqual(new AccessControlSettings({
    requireMfa: true, sessionTimeoutMinutes: 15, concurrentSessionsLimit: 1, ipRestrictions: ['10.0.0.0/8'],
    sessionMaxHours: 8,
  }).toDict(), {
    require_mfa: true, session_timeout_minutes: 15, concurrent_sessions_limit: 1, ip_restrictions: ['10.0.0.0/8'],
    session_max_hours: 8,
  });
});

test('the seed page: organisation sections and request settings are split like the Python SDK', () => {
  const settings = new SecuritySettings({
    compliance: new ComplianceSettings({ hipaa: true, auditLogging: true, logRetentionDays: 365, phiDetection: true }),
    accessControl: { requireMfa: true },
    transmissionSecurity: { enforce_tls_1_2_plus: true, secureCiphersOnly: true, hstsEnabled: true },
    emergencyAccess: new EmergencyAccessSettings({
      enabled: true, authorizedRoles: ['security-admin'], requireMultiApproval: true, accessDurationHours: 4,
    }),
    networkIsolation: true,
    encryptionLevel: 'maximum',
    phiRedaction: true,
    extra: { subject_id: 'patient-7' },
  });
  assert.ok(settings.accessControl instanceof AccessControlSettings);
  assert.ok(settings.transmissionSecurity instanceof TransmissionSecuritySettings);
  assert.deepEqual(settings.organizationSettings(), {
    compliance: { hipaa: true, audit_logging: true, log_retention_days: 365, phi_detection: true },
    access_control: { require_mfa: true },
    transmission_security: { enforce_tls_1_2_plus: true, secure_ciphers_only: true, hsts_enabled: true },
    emergency_access: { enabled: true, authorized_roles: ['security-admin'], require_multi_approval: true,
      access_duration_hours: 4 },
  });
  assert.deepEqual(settings.requestSettings(), {
    network_isolation: true, encryption_level: 'maximum', phi_redaction: true, subject_id: 'patient-7',
  });
});

test('a misspelt setting is refused, not dropped', () => {
  assert.throws(() => new ComplianceSettings({ hippa: true }), /unknown setting "hippa"/);
  assert.throws(() => new SecuritySettings({ compliance: { auditLoging: true } }), TypeError);
  assert.throws(() => new SecuritySettings('hipaa'), TypeError);
});

test('SecuritySettings.from takes an instance, a plain object or nothing', () => {
  const settings = new SecuritySettings({ phiDetection: true });
  assert.equal(SecuritySettings.from(settings), settings);
  const plain = SecuritySettings.from({ phiHandling: 'de-identify' });
  assert.deepEqual(plain.requestSettings(), { phi_handling: 'de-identify' });
  assert.equal(SecuritySettings.from(undefined), null);
  assert.deepEqual(new SecuritySettings().organizationSettings(), {});
});
