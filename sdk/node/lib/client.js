'use strict';
/** The client: configuration from the environment, organisation settings applied on construction. */

const { setTimeout: sleep } = require('node:timers/promises');
const { ConfigurationError, DeploymentFailedError, TimeoutError, errorFor } = require('./errors');
const { AuditLog, Deployment, Role, RoleAssignment, TextGeneration } = require('./models');
const { Reports } = require('./reports');
const { SecuritySettings } = require('./security');
const { Transport, serverSentEvents } = require('./transport');
const { Users } = require('./users');

const SETTINGS_PATH = '/api/v1/organization/security-settings';
const DEPLOYMENT_SETTINGS = ['network_isolation', 'private_endpoints', 'encryption_level'];
const PHI_SETTINGS = ['phi_detection', 'phi_redaction', 'phi_handling'];
const STOPPED_STATES = new Set(['failed', 'stopping', 'stopped']);

const given = (value) => value !== undefined && value !== null;
const snake = (key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const iso = (value) => (value instanceof Date ? value.toISOString() : value);
const segment = (value) => encodeURIComponent(String(value));

function pick(object, names) {
  return Object.fromEntries(Object.entries(object).filter(([key]) => names.includes(key)));
}

/** The matching audit events, fetched page by page as you iterate (`for await (const log of logs)`). */
class AuditLogs {
  #request;
  #params;

  constructor(request, params) {
    this.#request = request;
    this.#params = params;
  }

  /** Each page's events, as an array. */
  async *pages() {
    let page = await this.#request('GET', '/api/v1/audit-logs', { params: this.#params });
    for (;;) {
      yield page.results.map(AuditLog.fromApi);
      if (!page.next) return;
      page = await this.#request('GET', page.next);
    }
  }

  async *[Symbol.asyncIterator]() {
    for await (const page of this.pages()) yield* page;
  }

  /** Every matching event (all pages) in one array. */
  async toArray() {
    const all = [];
    for await (const log of this) all.push(log);
    return all;
  }
}

/**
 * `new PaiTIENTClient()` reads PAITIENT_BASE_URL and PAITIENT_API_KEY (for a private CA, start Node with
 * NODE_EXTRA_CA_CERTS). Organisation sections of `securitySettings` are sent at once; every call waits for
 * them, and if they could not be applied every call rejects with that error.
 */
class PaiTIENTClient {
  #transport;
  #reports;
  #users;
  #ready;

  constructor({
    baseUrl,
    apiKey,
    securitySettings,
    timeoutMs = 30_000,
    maxRetries = 3,
    backoffBaseMs = 250,
    fetch,
  } = {}) {
    baseUrl = baseUrl || process.env.PAITIENT_BASE_URL;
    apiKey = apiKey || process.env.PAITIENT_API_KEY;
    if (!baseUrl) throw new ConfigurationError('no base URL: pass baseUrl or set PAITIENT_BASE_URL');
    if (!apiKey) throw new ConfigurationError('no API key: pass apiKey or set PAITIENT_API_KEY');
    try {
      this.#transport = new Transport(baseUrl, apiKey, { timeoutMs, maxRetries, backoffBaseMs, fetch });
    } catch (error) {
      throw new ConfigurationError(`bad base URL ${JSON.stringify(baseUrl)}: ${error.message}`, { cause: error });
    }
    const raw = (method, path, options) => this.#transport.request(method, path, options);
    this.#reports = new Reports(
      (method, path, options) => this.#request(method, path, options),
      (url) => this.#ready.then(() => this.#transport.download(url)),
    );
    this.#users = new Users((method, path, options) => this.#request(method, path, options));
    this.securitySettings = SecuritySettings.from(securitySettings);
    this.#ready = Promise.resolve();
    const organizationSettings = this.securitySettings ? this.securitySettings.organizationSettings() : {};
    if (Object.keys(organizationSettings).length) {
      this.#ready = raw('PATCH', SETTINGS_PATH, { json: organizationSettings }).then(() => undefined);
      this.#ready.catch(() => undefined); // reported by the calls that await it, not as an unhandled rejection
    }
  }

  /** Resolves once the constructor's organisation settings are applied; rejects with their error. */
  get ready() {
    return this.#ready;
  }

  async #request(method, path, options) {
    await this.#ready;
    return this.#transport.request(method, path, options);
  }

  // --- organisation settings ---------------------------------------------------------------------------
  async getSecuritySettings() {
    return this.#request('GET', SETTINGS_PATH);
  }

  /** `settings`: a SecuritySettings (its organisation sections are sent) or an object in REST shape. */
  async updateSecuritySettings(settings) {
    const body = settings instanceof SecuritySettings ? settings.organizationSettings() : { ...settings };
    return this.#request('PATCH', SETTINGS_PATH, { json: body });
  }

  // --- roles ---------------------------------------------------------------------------------------------
  async createRole({ name, permissions, resourcePattern = '*', description = '' }) {
    const body = { name, permissions, resource_pattern: resourcePattern };
    if (description) body.description = description;
    return Role.fromApi(await this.#request('POST', '/api/v1/roles', { json: body }));
  }

  async assignRole({ userId, roleName }) {
    const body = { user_id: userId, role_name: roleName };
    return RoleAssignment.fromApi(await this.#request('POST', '/api/v1/role-assignments', { json: body }));
  }

  async unassignRole({ userId, roleName }) {
    await this.#request('DELETE', `/api/v1/users/${segment(userId)}/roles/${segment(roleName)}`);
  }

  // --- people (user:read to list, user:manage to change) ---------------------------------------------
  /** Every member (all pages); `status` is invited, active or deactivated, `q` searches names and e-mail. */
  async listUsers({ status, role, q } = {}) {
    return this.#users.list({ status, role, q });
  }

  async getUser(userId) {
    return this.#users.get(userId);
  }

  /** Offboard: ends their sessions, revokes their API keys and break-glass requests at once. */
  async deactivateUser(userId) {
    return this.#users.deactivate(userId);
  }

  async reactivateUser(userId) {
    return this.#users.reactivate(userId);
  }

  /** E-mail the member a single-use link to choose a new password (MFA still applies). */
  async sendPasswordReset(userId) {
    return this.#users.sendPasswordReset(userId);
  }

  /** E-mail a signed, single-use link valid 72 hours; the member holds `roles` once they accept. */
  async inviteUser({ email, firstName, lastName, roles } = {}) {
    return this.#users.invite({ email, firstName, lastName, roles });
  }

  async listInvitations() {
    return this.#users.invitations();
  }

  async resendInvitation(invitationId) {
    return this.#users.resend(invitationId);
  }

  async revokeInvitation(invitationId) {
    return this.#users.revoke(invitationId);
  }

  // --- deployments -------------------------------------------------------------------------------------
  async createDeployment({
    modelName,
    deploymentName,
    computeType = 'cpu',
    instanceType = '',
    securitySettings,
    vpcConfig,
    tags,
    provider,
  }) {
    const body = {
      model_name: modelName,
      deployment_name: deploymentName,
      compute_type: computeType,
      instance_type: instanceType,
    };
    const settings = SecuritySettings.from(securitySettings);
    if (settings) body.security_settings = pick(settings.requestSettings(), DEPLOYMENT_SETTINGS);
    if (vpcConfig && Object.keys(vpcConfig).length) {
      body.vpc_config = Object.fromEntries(Object.entries(vpcConfig).map(([key, value]) => [snake(key), value]));
    }
    if (tags && Object.keys(tags).length) body.tags = { ...tags };
    if (provider) body.provider = provider;
    return Deployment.fromApi(await this.#request('POST', '/api/v1/deployments', { json: body }));
  }

  async getDeployment(deploymentId) {
    return Deployment.fromApi(await this.#request('GET', `/api/v1/deployments/${segment(deploymentId)}`));
  }

  async listDeployments() {
    const page = await this.#request('GET', '/api/v1/deployments');
    return page.results.map(Deployment.fromApi);
  }

  async deleteDeployment(deploymentId) {
    return Deployment.fromApi(await this.#request('DELETE', `/api/v1/deployments/${segment(deploymentId)}`));
  }

  /** Poll until the deployment is ready; throws DeploymentFailedError or TimeoutError. */
  async waitUntilReady(deploymentId, { timeoutMs = 1_800_000, pollIntervalMs = 5000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const deployment = await this.getDeployment(deploymentId);
      if (deployment.state === 'ready') return deployment;
      if (STOPPED_STATES.has(deployment.state)) {
        throw new DeploymentFailedError(
          `deployment ${deploymentId} is ${deployment.state}: ${deployment.failureReason}`,
        );
      }
      if (Date.now() >= deadline) {
        const seconds = Math.round(timeoutMs / 1000);
        throw new TimeoutError(`deployment ${deploymentId} not ready after ${seconds} s (${deployment.state})`);
      }
      await sleep(pollIntervalMs);
    }
  }

  // --- inference ---------------------------------------------------------------------------------------
  /**
   * Send a prompt through the PHI-guarded gateway. In reject mode a prompt with PHI throws PHIRejectedError
   * (its `entityTypes` say what was found).
   */
  async generateText({ deploymentId, prompt, maxTokens = 256, temperature = 0.7, securitySettings, subjectId }) {
    const body = generateBody({ prompt, maxTokens, temperature, securitySettings, subjectId });
    const path = `/api/v1/deployments/${segment(deploymentId)}/generate`;
    return TextGeneration.fromApi(await this.#request('POST', path, { json: body }));
  }

  /**
   * Like generateText, streamed: resolves (once the gateway accepted the call; refusals reject like
   * generateText) to a StreamedGeneration to iterate with `for await` for the text as it passes the PHI
   * hold-back window; afterwards it carries id, usage, finishReason and phi {mode, counts}.
   */
  async generateTextStream({ deploymentId, prompt, maxTokens = 256, temperature = 0.7, securitySettings, subjectId }) {
    await this.#ready;
    const body = { ...generateBody({ prompt, maxTokens, temperature, securitySettings, subjectId }), stream: true };
    const path = `/api/v1/deployments/${segment(deploymentId)}/generate`;
    return new StreamedGeneration(await this.#transport.stream('POST', path, { json: body }));
  }

  // --- audit -------------------------------------------------------------------------------------------
  /**
   * `filter`: deploymentId, eventType (one or an array), userId, outcome, resource (snake_case names are
   * accepted too). Returns an async iterable over every page.
   */
  getAuditLogs({ startTime, endTime, filter = {}, pageSize = 200 } = {}) {
    const params = [['page_size', String(pageSize)]];
    for (const [name, value] of [['start_time', iso(startTime)], ['end_time', iso(endTime)]]) {
      if (value) params.push([name, value]);
    }
    for (const [name, value] of Object.entries(filter || {})) {
      if (!given(value)) continue;
      const values = Array.isArray(value) || value instanceof Set ? [...value] : [value];
      for (const item of values) params.push([snake(name), String(iso(item))]);
    }
    return new AuditLogs((method, path, options) => this.#request(method, path, options), params);
  }

  // --- compliance reports ------------------------------------------------------------------------------
  /**
   * Ask for a report (timePeriod `custom` takes startDate and endDate, both included). With `wait`, poll
   * until a worker has rendered it: throws ReportFailedError if rendering fails, TimeoutError after
   * `timeoutMs`. The result's `url` is a short-lived signed link; `download()` resolves to the bytes.
   */
  async generateComplianceReport({
    reportType = 'hipaa',
    timePeriod = 'last_30_days',
    includeSections,
    outputFormat = 'pdf',
    startDate,
    endDate,
    wait = true,
    timeoutMs = 300_000,
    pollIntervalMs = 2000,
  } = {}) {
    const report = await this.#reports.create({
      reportType,
      timePeriod,
      includeSections,
      outputFormat,
      startDate,
      endDate,
    });
    return wait ? this.#reports.wait(report, { timeoutMs, pollIntervalMs }) : report;
  }

  async getComplianceReport(reportId) {
    return this.#reports.get(reportId);
  }
}

function generateBody({ prompt, maxTokens, temperature, securitySettings, subjectId }) {
  const body = { prompt, max_tokens: maxTokens, temperature };
  const settings = SecuritySettings.from(securitySettings);
  const phi = settings ? pick(settings.requestSettings(), PHI_SETTINGS) : {};
  if (subjectId) phi.subject_id = subjectId;
  if (Object.keys(phi).length) body.security_settings = phi;
  return body;
}

/** A streamed answer: `for await (const text of stream)`; `close()` stops it (the server cancels the call). */
class StreamedGeneration {
  #response;

  constructor(response) {
    this.#response = response;
    this.id = '';
    this.deploymentId = '';
    this.model = '';
    this.finishReason = '';
    this.usage = {};
    this.phi = { mode: '', counts: {} };
  }

  async *[Symbol.asyncIterator]() {
    for await (const { event, data } of serverSentEvents(this.#response)) {
      if (event === 'delta') yield String(data.text ?? '');
      else if (event === 'error') throw errorFor(Number(data.status) || 500, data);
      else if (event === 'done') {
        Object.assign(this, { id: data.id, deploymentId: data.deployment_id, model: data.model,
          finishReason: data.finish_reason, phi: { mode: data.phi?.mode ?? '', counts: data.phi?.counts ?? {} } });
        const usage = data.usage || {};
        this.usage = { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens,
          totalTokens: usage.total_tokens };
      }
    }
  }

  async close() {
    await this.#response.body?.cancel().catch(() => undefined);
  }
}

module.exports = { PaiTIENTClient, AuditLogs, StreamedGeneration };
