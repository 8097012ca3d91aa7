"""Accounting of disclosures (45 CFR 164.528): keyed hashes of identifiers per inference and scan."""
