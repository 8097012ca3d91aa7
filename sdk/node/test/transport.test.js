'use strict';
// The transport: configuration, auth, retries with backoff and Retry-After, timeouts, network errors.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const {
  PaiTIENTClient,
  ConfigurationError,
  RateLimitError,
  ServiceUnavailableError,
} = require('paitient-secure-model');
const { parseRetryAfter } = require('../lib/transport');
const { fakeServer, clientFor, HANG, DROP } = require('./fake-server');

const ROLE = { name: 'r', permissions: ['audit:read'], resource_pattern: '*' };

test('configuration comes from the environment, and options override it', () => {
  const saved = { ...process.env };
  try {
    delete process.env.PAITIENT_BASE_URL;
    delete process.env.PAITIENT_API_KEY;
    const namesTheVariable = (e) => e instanceof ConfigurationError && /PAITIENT_BASE_URL/.test(e.message);
    assert.throws(() => new PaiTIENTClient(), namesTheVariable);
    process.env.PAITIENT_BASE_URL = 'https://paitient.test';
    assert.throws(() => new PaiTIENTClient(), /PAITIENT_API_KEY/);
    process.env.PAITIENT_API_KEY = 'psk_env';
    assert.ok(new PaiTIENTClient());
    assert.throws(() => new PaiTIENTClient({ baseUrl: 'not a url' }), ConfigurationError);
  } finally {
    process.env = saved;
  }
});

test('requests carry the bearer key and a user agent', async (t) => {
  const server = await fakeServer(() => ({ status: 201, json: ROLE }));
  t.after(() => server.close());
  await clientFor(server).createRole({ name: 'r', permissions: ['audit:read'] });
  const [request] = server.requests;
  assert.equal(request.headers.authorization, 'Bearer psk_test_key');
  assert.match(request.headers['user-agent'], /^paitient-secure-model-node\/0\.1\.0$/);
  assert.equal(request.headers['content-type'], 'application/json');
});

test('a base URL with a path prefix keeps it', async (t) => {
  const server = await fakeServer(() => ({ json: { results: [], next: null } }));
  t.after(() => server.close());
  await clientFor(server, { baseUrl: `${server.url}/paitient/` }).listDeployments();
  assert.equal(server.requests[0].path, '/paitient/api/v1/deployments');
});

test('retries 503 then succeeds', async (t) => {
  const busy = { status: 503, json: { status: 503, detail: 'busy' } };
  const server = await fakeServer((_, n) => (n < 3 ? busy : { status: 201, json: ROLE }));
  t.after(() => server.close());
  const role = await clientFor(server).createRole({ name: 'r', permissions: ['audit:read'] });
  assert.equal(role.name, 'r');
  assert.equal(server.requests.length, 3);
});

test('gives up after the retries with a typed error', async (t) => {
  const server = await fakeServer(() => ({ status: 429, json: { status: 429, detail: 'slow down' } }));
  t.after(() => server.close());
  await assert.rejects(clientFor(server, { maxRetries: 2 }).listDeployments(), (error) => {
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.message, 'slow down');
    assert.equal(error.status, 429);
    return true;
  });
  assert.equal(server.requests.length, 3);
});

test('5xx outside the retry set is not retried', async (t) => {
  const server = await fakeServer(() => ({ status: 500, json: { detail: 'boom' } }));
  t.after(() => server.close());
  await assert.rejects(clientFor(server).listDeployments(), ServiceUnavailableError);
  assert.equal(server.requests.length, 1);
});

test('Retry-After is honoured', async (t) => {
  const times = [];
  const server = await fakeServer((_, n) => {
    times.push(Date.now());
    return n === 1 ? { status: 503, json: {}, headers: { 'Retry-After': '1' } } : { json: { results: [], next: null } };
  });
  t.after(() => server.close());
  await clientFor(server, { backoffBaseMs: 10 }).listDeployments();
  assert.ok(times[1] - times[0] >= 950, `waited ${times[1] - times[0]} ms`);
});

test('Retry-After as seconds or an HTTP date', () => {
  assert.equal(parseRetryAfter('7'), 7000);
  assert.equal(parseRetryAfter(null), null);
  assert.equal(parseRetryAfter('soon'), null);
  const later = parseRetryAfter(new Date(Date.now() + 5000).toUTCString());
  assert.ok(later > 3000 && later <= 5000, String(later));
});

test('a request that gets no answer times out, and the retry can succeed', async (t) => {
  const server = await fakeServer((_, n) => (n === 1 ? HANG : { json: { results: [], next: null } }));
  t.after(() => server.close());
  assert.deepEqual(await clientFor(server, { timeoutMs: 200, maxRetries: 1 }).listDeployments(), []);
  assert.equal(server.requests.length, 2);
});

test('a timeout after the retries is a ServiceUnavailableError', async (t) => {
  const server = await fakeServer(() => HANG);
  t.after(() => server.close());
  const started = Date.now();
  await assert.rejects(clientFor(server, { timeoutMs: 150, maxRetries: 0 }).listDeployments(), (error) => {
    assert.ok(error instanceof ServiceUnavailableError);
    assert.match(error.message, /no answer within 150 ms/);
    assert.equal(error.cause.name, 'TimeoutError');
    return true;
  });
  assert.ok(Date.now() - started < 2000);
});

test('network errors are retried', async (t) => {
  const server = await fakeServer((_, n) => (n < 3 ? DROP : { json: { results: [], next: null } }));
  t.after(() => server.close());
  assert.deepEqual(await clientFor(server).listDeployments(), []);
  assert.equal(server.requests.length, 3);
});

test('an unreachable service is a ServiceUnavailableError', async () => {
  const server = await fakeServer(() => ({}));
  const url = server.url;
  await server.close();
  const client = new PaiTIENTClient({ baseUrl: url, apiKey: 'k', maxRetries: 1, backoffBaseMs: 1 });
  await assert.rejects(client.listDeployments(), /cannot reach the service/);
});
