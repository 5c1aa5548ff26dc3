"""Authoring: turning resolved tickets into articles, with personal data scrubbed."""
