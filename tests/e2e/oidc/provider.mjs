// A certified OpenID Provider (panva/oidc-provider) on loopback for tests/e2e/test_sso.py.
// Usage: node provider.mjs <port> <accounts.json> <client_id> <client_secret> <redirect_uri>
// accounts.json maps a login name to its claims ({"email": ..., "groups": [...]}); it is read again at each
// sign-in, so a test can change a person's groups at the IdP (or remove them) between two sign-ins.
// The provider's own development sign-in form is used: any password is accepted for a listed login.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, accountsPath, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

function accounts() {
  return JSON.parse(readFileSync(accountsPath, 'utf8'));
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  // Claims go into the ID token itself (not only the userinfo endpoint), as Okta does for groups.
  conformIdTokenClaims: false,
  cookies: { keys: ['paitient-e2e-oidc-cookie-key'] },
  async findAccount(ctx, id) {
    const found = accounts()[id];
    if (!found || found.disabled) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...found }; } };
  },
});
provider.proxy = false;

provider.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
