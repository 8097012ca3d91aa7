"""HIPAA mode, BAAs, the checklist, incidents and PDF reports (issues 9 and 10)."""
