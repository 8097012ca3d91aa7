"""REST endpoints of access control: identity, roles, API keys, security settings."""
