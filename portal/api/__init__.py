"""Shared REST API machinery: authentication, problem-JSON errors, pagination, the API root."""
