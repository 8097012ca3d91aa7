'use strict';
// Compliance reports: the request body, polling until ready, failures, and the checked download.

const assert = require('node:assert/strict');
const { createHash } = require('node:crypto');
const { test } = require('node:test');
const sdk = require('paitient-secure-model');
const { fakeServer, clientFor } = require('./fake-server');

const PDF = Buffer.from('%PDF-1.7 fake');

function reportServer(statuses, { sha256 = createHash('sha256').update(PDF).digest('hex') } = {}) {
  let server;
  const report = (status) => ({
    id: 'rpt_1', status, report_type: 'hipaa', time_period: 'last_30_days', output_format: 'pdf',
    include_sections: ['phi_access'], progress: { percent: status === 'ready' ? 100 : 40, stage: status },
    error: status === 'failed' ? 'renderer crashed' : '', sha256,
    url: status === 'ready' ? `${server.url}/api/v1/reports/rpt_1/download?token=t` : null,
  });
  return fakeServer((request) => {
    if (request.path.endsWith('/download')) return { text: PDF.toString() };
    if (request.method === 'POST') return { status: 202, json: report('pending') };
    return { json: report(statuses.shift() ?? 'ready') };
  }).then((started) => (server = started));
}

test('generateComplianceReport polls until ready and downloads the checked file', async (t) => {
  const server = await reportServer(['rendering', 'ready']);
  t.after(() => server.close());
  const report = await clientFor(server).generateComplianceReport({
    reportType: 'hipaa',
    timePeriod: 'last_30_days',
    includeSections: ['phi_access', 'security_events'],
    outputFormat: 'pdf',
    pollIntervalMs: 10,
  });
  assert.deepEqual(server.requests[0].body, {
    report_type: 'hipaa', time_period: 'last_30_days', output_format: 'pdf',
    include_sections: ['phi_access', 'security_events'],
  });
  assert.ok(report instanceof sdk.ComplianceReport);
  assert.equal(report.status, 'ready');
  assert.match(report.url, /\/api\/v1\/reports\/rpt_1\/download\?token=t$/);
  assert.deepEqual(await report.download(), PDF);
});

test('a failed report throws ReportFailedError; a slow one TimeoutError; wait=false returns at once', async (t) => {
  const server = await reportServer(['failed', 'rendering', 'rendering', 'rendering', 'rendering', 'rendering']);
  t.after(() => server.close());
  const client = clientFor(server);
  await assert.rejects(client.generateComplianceReport({ pollIntervalMs: 10 }), (error) => {
    assert.ok(error instanceof sdk.ReportFailedError);
    assert.equal(error.reportId, 'rpt_1');
    assert.match(error.message, /renderer crashed/);
    return true;
  });
  await assert.rejects(client.generateComplianceReport({ timeoutMs: 30, pollIntervalMs: 10 }), sdk.TimeoutError);
  assert.equal((await client.generateComplianceReport({ wait: false })).status, 'pending');
});

test('a download that does not match the recorded SHA-256 is refused', async (t) => {
  const server = await reportServer(['ready'], { sha256: 'f'.repeat(64) });
  t.after(() => server.close());
  const report = await clientFor(server).generateComplianceReport({ pollIntervalMs: 10 });
  await assert.rejects(report.download(), /does not match its recorded SHA-256/);
});
