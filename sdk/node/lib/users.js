'use strict';
/**
 * The organisation's people and invitations: list and read members, invite by e-mail, resend and revoke
 * invitations, deactivate (offboard) and reactivate members, send a password-reset link.
 */

const { parseTime } = require('./models');

const segment = (value) => encodeURIComponent(String(value));

class Frozen {
  constructor(fields) {
    Object.assign(this, fields);
    Object.freeze(this);
  }
}

/** A member. `status` is invited, active or deactivated; `apiKeys` counts live keys. */
class User extends Frozen {
  static fromApi(data) {
    const mfa = data.mfa || {};
    return new User({
      id: data.id,
      username: data.username,
      name: data.name || '',
      email: data.email || '',
      status: data.status,
      roles: [...(data.roles || [])],
      mfaEnrolled: Boolean(mfa.enrolled),
      mfaMethods: [...(mfa.methods || [])],
      mfaRequired: Boolean(mfa.required_by_policy),
      lastLogin: parseTime(data.last_login),
      apiKeys: Number(data.api_keys || 0),
      joinedAt: parseTime(data.joined_at),
      deactivatedAt: parseTime(data.deactivated_at),
      sessions: (data.sessions || []).map((s) => ({ ip: s.ip, createdAt: parseTime(s.created_at) })),
      keys: (data.keys || []).map((k) => ({
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        roleName: k.role_name,
        lastUsedAt: parseTime(k.last_used_at),
        revokedAt: parseTime(k.revoked_at),
      })),
    });
  }
}

/** `status` is pending, expired, accepted or revoked; the link itself goes only to the invitee's e-mail. */
class Invitation extends Frozen {
  static fromApi(data) {
    return new Invitation({
      id: data.id,
      userId: data.user_id,
      email: data.email,
      status: data.status,
      roles: [...(data.roles || [])],
      expiresAt: parseTime(data.expires_at),
      sendCount: Number(data.send_count || 1),
    });
  }
}

async function* pages(request, path, params) {
  let page = await request('GET', path, { params });
  for (;;) {
    yield page.results;
    if (!page.next) return;
    page = await request('GET', page.next);
  }
}

class Users {
  #request;

  constructor(request) {
    this.#request = request;
  }

  async list({ status, role, q } = {}) {
    const params = [['status', status], ['role', role], ['q', q]].filter(([, value]) => value);
    const all = [];
    for await (const rows of pages(this.#request, '/api/v1/users', params)) all.push(...rows.map(User.fromApi));
    return all;
  }

  async get(userId) {
    return User.fromApi(await this.#request('GET', `/api/v1/users/${segment(userId)}`));
  }

  async deactivate(userId) {
    const body = await this.#request('POST', `/api/v1/users/${segment(userId)}/deactivate`);
    return Object.freeze({ user: User.fromApi(body.user), ended: Object.freeze(camelCounts(body.ended)) });
  }

  async reactivate(userId) {
    return User.fromApi(await this.#request('POST', `/api/v1/users/${segment(userId)}/reactivate`));
  }

  async sendPasswordReset(userId) {
    await this.#request('POST', `/api/v1/users/${segment(userId)}/password-reset`);
  }

  async invite({ email, firstName, lastName, roles = [] }) {
    const body = { email, roles: [...roles] };
    if (firstName) body.first_name = firstName;
    if (lastName) body.last_name = lastName;
    return Invitation.fromApi(await this.#request('POST', '/api/v1/invitations', { json: body }));
  }

  async invitations() {
    const all = [];
    for await (const rows of pages(this.#request, '/api/v1/invitations')) all.push(...rows.map(Invitation.fromApi));
    return all;
  }

  async resend(invitationId) {
    return Invitation.fromApi(await this.#request('POST', `/api/v1/invitations/${segment(invitationId)}/resend`));
  }

  async revoke(invitationId) {
    return Invitation.fromApi(await this.#request('POST', `/api/v1/invitations/${segment(invitationId)}/revoke`));
  }
}

function camelCounts(ended) {
  return Object.fromEntries(
    Object.entries(ended || {}).map(([key, value]) => [key.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), value]),
  );
}

module.exports = { Invitation, User, Users };
