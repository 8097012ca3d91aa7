"""Hybrid envelope encryption, key hierarchy, encrypted fields and files (issue 6)."""
