'use strict';
/** Security settings as the service's documentation shows them (camelCase); toJSON() gives the REST shape. */

/** Only what was given: the server keeps every other setting as it is. */
function compact(value) {
  if (value instanceof Settings) return value.toDict();
  if (Array.isArray(value)) return value.map(compact);
  return value;
}

/**
 * A group of settings. `FIELDS` maps each camelCase option to its REST (snake_case) name; the snake_case
 * name is accepted as an option too. Unknown options throw: a misspelt security setting must not be dropped.
 */
class Settings {
  static FIELDS = {};

  constructor(options = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new TypeError(`${new.target.name} takes an options object`);
    }
    const fields = new.target.FIELDS;
    const byRestName = Object.fromEntries(Object.entries(fields).map(([option, rest]) => [rest, option]));
    for (const [key, value] of Object.entries(options)) {
      const option = key in fields ? key : byRestName[key];
      if (option === undefined) {
        const known = Object.keys(fields).join(', ');
        throw new TypeError(`${new.target.name}: unknown setting "${key}" (known: ${known})`);
      }
      if (value !== undefined && value !== null) this[option] = this.coerce(option, value);
    }
  }

  /** Hook for sections given as plain objects. */
  coerce(option, value) {
    return value;
  }

  /** The REST shape with the settings that were given (snake_case names). */
  toDict() {
    const fields = this.constructor.FIELDS;
    const out = {};
    for (const [option, rest] of Object.entries(fields)) {
      if (this[option] !== undefined && this[option] !== null) out[rest] = compact(this[option]);
    }
    return out;
  }

  toJSON() {
    return this.toDict();
  }
}

class ComplianceSettings extends Settings {
  static FIELDS = {
    hipaa: 'hipaa',
    auditLogging: 'audit_logging',
    logRetentionDays: 'log_retention_days',
    phiDetection: 'phi_detection',
  };
}

class AccessControlSettings extends Settings {
  static FIELDS = {
    requireMfa: 'require_mfa',
    sessionTimeoutMinutes: 'session_timeout_minutes',
    concurrentSessionsLimit: 'concurrent_sessions_limit',
    ipRestrictions: 'ip_restrictions',
    sessionMaxHours: 'session_max_hours',
  };
}

class TransmissionSecuritySettings extends Settings {
  static FIELDS = {
    enforceTls12Plus: 'enforce_tls_1_2_plus',
    secureCiphersOnly: 'secure_ciphers_only',
    hstsEnabled: 'hsts_enabled',
  };
}

class EmergencyAccessSettings extends Settings {
  static FIELDS = {
    enabled: 'enabled',
    authorizedRoles: 'authorized_roles',
    requireMultiApproval: 'require_multi_approval',
    approvalsRequired: 'approvals_required',
    accessDurationHours: 'access_duration_hours',
    requestTtlHours: 'request_ttl_hours',
  };
}

const SECTIONS = {
  compliance: ComplianceSettings,
  accessControl: AccessControlSettings,
  transmissionSecurity: TransmissionSecuritySettings,
  emergencyAccess: EmergencyAccessSettings,
};
const ORGANIZATION_SECTIONS = ['compliance', 'access_control', 'transmission_security', 'emergency_access'];

/**
 * Organisation-level sections (compliance, accessControl, transmissionSecurity, emergencyAccess) are applied
 * when passed to `new PaiTIENTClient({securitySettings})`; request-level settings (networkIsolation,
 * privateEndpoints, encryptionLevel, phiDetection, phiRedaction, phiHandling) go with the call they are
 * passed to. `extra` holds further request-level settings already in REST shape.
 */
class SecuritySettings extends Settings {
  static FIELDS = {
    compliance: 'compliance',
    accessControl: 'access_control',
    transmissionSecurity: 'transmission_security',
    emergencyAccess: 'emergency_access',
    networkIsolation: 'network_isolation',
    privateEndpoints: 'private_endpoints',
    encryptionLevel: 'encryption_level',
    phiDetection: 'phi_detection',
    phiRedaction: 'phi_redaction',
    phiHandling: 'phi_handling',
    extra: 'extra',
  };

  coerce(option, value) {
    const Section = SECTIONS[option];
    if (Section && !(value instanceof Section)) return new Section(value);
    if (option === 'extra') return { ...value };
    return value;
  }

  /** The organisation sections, in the shape `PATCH /api/v1/organization/security-settings` takes. */
  organizationSettings() {
    const data = this.toDict();
    return Object.fromEntries(ORGANIZATION_SECTIONS.filter((name) => name in data).map((name) => [name, data[name]]));
  }

  /** The request-level settings (and `extra`), in REST shape. */
  requestSettings() {
    const { extra = {}, ...data } = this.toDict();
    for (const name of ORGANIZATION_SECTIONS) delete data[name];
    return { ...data, ...extra };
  }

  /** A SecuritySettings from an instance, a plain camelCase object, or nothing. */
  static from(value) {
    if (value === undefined || value === null) return null;
    return value instanceof SecuritySettings ? value : new SecuritySettings(value);
  }
}

module.exports = {
  Settings,
  SecuritySettings,
  ComplianceSettings,
  AccessControlSettings,
  TransmissionSecuritySettings,
  EmergencyAccessSettings,
};
