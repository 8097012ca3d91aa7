"""A test-only app whose models use every kind of encrypted field."""
