"""HIPAA compliance reports: requested over REST, the SDK or the console, rendered by workers, stored encrypted."""
