"""Business Associate Agreements (lifecycle, sealed signed PDFs, refresh and reminders) and the live HIPAA
checklist with evidence and history. HIPAA mode itself is a security setting (accessctl/security.py);
incidents and reports are apps of their own."""
