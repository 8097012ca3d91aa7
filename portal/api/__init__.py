"""The REST API root and its routes; the shared machinery (errors, pagination, schema) is in `core.api`."""
