// Types for `paitient-secure-model/security`.

/** A group of settings; `toDict()`/`toJSON()` give the REST (snake_case) shape with only the given fields. */
export declare abstract class Settings {
  toDict(): Record<string, unknown>;
  toJSON(): Record<string, unknown>;
}

export interface ComplianceOptions {
  /** HIPAA mode: forces MFA, PHI detection and network isolation; inference needs a BAA. */
  hipaa?: boolean;
  auditLogging?: boolean;
  logRetentionDays?: number;
  phiDetection?: boolean;
}

export declare class ComplianceSettings extends Settings {
  constructor(options?: ComplianceOptions);
  readonly hipaa?: boolean;
  readonly auditLogging?: boolean;
  readonly logRetentionDays?: number;
  readonly phiDetection?: boolean;
}

export interface AccessControlOptions {
  requireMfa?: boolean;
  sessionTimeoutMinutes?: number;
  /** 0: no limit. */
  concurrentSessionsLimit?: number;
  /** CIDRs; empty allows every address. */
  ipRestrictions?: string[];
  /** Absolute session lifetime in hours, 1-24 (default 12). */
  sessionMaxHours?: number;
}

export declare class AccessControlSettings extends Settings {
  constructor(options?: AccessControlOptions);
  readonly requireMfa?: boolean;
  readonly sessionTimeoutMinutes?: number;
  readonly concurrentSessionsLimit?: number;
  readonly ipRestrictions?: string[];
  readonly sessionMaxHours?: number;
}

export interface TransmissionSecurityOptions {
  enforceTls12Plus?: boolean;
  secureCiphersOnly?: boolean;
  hstsEnabled?: boolean;
  enforce_tls_1_2_plus?: boolean;
  secure_ciphers_only?: boolean;
  hsts_enabled?: boolean;
}

export declare class TransmissionSecuritySettings extends Settings {
  constructor(options?: TransmissionSecurityOptions);
  readonly enforceTls12Plus?: boolean;
  readonly secureCiphersOnly?: boolean;
  readonly hstsEnabled?: boolean;
}

export interface EmergencyAccessOptions {
  enabled?: boolean;
  authorizedRoles?: string[];
  requireMultiApproval?: boolean;
  approvalsRequired?: number;
  accessDurationHours?: number;
  requestTtlHours?: number;
  authorized_roles?: string[];
  require_multi_approval?: boolean;
  approvals_required?: number;
  access_duration_hours?: number;
  request_ttl_hours?: number;
}

export declare class EmergencyAccessSettings extends Settings {
  constructor(options?: EmergencyAccessOptions);
  readonly enabled?: boolean;
  readonly authorizedRoles?: string[];
  readonly requireMultiApproval?: boolean;
  readonly approvalsRequired?: number;
  readonly accessDurationHours?: number;
  readonly requestTtlHours?: number;
}

export type EncryptionLevel = 'standard' | 'maximum' | (string & {});
export type PHIHandling = 'detect' | 'redact' | 'reject' | 'de-identify' | (string & {});

export interface SecuritySettingsOptions {
  /** Organisation level: applied by `new PaiTIENTClient({securitySettings})`. */
  compliance?: ComplianceSettings | ComplianceOptions;
  accessControl?: AccessControlSettings | AccessControlOptions;
  transmissionSecurity?: TransmissionSecuritySettings | TransmissionSecurityOptions;
  emergencyAccess?: EmergencyAccessSettings | EmergencyAccessOptions;
  /** Request level: sent with the call the settings are passed to. */
  networkIsolation?: boolean;
  privateEndpoints?: boolean;
  encryptionLevel?: EncryptionLevel;
  phiDetection?: boolean;
  phiRedaction?: boolean;
  phiHandling?: PHIHandling;
  /** Further request-level settings, already in REST (snake_case) shape. */
  extra?: Record<string, unknown>;
}

export declare class SecuritySettings extends Settings {
  constructor(options?: SecuritySettingsOptions);
  readonly compliance?: ComplianceSettings;
  readonly accessControl?: AccessControlSettings;
  readonly transmissionSecurity?: TransmissionSecuritySettings;
  readonly emergencyAccess?: EmergencyAccessSettings;
  readonly networkIsolation?: boolean;
  readonly privateEndpoints?: boolean;
  readonly encryptionLevel?: EncryptionLevel;
  readonly phiDetection?: boolean;
  readonly phiRedaction?: boolean;
  readonly phiHandling?: PHIHandling;
  readonly extra?: Record<string, unknown>;
  /** The organisation sections, as `PATCH /api/v1/organization/security-settings` takes them. */
  organizationSettings(): Record<string, Record<string, unknown>>;
  /** The request-level settings (and `extra`), in REST shape. */
  requestSettings(): Record<string, unknown>;
  /** An instance from an instance, a plain options object, or nothing (null). */
  static from(value?: SecuritySettings | SecuritySettingsOptions | null): SecuritySettings | null;
}
