// The package's exports map: ESM and CommonJS entry points give the same classes.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import sdk, { PaiTIENTClient, ValidationError, SecuritySettings as Reexported } from 'paitient-secure-model';
import { SecuritySettings, ComplianceSettings } from 'paitient-secure-model/security';

const require = createRequire(import.meta.url);

test('import and require resolve to the same implementation', () => {
  const cjs = require('paitient-secure-model');
  assert.equal(PaiTIENTClient, cjs.PaiTIENTClient);
  assert.equal(sdk, cjs);
  assert.equal(ValidationError, cjs.ValidationError);
  assert.equal(SecuritySettings, require('paitient-secure-model/security').SecuritySettings);
  assert.equal(Reexported, SecuritySettings);
  assert.ok(new ComplianceSettings({ hipaa: true }));
});

test('every CommonJS export is also a named ESM export', async () => {
  const esm = await import('paitient-secure-model');
  const names = Object.keys(require('paitient-secure-model')).sort();
  assert.deepEqual(Object.keys(esm).filter((name) => name !== 'default').sort(), names);
  const security = await import('paitient-secure-model/security');
  const securityNames = Object.keys(require('paitient-secure-model/security')).filter((name) => name !== 'Settings');
  assert.deepEqual(Object.keys(security).filter((name) => name !== 'default').sort(), securityNames.sort());
});
