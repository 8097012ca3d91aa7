"""Shared REST API machinery: authentication, problem-JSON errors, pagination, OpenAPI helpers."""
