"""Breach detection, incidents, the four-factor risk assessment and breach notification (45 CFR 164.400-414)."""
