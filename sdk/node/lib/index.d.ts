// Types for `paitient-secure-model`.
/// <reference types="node" />
import type { PHIHandling, SecuritySettings, SecuritySettingsOptions } from './security';

export {
  AccessControlSettings,
  ComplianceSettings,
  EmergencyAccessSettings,
  SecuritySettings,
  TransmissionSecuritySettings,
} from './security';
export type { SecuritySettingsOptions } from './security';

type SettingsInput = SecuritySettings | SecuritySettingsOptions;

// --- errors ------------------------------------------------------------------------------------------------
/** An RFC 9457 problem document as the service sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Record<string, string[]>;
  entity_types?: string[];
  [key: string]: unknown;
}

export declare class PaiTIENTError extends Error {
  constructor(message: string, options?: { status?: number | null; problem?: Problem | null; cause?: unknown });
  /** The HTTP status, or null for errors that did not come from a response. */
  status: number | null;
  problem: Problem;
  /** Each offending field (e.g. `deployment_name`, `endpoint.url`) and its messages. */
  errors: Record<string, string[]>;
}
export declare class ConfigurationError extends PaiTIENTError {}
export declare class AuthenticationError extends PaiTIENTError {}
export declare class PermissionDeniedError extends PaiTIENTError {}
export declare class NotFoundError extends PaiTIENTError {}
export declare class ValidationError extends PaiTIENTError {}
export declare class PHIRejectedError extends ValidationError {
  readonly entityTypes: string[];
}
export declare class ConflictError extends PaiTIENTError {}
export declare class RateLimitError extends PaiTIENTError {}
export declare class ServiceUnavailableError extends PaiTIENTError {}
export declare class DeploymentFailedError extends PaiTIENTError {}
export declare class ReportFailedError extends PaiTIENTError {
  constructor(message: string, options?: { reportId?: string });
  reportId: string;
}
export declare class TimeoutError extends PaiTIENTError {}

// --- models ------------------------------------------------------------------------------------------------
export declare class Deployment {
  readonly id: string;
  readonly deploymentName: string;
  readonly modelName: string;
  readonly provider: string;
  readonly computeType: string;
  readonly instanceType: string;
  /** pending, provisioning, ready, failed, stopping, stopped. */
  readonly state: string;
  readonly progressPercent: number;
  readonly progressStage: string;
  /** e.g. `{networkIsolation, privateEndpoints, encryptionLevel}`. */
  readonly securitySettings: Record<string, unknown>;
  /** e.g. `{subnetIds, securityGroupIds}`. */
  readonly vpcConfig: Record<string, unknown>;
  readonly tags: Record<string, string>;
  readonly failureReason: string;
  readonly endpointUrl: string;
  readonly createdAt: Date | null;
  readonly updatedAt: Date | null;
  static fromApi(data: Record<string, unknown>): Deployment;
}

export declare class PHIEntity {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly score: number;
  static fromApi(data: Record<string, unknown>): PHIEntity;
}

export declare class TextGeneration {
  readonly id: string;
  readonly deploymentId: string;
  readonly model: string;
  /** The model's answer after the PHI mode. */
  readonly text: string;
  /** What the model was sent. */
  readonly processedPrompt: string;
  readonly phi: {
    readonly mode: string;
    readonly entities: readonly PHIEntity[];
    readonly responseEntities: readonly PHIEntity[];
    readonly counts: Record<string, unknown>;
  };
  readonly usage: { readonly promptTokens?: number; readonly completionTokens?: number; readonly totalTokens?: number };
  readonly latencyMs: number;
  readonly finishReason: string;
  static fromApi(data: Record<string, unknown>): TextGeneration;
}

export declare class AuditLog {
  readonly id: string;
  readonly seq: number | null;
  readonly timestamp: Date | null;
  readonly eventType: string;
  readonly outcome: string;
  readonly userId: string;
  readonly apiKeyId: string;
  readonly actorType: string;
  readonly ip: string | null;
  readonly requestId: string;
  readonly resource: string;
  readonly resourceId: string;
  readonly deploymentId: string | null;
  /** Types, counts, ids and hashes; never PHI values. */
  readonly details: Record<string, unknown>;
  readonly hash: string;
  static fromApi(data: Record<string, unknown>): AuditLog;
}

export declare class Role {
  readonly name: string;
  readonly permissions: string[];
  readonly resourcePattern: string;
  readonly description: string;
  readonly builtin: boolean;
  static fromApi(data: Record<string, unknown>): Role;
}

export declare class RoleAssignment {
  readonly userId: string;
  readonly roleName: string;
  readonly createdAt: Date | null;
  static fromApi(data: Record<string, unknown>): RoleAssignment;
}

export declare class User {
  readonly id: string;
  readonly username: string;
  readonly name: string;
  readonly email: string;
  /** invited, active or deactivated */
  readonly status: 'invited' | 'active' | 'deactivated';
  readonly roles: string[];
  readonly mfaEnrolled: boolean;
  readonly mfaMethods: string[];
  readonly mfaRequired: boolean;
  readonly lastLogin: Date | null;
  /** live (unrevoked, unexpired) API keys */
  readonly apiKeys: number;
  readonly joinedAt: Date | null;
  readonly deactivatedAt: Date | null;
  /** only from getUser */
  readonly sessions: { ip: string | null; createdAt: Date | null }[];
  /** only from getUser */
  readonly keys: {
    id: string;
    name: string;
    prefix: string;
    roleName: string | null;
    lastUsedAt: Date | null;
    revokedAt: Date | null;
  }[];
  static fromApi(data: Record<string, unknown>): User;
}

export declare class Invitation {
  readonly id: string;
  readonly userId: string;
  readonly email: string;
  readonly status: 'pending' | 'expired' | 'accepted' | 'revoked';
  readonly roles: string[];
  readonly expiresAt: Date | null;
  readonly sendCount: number;
  static fromApi(data: Record<string, unknown>): Invitation;
}

export interface Offboarding {
  readonly user: User;
  /** what deactivation ended, counted: sessionsEnded, apiKeysRevoked, invitationsRevoked, ... */
  readonly ended: Record<string, number>;
}

export declare class ComplianceReport {
  readonly id: string;
  /** pending, rendering, ready, failed. */
  readonly status: string;
  readonly reportType: string;
  readonly timePeriod: string;
  readonly periodStart: Date | null;
  readonly periodEnd: Date | null;
  readonly includeSections: string[];
  readonly outputFormat: string;
  readonly progressPercent: number;
  readonly progressStage: string;
  readonly error: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly figures: Record<string, Record<string, unknown>>;
  /** A signed download link (about 10 minutes, and only with your API key); null until ready. */
  readonly url: string | null;
  readonly urlExpiresAt: Date | null;
  readonly createdAt: Date | null;
  readonly finishedAt: Date | null;
  /** The file (PDF, JSON or CSV) through a fresh link, checked against its recorded SHA-256. */
  download(): Promise<Buffer>;
  static fromApi(
    data: Record<string, unknown>,
    download?: ((reportId: string) => Promise<Buffer>) | null,
  ): ComplianceReport;
}

// --- client ------------------------------------------------------------------------------------------------
export interface ClientOptions {
  /** Default: PAITIENT_BASE_URL. */
  baseUrl?: string;
  /** Default: PAITIENT_API_KEY. */
  apiKey?: string;
  /** Organisation sections are applied at once (before any other call). */
  securitySettings?: SettingsInput;
  /** Per request attempt, body included. Default 30000. */
  timeoutMs?: number;
  /** Retries on 429/502/503/504 and network errors. Default 3. */
  maxRetries?: number;
  /** Exponential backoff base (with jitter). Default 250. */
  backoffBaseMs?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

export interface CreateDeploymentOptions {
  modelName: string;
  deploymentName: string;
  computeType?: 'cpu' | 'gpu';
  instanceType?: string;
  /** Its networkIsolation, privateEndpoints and encryptionLevel are sent. */
  securitySettings?: SettingsInput;
  /** `{subnetIds, securityGroupIds}` (snake_case keys accepted). */
  vpcConfig?: { subnetIds?: string[]; securityGroupIds?: string[]; [key: string]: unknown };
  tags?: Record<string, string>;
  /** local, aws, external; the server picks by compute type when left out. */
  provider?: string;
}

export interface GenerateTextOptions {
  deploymentId: string;
  prompt: string;
  maxTokens?: number;
  temperature?: number;
  /** Its phiDetection, phiRedaction and phiHandling are sent. */
  securitySettings?: SettingsInput;
  /** De-identify: one patient's dates shift by the same number of days. */
  subjectId?: string;
}

export interface AuditLogFilter {
  deploymentId?: string;
  eventType?: string | string[];
  userId?: string;
  outcome?: string;
  resource?: string;
  [name: string]: string | string[] | Date | undefined;
}

export interface GetAuditLogsOptions {
  startTime?: string | Date;
  endTime?: string | Date;
  filter?: AuditLogFilter;
  pageSize?: number;
}

export interface ComplianceReportOptions {
  reportType?: string;
  /** last_30_days (default), ..., or custom with startDate and endDate. */
  timePeriod?: string;
  includeSections?: string[];
  outputFormat?: 'pdf' | 'json' | 'csv';
  startDate?: string | Date;
  endDate?: string | Date;
  /** Poll until rendered (default true). */
  wait?: boolean;
  timeoutMs?: number;
  pollIntervalMs?: number;
}

export declare class AuditLogs implements AsyncIterable<AuditLog> {
  pages(): AsyncGenerator<AuditLog[], void, undefined>;
  [Symbol.asyncIterator](): AsyncGenerator<AuditLog, void, undefined>;
  toArray(): Promise<AuditLog[]>;
}

export declare class StreamedGeneration implements AsyncIterable<string> {
  id: string;
  deploymentId: string;
  model: string;
  finishReason: string;
  usage: { promptTokens?: number; completionTokens?: number; totalTokens?: number };
  phi: { mode: string; counts: { prompt?: Record<string, number>; response?: Record<string, number> } };
  [Symbol.asyncIterator](): AsyncGenerator<string, void, undefined>;
  /** Stop reading: the server closes the model's stream and audits the call as cancelled. */
  close(): Promise<void>;
}

export declare class PaiTIENTClient {
  constructor(options?: ClientOptions);
  readonly securitySettings: SecuritySettings | null;
  /** Resolves once the constructor's organisation settings are applied; rejects with their error. */
  readonly ready: Promise<void>;
  getSecuritySettings(): Promise<Record<string, Record<string, unknown>>>;
  updateSecuritySettings(
    settings: SecuritySettings | Record<string, Record<string, unknown>>,
  ): Promise<Record<string, Record<string, unknown>>>;
  createRole(options: {
    name: string;
    permissions: string[];
    resourcePattern?: string;
    description?: string;
  }): Promise<Role>;
  assignRole(options: { userId: string; roleName: string }): Promise<RoleAssignment>;
  unassignRole(options: { userId: string; roleName: string }): Promise<void>;
  listUsers(options?: { status?: 'invited' | 'active' | 'deactivated'; role?: string; q?: string }): Promise<User[]>;
  getUser(userId: string): Promise<User>;
  deactivateUser(userId: string): Promise<Offboarding>;
  reactivateUser(userId: string): Promise<User>;
  sendPasswordReset(userId: string): Promise<void>;
  inviteUser(options: { email: string; firstName?: string; lastName?: string; roles?: string[] }): Promise<Invitation>;
  listInvitations(): Promise<Invitation[]>;
  resendInvitation(invitationId: string): Promise<Invitation>;
  revokeInvitation(invitationId: string): Promise<Invitation>;
  createDeployment(options: CreateDeploymentOptions): Promise<Deployment>;
  getDeployment(deploymentId: string): Promise<Deployment>;
  listDeployments(): Promise<Deployment[]>;
  deleteDeployment(deploymentId: string): Promise<Deployment>;
  waitUntilReady(deploymentId: string, options?: { timeoutMs?: number; pollIntervalMs?: number }): Promise<Deployment>;
  generateText(options: GenerateTextOptions): Promise<TextGeneration>;
  /** The answer streamed through the PHI hold-back window: `for await (const text of stream)`. */
  generateTextStream(options: GenerateTextOptions): Promise<StreamedGeneration>;
  getAuditLogs(options?: GetAuditLogsOptions): AuditLogs;
  generateComplianceReport(options?: ComplianceReportOptions): Promise<ComplianceReport>;
  getComplianceReport(reportId: string): Promise<ComplianceReport>;
}

export type { PHIHandling };
