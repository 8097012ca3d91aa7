'use strict';
// The client's calls: settings applied before anything else, snake_case bodies, camelCase results, paging.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const sdk = require('paitient-secure-model');
const { SecuritySettings, ComplianceSettings, AccessControlSettings } = require('paitient-secure-model/security');
const { fakeServer, clientFor } = require('./fake-server');

const DEPLOYMENT = {
  id: 'dep_abc123',
  deployment_name: 'hipaa-clinical-assistant',
  model_name: 'ZimaBlueAI/HuatuoGPT-o1-8B',
  provider: 'aws',
  compute_type: 'gpu',
  instance_type: 'g4dn.xlarge',
  security_settings: { network_isolation: true, private_endpoints: true, encryption_level: 'maximum' },
  vpc_config: { subnet_ids: ['subnet-abc123'], security_group_ids: ['sg-123456'] },
  tags: { compliance: 'hipaa', 'data-sensitivity': 'phi' },
  state: 'pending',
  progress: { percent: 0, stage: 'queued' },
  failure_reason: '',
  endpoint_url: '',
  created_at: '2026-01-02T03:04:05Z',
  updated_at: '2026-01-02T03:04:05Z',
};

test('organisation settings are sent on construction, before the first call, and only those sections', async (t) => {
  let releaseSettings;
  const settingsHeld = new Promise((resolve) => (releaseSettings = resolve));
  const server = await fakeServer(async (request) => {
    if (request.method === 'PATCH') {
      await settingsHeld; // a slow PATCH: the next call must still wait for it
      return { json: {} };
    }
    return { status: 201, json: DEPLOYMENT };
  });
  t.after(() => server.close());
  const client = clientFor(server, {
    securitySettings: new SecuritySettings({
      compliance: new ComplianceSettings({ hipaa: true, auditLogging: true, logRetentionDays: 365 }),
      accessControl: new AccessControlSettings({ requireMfa: true }),
      phiHandling: 'redact',
    }),
  });
  const created = client.createDeployment({ modelName: 'm', deploymentName: 'd' });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(server.requests.map((r) => r.method), ['PATCH']);
  releaseSettings();
  await created;
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), [
    'PATCH /api/v1/organization/security-settings',
    'POST /api/v1/deployments',
  ]);
  assert.deepEqual(server.requests[0].body, {
    compliance: { hipaa: true, audit_logging: true, log_retention_days: 365 },
    access_control: { require_mfa: true },
  });
});

test('settings that cannot be applied surface on the first call, not as an unhandled rejection', async (t) => {
  const problem = { status: 400, detail: 'Invalid input: compliance.audit_logging.',
    errors: { 'compliance.audit_logging': ['Audit logging is always on; it cannot be turned off.'] } };
  const server = await fakeServer((request) =>
    request.method === 'PATCH' ? { status: 400, json: problem } : { json: {} });
  t.after(() => server.close());
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.after(() => process.off('unhandledRejection', onUnhandled));
  const client = clientFor(server, { securitySettings: { compliance: { auditLogging: false } } });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(unhandled, []);
  await assert.rejects(client.listDeployments(), (error) => {
    assert.ok(error instanceof sdk.ValidationError);
    assert.deepEqual(Object.keys(error.errors), ['compliance.audit_logging']);
    return true;
  });
  await assert.rejects(client.ready, sdk.ValidationError);
  assert.equal(server.requests.length, 1); // the deployment list was never asked for
});

test('request-level settings alone send nothing on construction', async (t) => {
  const server = await fakeServer(() => ({ json: { results: [], next: null } }));
  t.after(() => server.close());
  await clientFor(server, { securitySettings: new SecuritySettings({ phiDetection: true }) }).listDeployments();
  assert.deepEqual(server.requests.map((r) => r.method), ['GET']);
});

test('createDeployment sends the snake_case body and returns a camelCase deployment', async (t) => {
  const server = await fakeServer(() => ({ status: 201, json: DEPLOYMENT }));
  t.after(() => server.close());
  const deployment = await clientFor(server).createDeployment({
    modelName: 'ZimaBlueAI/HuatuoGPT-o1-8B',
    deploymentName: 'hipaa-clinical-assistant',
    computeType: 'gpu',
    instanceType: 'g4dn.xlarge',
    securitySettings: new SecuritySettings({
      networkIsolation: true, privateEndpoints: true, encryptionLevel: 'maximum', phiDetection: true,
    }),
    vpcConfig: { subnetIds: ['subnet-abc123'], securityGroupIds: ['sg-123456'] },
    tags: { compliance: 'hipaa', 'data-sensitivity': 'phi' },
  });
  assert.deepEqual(server.requests[0].body, {
    model_name: 'ZimaBlueAI/HuatuoGPT-o1-8B',
    deployment_name: 'hipaa-clinical-assistant',
    compute_type: 'gpu',
    instance_type: 'g4dn.xlarge',
    security_settings: { network_isolation: true, private_endpoints: true, encryption_level: 'maximum' },
    vpc_config: { subnet_ids: ['subnet-abc123'], security_group_ids: ['sg-123456'] },
    tags: { compliance: 'hipaa', 'data-sensitivity': 'phi' },
  });
  assert.ok(deployment instanceof sdk.Deployment && Object.isFrozen(deployment));
  assert.equal(deployment.id, 'dep_abc123');
  assert.equal(deployment.deploymentName, 'hipaa-clinical-assistant');
  assert.deepEqual(deployment.securitySettings, {
    networkIsolation: true, privateEndpoints: true, encryptionLevel: 'maximum',
  });
  assert.deepEqual(deployment.vpcConfig, { subnetIds: ['subnet-abc123'], securityGroupIds: ['sg-123456'] });
  assert.deepEqual(deployment.tags, { compliance: 'hipaa', 'data-sensitivity': 'phi' });
  assert.equal(deployment.progressStage, 'queued');
  assert.equal(deployment.createdAt.toISOString(), '2026-01-02T03:04:05.000Z');
});

test('a minimal deployment sends only what was given (and the defaults)', async (t) => {
  const server = await fakeServer(() => ({ status: 201, json: DEPLOYMENT }));
  t.after(() => server.close());
  await clientFor(server).createDeployment({ modelName: 'm', deploymentName: 'd', provider: 'local' });
  assert.deepEqual(server.requests[0].body, {
    model_name: 'm', deployment_name: 'd', compute_type: 'cpu', instance_type: '', provider: 'local',
  });
});

test('get, list, delete and waitUntilReady', async (t) => {
  const states = ['provisioning', 'provisioning', 'ready'];
  const server = await fakeServer((request) => {
    if (request.method === 'DELETE') return { status: 202, json: { ...DEPLOYMENT, state: 'stopping' } };
    if (request.path === '/api/v1/deployments') return { json: { results: [DEPLOYMENT], next: null } };
    return { json: { ...DEPLOYMENT, state: states.shift() ?? 'ready' } };
  });
  t.after(() => server.close());
  const client = clientFor(server);
  assert.deepEqual((await client.listDeployments()).map((d) => d.id), ['dep_abc123']);
  const ready = await client.waitUntilReady('dep_abc123', { pollIntervalMs: 10 });
  assert.equal(ready.state, 'ready');
  assert.equal((await client.deleteDeployment('dep_abc123')).state, 'stopping');
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`).slice(-2), [
    'GET /api/v1/deployments/dep_abc123',
    'DELETE /api/v1/deployments/dep_abc123',
  ]);
});

test('waitUntilReady throws on failure and on timeout', async (t) => {
  let state = 'failed';
  const server = await fakeServer(() => ({ json: { ...DEPLOYMENT, state, failure_reason: 'no capacity' } }));
  t.after(() => server.close());
  const client = clientFor(server);
  await assert.rejects(client.waitUntilReady('dep_abc123'), (error) => {
    assert.ok(error instanceof sdk.DeploymentFailedError);
    assert.match(error.message, /failed: no capacity/);
    return true;
  });
  state = 'provisioning';
  await assert.rejects(client.waitUntilReady('dep_abc123', { timeoutMs: 50, pollIntervalMs: 10 }), sdk.TimeoutError);
});

test('generateText sends the PHI settings and returns camelCase results', async (t) => {
  const server = await fakeServer(() => ({
    json: {
      id: 'inf_1', deployment_id: 'dep_abc123', model: 'm', text: 'ok',
      processed_prompt: 'Patient [REDACTED NAME]',
      phi: { mode: 'redact', entities: [{ type: 'NAME', start: 8, end: 18, score: 0.85 }], response_entities: [],
        counts: { NAME: 1 } },
      usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      latency_ms: 12.5, finish_reason: 'stop',
    },
  }));
  t.after(() => server.close());
  const response = await clientFor(server).generateText({
    deploymentId: 'dep_abc123',
    prompt: 'Patient John Smith',
    securitySettings: new SecuritySettings({ phiDetection: true, phiRedaction: true, networkIsolation: true }),
  });
  assert.equal(server.requests[0].path, '/api/v1/deployments/dep_abc123/generate');
  assert.deepEqual(server.requests[0].body, {
    prompt: 'Patient John Smith', max_tokens: 256, temperature: 0.7,
    security_settings: { phi_detection: true, phi_redaction: true },
  });
  assert.equal(response.processedPrompt, 'Patient [REDACTED NAME]');
  assert.equal(response.phi.mode, 'redact');
  assert.deepEqual({ ...response.phi.entities[0] }, { type: 'NAME', start: 8, end: 18, score: 0.85 });
  assert.deepEqual({ ...response.usage }, { promptTokens: 5, completionTokens: 1, totalTokens: 6 });
  assert.equal(response.latencyMs, 12.5);
});

test('audit logs follow every page, relative and absolute links', async (t) => {
  const server = await fakeServer((request) => {
    const cursor = request.url.searchParams.get('cursor');
    if (!cursor) {
      return { json: { results: [{ id: 'evt_1', event_type: 'model.inference', timestamp: '2023-11-15T10:00:00Z',
        user_id: 'user_a' }], next: '/api/v1/audit-logs?cursor=2' } };
    }
    if (cursor === '2') {
      const next = `${server.url}/api/v1/audit-logs?cursor=3`; // an absolute link
      return { json: { results: [{ id: 'evt_2', event_type: 'phi.detection' }], next } };
    }
    return { json: { results: [{ id: 'evt_3', event_type: 'phi.detection' }], next: null } };
  });
  t.after(() => server.close());
  const logs = clientFor(server).getAuditLogs({
    startTime: '2023-11-01T00:00:00Z',
    endTime: new Date('2023-11-30T23:59:59Z'),
    filter: { deploymentId: 'dep_12345abcde', eventType: ['model.inference', 'phi.detection'] },
  });
  const seen = [];
  for await (const log of logs) seen.push(log);
  assert.deepEqual(seen.map((log) => log.id), ['evt_1', 'evt_2', 'evt_3']);
  assert.ok(seen[0] instanceof sdk.AuditLog);
  assert.equal(seen[0].eventType, 'model.inference');
  assert.equal(seen[0].userId, 'user_a');
  assert.equal(seen[0].timestamp.toISOString(), '2023-11-15T10:00:00.000Z');
  const first = server.requests[0].url.searchParams;
  assert.deepEqual(first.getAll('event_type'), ['model.inference', 'phi.detection']);
  assert.equal(first.get('deployment_id'), 'dep_12345abcde');
  assert.equal(first.get('start_time'), '2023-11-01T00:00:00Z');
  assert.equal(first.get('end_time'), '2023-11-30T23:59:59.000Z');
  assert.equal(first.get('page_size'), '200');
  assert.equal(server.requests.length, 3);
  assert.ok(server.requests.every((r) => r.headers.authorization === 'Bearer psk_test_key'));
});

test('a next link on another host is followed on the service only (the key stays here)', async (t) => {
  const ELSEWHERE = 'http://elsewhere.invalid';
  const server = await fakeServer((request) =>
    request.url.searchParams.get('cursor')
      ? { json: { results: [{ id: 'evt_2', event_type: 'b' }], next: null } }
      : { json: { results: [{ id: 'evt_1', event_type: 'a' }], next: `${ELSEWHERE}/api/v1/audit-logs?cursor=2` } });
  t.after(() => server.close());
  const all = await clientFor(server).getAuditLogs().toArray();
  assert.deepEqual(all.map((log) => log.id), ['evt_1', 'evt_2']);
  assert.equal(server.requests[1].url.search, '?cursor=2');
});

test('roles: createRole and assignRole bodies', async (t) => {
  const PATTERN = 'deployment/hipaa-*';
  const server = await fakeServer((request) =>
    request.path === '/api/v1/roles'
      ? { status: 201, json: { name: 'clinical-viewer', permissions: ['model:read'], resource_pattern: PATTERN } }
      : { status: 201, json: { user_id: 'user_12345', role_name: 'clinical-viewer', created_at: null } });
  t.after(() => server.close());
  const client = clientFor(server);
  const permissions = ['model:read'];
  const role = await client.createRole({ name: 'clinical-viewer', permissions, resourcePattern: PATTERN });
  const assignment = await client.assignRole({ userId: 'user_12345', roleName: 'clinical-viewer' });
  assert.deepEqual(server.requests.map((r) => r.body), [
    { name: 'clinical-viewer', permissions: ['model:read'], resource_pattern: PATTERN },
    { user_id: 'user_12345', role_name: 'clinical-viewer' },
  ]);
  assert.equal(role.resourcePattern, 'deployment/hipaa-*');
  assert.equal(assignment.roleName, 'clinical-viewer');
});

test('generateTextStream yields the released text and then describes the call', async (t) => {
  const events = [
    'event: delta\ndata: {"text":"Patient [REDACTED NAME] "}\n\n',
    'event: delta\ndata: {"text":"is stable."}\n\n',
    'event: done\ndata: {"id":"inf_9","deployment_id":"dep_abc123","model":"m","finish_reason":"stop",' +
      '"usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9},' +
      '"phi":{"mode":"redact","counts":{"prompt":{"NAME":1},"response":{"NAME":1}}}}\n\n',
  ];
  const server = await fakeServer(() => ({ text: events.join(''), headers: { 'Content-Type': 'text/event-stream' } }));
  t.after(() => server.close());
  const stream = await clientFor(server).generateTextStream({ deploymentId: 'dep_abc123', prompt: 'Patient John Smith' });
  const pieces = [];
  for await (const text of stream) pieces.push(text);
  assert.deepEqual(pieces, ['Patient [REDACTED NAME] ', 'is stable.']);
  assert.equal(server.requests[0].body.stream, true);
  assert.equal(server.requests[0].headers.accept, 'text/event-stream, application/json');
  assert.equal(stream.id, 'inf_9');
  assert.deepEqual(stream.usage, { promptTokens: 5, completionTokens: 4, totalTokens: 9 });
  assert.deepEqual(stream.phi.counts.prompt, { NAME: 1 });
});

test('generateTextStream rejects a refusal before streaming and throws an error event', async (t) => {
  const server = await fakeServer((request, n) =>
    n === 1
      ? { status: 422, json: { status: 422, detail: 'PHI', entity_types: ['NAME'] } }
      : { text: 'event: delta\ndata: {"text":"ok "}\n\nevent: error\ndata: {"status":503,"detail":"gone"}\n\n',
          headers: { 'Content-Type': 'text/event-stream' } });
  t.after(() => server.close());
  const client = clientFor(server);
  await assert.rejects(client.generateTextStream({ deploymentId: 'dep_abc123', prompt: 'x' }), sdk.PHIRejectedError);
  const stream = await client.generateTextStream({ deploymentId: 'dep_abc123', prompt: 'x' });
  const seen = [];
  await assert.rejects(async () => {
    for await (const text of stream) seen.push(text);
  }, sdk.ServiceUnavailableError);
  assert.deepEqual(seen, ['ok ']);
});
