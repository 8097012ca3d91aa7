'use strict';
// People and invitations: the calls' paths and snake_case bodies, camelCase results, every page followed.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { User, Invitation, ConflictError, ValidationError } = require('paitient-secure-model');
const { fakeServer, clientFor } = require('./fake-server');

const BOB = {
  id: 'user_bob123',
  username: 'bob',
  name: 'Bob Burns',
  email: 'bob@example.org',
  status: 'active',
  roles: ['auditor'],
  mfa: { enrolled: true, methods: ['totp', 'backup_codes'], required_by_policy: true },
  last_login: '2026-12-01T10:00:00Z',
  api_keys: 2,
  joined_at: '2026-01-01T00:00:00Z',
  deactivated_at: null,
  created_at: '2026-01-01T00:00:00Z',
};
const INVITATION = {
  id: 'inv_abc123',
  user_id: 'user_erin12',
  email: 'erin@example.org',
  status: 'pending',
  roles: ['auditor'],
  invited_by: 'user_alice1',
  sent_at: '2026-12-01T10:00:00Z',
  expires_at: '2026-12-04T10:00:00Z',
  send_count: 1,
  accepted_at: null,
  revoked_at: null,
  created_at: '2026-12-01T10:00:00Z',
};

test('listUsers sends the filters, follows every page and returns camelCase users', async (t) => {
  const server = await fakeServer((request) => {
    if (request.url.searchParams.get('cursor')) {
      return { json: { next: null, results: [{ ...BOB, id: 'user_two', username: 'two' }] } };
    }
    return { json: { next: `${server.url}/api/v1/users?cursor=abc`, results: [BOB] } };
  });
  t.after(() => server.close());
  const users = await clientFor(server).listUsers({ status: 'active', q: 'bo' });
  assert.deepEqual(users.map((u) => u.username), ['bob', 'two']);
  assert.ok(users[0] instanceof User && Object.isFrozen(users[0]));
  assert.equal(users[0].mfaRequired, true);
  assert.deepEqual(users[0].mfaMethods, ['totp', 'backup_codes']);
  assert.equal(users[0].apiKeys, 2);
  assert.equal(users[0].lastLogin.toISOString(), '2026-12-01T10:00:00.000Z');
  assert.equal(server.requests[0].url.search, '?status=active&q=bo');
});

test('inviting sends snake_case, resend and revoke name the invitation', async (t) => {
  const server = await fakeServer((request) => {
    if (request.path.endsWith('/revoke')) return { json: { ...INVITATION, status: 'revoked' } };
    if (request.path.endsWith('/resend')) return { json: { ...INVITATION, send_count: 2 } };
    return { status: 201, json: INVITATION };
  });
  t.after(() => server.close());
  const client = clientFor(server);
  const invitation = await client.inviteUser({ email: 'erin@example.org', firstName: 'Erin', roles: ['auditor'] });
  assert.ok(invitation instanceof Invitation);
  assert.equal(invitation.userId, 'user_erin12');
  assert.equal((await client.resendInvitation(invitation.id)).sendCount, 2);
  assert.equal((await client.revokeInvitation(invitation.id)).status, 'revoked');
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), [
    'POST /api/v1/invitations',
    'POST /api/v1/invitations/inv_abc123/resend',
    'POST /api/v1/invitations/inv_abc123/revoke',
  ]);
  assert.deepEqual(server.requests[0].body, { email: 'erin@example.org', first_name: 'Erin', roles: ['auditor'] });
});

test('deactivation returns the user and what was ended; a repeat is a ConflictError', async (t) => {
  const ended = { sessions_ended: 1, api_keys_revoked: 2, invitations_revoked: 0 };
  const server = await fakeServer((request, n) => {
    if (n === 1) return { json: { user: { ...BOB, status: 'deactivated' }, ended } };
    const problem = { status: 409, detail: 'The member is deactivated already.', errors: { status: ['x'] } };
    return { status: 409, json: problem };
  });
  t.after(() => server.close());
  const client = clientFor(server);
  const offboarded = await client.deactivateUser('user_bob123');
  assert.equal(offboarded.user.status, 'deactivated');
  assert.deepEqual(offboarded.ended, { sessionsEnded: 1, apiKeysRevoked: 2, invitationsRevoked: 0 });
  await assert.rejects(client.deactivateUser('user_bob123'), ConflictError);
  assert.equal(server.requests[0].path, '/api/v1/users/user_bob123/deactivate');
});

test('reactivation, password reset and field errors', async (t) => {
  const server = await fakeServer((request) => {
    if (request.path.endsWith('/reactivate')) return { json: BOB };
    if (request.path.endsWith('/password-reset')) return { status: 202 };
    return { status: 400, json: { status: 400, detail: 'bad', errors: { email: ['Enter a valid e-mail address.'] } } };
  });
  t.after(() => server.close());
  const client = clientFor(server);
  assert.equal((await client.reactivateUser('user_bob123')).status, 'active');
  assert.equal(await client.sendPasswordReset('user_bob123'), undefined);
  await assert.rejects(client.inviteUser({ email: 'nope' }), (error) => {
    assert.ok(error instanceof ValidationError);
    assert.deepEqual(Object.keys(error.errors), ['email']);
    return true;
  });
});
