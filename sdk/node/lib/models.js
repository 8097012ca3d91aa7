'use strict';
/** Objects the SDK returns: frozen, camelCase versions of the service's JSON. */

/** @returns {Date|null} */
function parseTime(value) {
  return value ? new Date(value) : null;
}

function camel(key) {
  return key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** One level of keys in camelCase (for settings objects; never for tags or audit details). */
function camelKeys(object) {
  return Object.fromEntries(Object.entries(object || {}).map(([key, value]) => [camel(key), value]));
}

class Model {
  constructor(fields) {
    Object.assign(this, fields);
    Object.freeze(this);
  }
}

class Deployment extends Model {
  static fromApi(data) {
    const progress = data.progress || {};
    return new Deployment({
      id: data.id,
      deploymentName: data.deployment_name,
      modelName: data.model_name,
      provider: data.provider || '',
      computeType: data.compute_type || '',
      instanceType: data.instance_type || '',
      state: data.state,
      progressPercent: Number(progress.percent || 0),
      progressStage: String(progress.stage || ''),
      securitySettings: camelKeys(data.security_settings),
      vpcConfig: camelKeys(data.vpc_config),
      tags: { ...(data.tags || {}) },
      failureReason: data.failure_reason || '',
      endpointUrl: data.endpoint_url || '',
      createdAt: parseTime(data.created_at),
      updatedAt: parseTime(data.updated_at),
    });
  }
}

class PHIEntity extends Model {
  static fromApi(data) {
    return new PHIEntity({
      type: String(data.type),
      start: Number(data.start),
      end: Number(data.end),
      score: data.score === undefined ? 1.0 : Number(data.score),
    });
  }
}

/** `text` is the model's answer after the PHI mode; `processedPrompt` is what the model was sent. */
class TextGeneration extends Model {
  static fromApi(data) {
    const phi = data.phi || {};
    return new TextGeneration({
      id: data.id,
      deploymentId: data.deployment_id,
      model: data.model || '',
      text: data.text,
      processedPrompt: data.processed_prompt,
      phi: Object.freeze({
        mode: String(phi.mode || ''),
        entities: Object.freeze((phi.entities || []).map(PHIEntity.fromApi)),
        responseEntities: Object.freeze((phi.response_entities || []).map(PHIEntity.fromApi)),
        counts: { ...(phi.counts || {}) },
      }),
      usage: Object.freeze(camelKeys(data.usage)),
      latencyMs: Number(data.latency_ms || 0),
      finishReason: data.finish_reason || 'stop',
    });
  }
}

class AuditLog extends Model {
  static fromApi(data) {
    return new AuditLog({
      id: data.id,
      seq: data.seq ?? null,
      timestamp: parseTime(data.timestamp),
      eventType: data.event_type,
      outcome: data.outcome || '',
      userId: data.user_id || '',
      apiKeyId: data.api_key_id || '',
      actorType: data.actor_type || '',
      ip: data.ip ?? null,
      requestId: data.request_id || '',
      resource: data.resource || '',
      resourceId: data.resource_id || '',
      deploymentId: data.deployment_id ?? null,
      details: { ...(data.details || {}) },
      hash: data.hash || '',
    });
  }
}

class Role extends Model {
  static fromApi(data) {
    return new Role({
      name: data.name,
      permissions: [...data.permissions],
      resourcePattern: data.resource_pattern || '*',
      description: data.description || '',
      builtin: Boolean(data.builtin),
    });
  }
}

class RoleAssignment extends Model {
  static fromApi(data) {
    const createdAt = parseTime(data.created_at);
    return new RoleAssignment({ userId: data.user_id, roleName: data.role_name, createdAt });
  }
}

// The client behind each report's download(), kept off the (frozen) object itself.
const downloaders = new WeakMap();

/**
 * A compliance report. `url` is a signed download link (valid about 10 minutes, and only with your API
 * key); `download()` fetches a fresh link and resolves to the file's bytes (PDF, JSON or CSV).
 */
class ComplianceReport extends Model {
  constructor(fields, download = null) {
    super(fields);
    if (download) downloaders.set(this, download);
  }

  static fromApi(data, download = null) {
    const progress = data.progress || {};
    const fields = {
      id: data.id,
      status: data.status,
      reportType: data.report_type || '',
      timePeriod: data.time_period || '',
      periodStart: parseTime(data.period_start),
      periodEnd: parseTime(data.period_end),
      includeSections: [...(data.include_sections || [])],
      outputFormat: data.output_format || '',
      progressPercent: Number(progress.percent || 0),
      progressStage: String(progress.stage || ''),
      error: data.error || '',
      sha256: data.sha256 || '',
      sizeBytes: Number(data.size_bytes || 0),
      figures: { ...(data.figures || {}) },
      url: data.url ?? null,
      urlExpiresAt: parseTime(data.url_expires_at),
      createdAt: parseTime(data.created_at),
      finishedAt: parseTime(data.finished_at),
    };
    return new ComplianceReport(fields, download);
  }

  /** @returns {Promise<Buffer>} */
  async download() {
    const download = downloaders.get(this);
    if (!download) throw new Error('this report was not fetched through a PaiTIENTClient');
    return download(this.id);
  }
}

module.exports = { AuditLog, ComplianceReport, Deployment, PHIEntity, Role, RoleAssignment, TextGeneration, parseTime };
