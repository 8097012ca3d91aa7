'use strict';
// Problem documents become typed errors carrying the status, the document and its field errors.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const sdk = require('paitient-secure-model');
const { fakeServer, clientFor } = require('./fake-server');

const CASES = [
  [400, {}, sdk.ValidationError],
  [401, {}, sdk.AuthenticationError],
  [403, {}, sdk.PermissionDeniedError],
  [404, {}, sdk.NotFoundError],
  [409, {}, sdk.ConflictError],
  [422, {}, sdk.ValidationError],
  [422, { entity_types: ['NAME', 'DATE'] }, sdk.PHIRejectedError],
  [418, {}, sdk.PaiTIENTError],
  [500, {}, sdk.ServiceUnavailableError],
];

for (const [status, extra, Kind] of CASES) {
  test(`${status}${extra.entity_types ? ' with entity_types' : ''} is a ${Kind.name}`, async (t) => {
    const type = 'https://paitient.example/problems/x';
    const problem = { type, title: 'T', status, detail: `detail ${status}`, ...extra };
    const server = await fakeServer(() => ({ status, json: problem }));
    t.after(() => server.close());
    await assert.rejects(clientFor(server, { maxRetries: 0 }).getDeployment('dep_x'), (error) => {
      assert.ok(error instanceof Kind && error instanceof sdk.PaiTIENTError);
      assert.equal(error.constructor, Kind);
      assert.equal(error.name, Kind.name);
      assert.equal(error.message, `detail ${status}`);
      assert.equal(error.status, status);
      assert.deepEqual(error.problem, problem);
      return true;
    });
  });
}

test('validation errors carry the fields and are not retried', async (t) => {
  const problem = {
    status: 400,
    detail: 'Invalid input: deployment_name.',
    errors: { deployment_name: ['Use lower-case letters, digits and hyphens.'] },
  };
  const server = await fakeServer(() => ({ status: 400, json: problem }));
  t.after(() => server.close());
  const client = clientFor(server);
  await assert.rejects(client.createDeployment({ modelName: 'm', deploymentName: 'Bad Name' }), (error) => {
    assert.ok(error instanceof sdk.ValidationError);
    assert.deepEqual(error.errors, { deployment_name: ['Use lower-case letters, digits and hyphens.'] });
    return true;
  });
  assert.equal(server.requests.length, 1);
});

test('PHI rejection names the entity types', async (t) => {
  const problem = { status: 422, detail: 'The prompt contains PHI.', entity_types: ['NAME', 'DATE'] };
  const server = await fakeServer(() => ({ status: 422, json: problem }));
  t.after(() => server.close());
  const securitySettings = { phiHandling: 'reject' };
  const call = clientFor(server).generateText({ deploymentId: 'dep_1', prompt: 'p', securitySettings });
  await assert.rejects(call, (error) => {
    assert.ok(error instanceof sdk.PHIRejectedError && error instanceof sdk.ValidationError);
    assert.deepEqual(error.entityTypes, ['NAME', 'DATE']);
    return true;
  });
});

test('a body that is not JSON still gives a typed error', async (t) => {
  const server = await fakeServer(() => ({ status: 502, text: '<html>bad gateway</html>' }));
  t.after(() => server.close());
  await assert.rejects(clientFor(server, { maxRetries: 0 }).listDeployments(), (error) => {
    assert.ok(error instanceof sdk.ServiceUnavailableError);
    assert.equal(error.status, 502);
    assert.deepEqual(error.errors, {});
    return true;
  });
});

test('errors print with their class and fields', () => {
  const error = new sdk.ValidationError('Invalid input: x.', { status: 400, problem: { errors: { x: ['bad'] } } });
  const printed = require('node:util').inspect(error);
  assert.match(printed, /^ValidationError: Invalid input: x\./);
  assert.match(printed, /errors: \{ x: \[ 'bad' \] \}/);
});
