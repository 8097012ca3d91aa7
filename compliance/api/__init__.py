"""Compliance REST API: BAAs (`baa.py`) and the checklist with evidence and history (`checklist.py`)."""
