"""The Django-free PHI engine: detect, redact, reject, de-identify (issue 7)."""
