'use strict';
/** Typed errors raised by the SDK; each carries the server's RFC 9457 problem document. */

class PaiTIENTError extends Error {
  /**
   * @param {string} message
   * @param {{status?: number|null, problem?: object|null, cause?: unknown}} [options]
   */
  constructor(message, { status = null, problem = null, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.status = status;
    this.problem = problem && typeof problem === 'object' ? problem : {};
    this.errors = { ...(this.problem.errors || {}) };
  }
}

/** The client is missing its base URL or API key, or was given a bad option. */
class ConfigurationError extends PaiTIENTError {}

/** 401: the API key is missing, wrong, expired or revoked. */
class AuthenticationError extends PaiTIENTError {}

/** 403: the key's roles lack the permission, or the address is not allowed. */
class PermissionDeniedError extends PaiTIENTError {}

/** 404. */
class NotFoundError extends PaiTIENTError {}

/** 400/422: `errors` maps each offending field to messages. */
class ValidationError extends PaiTIENTError {}

/** 422 in reject mode: the prompt holds PHI; `entityTypes` names the types found (never the values). */
class PHIRejectedError extends ValidationError {
  get entityTypes() {
    return (this.problem.entity_types || []).map(String);
  }
}

/** 409: the resource is not in a state that allows the call (e.g. a deployment that is not ready). */
class ConflictError extends PaiTIENTError {}

/** 429 after the retries were used up. */
class RateLimitError extends PaiTIENTError {}

/** 5xx, a network failure or a request timeout after the retries were used up. */
class ServiceUnavailableError extends PaiTIENTError {}

/** A deployment being waited for failed or was stopped. */
class DeploymentFailedError extends PaiTIENTError {}

/** A compliance report being waited for failed to render; `reportId` names it. */
class ReportFailedError extends PaiTIENTError {
  constructor(message, { reportId = '' } = {}) {
    super(message);
    this.reportId = reportId;
  }
}

/** waitUntilReady / generateComplianceReport gave up waiting (Python raises its builtin TimeoutError). */
class TimeoutError extends PaiTIENTError {}

const ALL = {
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
};
// `name` on the prototype: stack traces and console.error show the class, and it is no own property.
for (const [name, kind] of Object.entries(ALL)) {
  Object.defineProperty(kind.prototype, 'name', { value: name, writable: true, configurable: true });
}

/**
 * The typed error for an HTTP error status and its problem document.
 * @param {number} status
 * @param {object} problem
 * @returns {PaiTIENTError}
 */
function errorFor(status, problem) {
  const detail = String(problem.detail || problem.title || `HTTP ${status}`);
  const byStatus = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: problem.entity_types != null ? PHIRejectedError : ValidationError,
    429: RateLimitError,
  };
  const Kind = byStatus[status] || (status >= 500 ? ServiceUnavailableError : PaiTIENTError);
  return new Kind(detail, { status, problem });
}

module.exports = { ...ALL, errorFor };
