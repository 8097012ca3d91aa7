"""Periodic access reviews (HIPAA 164.308(a)(4)): the schedule, campaigns and their keep-or-revoke items."""
