"""The append-only, hash-chained audit log, checkpoints, queries, export and verifier (issue 4)."""
