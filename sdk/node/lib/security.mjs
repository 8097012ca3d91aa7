// ESM entry point of `paitient-secure-model/security`: the CommonJS classes re-exported.
import security from './security.js';

export const {
  SecuritySettings,
  ComplianceSettings,
  AccessControlSettings,
  TransmissionSecuritySettings,
  EmergencyAccessSettings,
} = security;
export default security;
