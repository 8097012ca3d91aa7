"""Organisations, users and memberships; later roles, policy, MFA, session policy and API keys."""
