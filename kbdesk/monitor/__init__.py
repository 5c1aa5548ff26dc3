"""Availability monitoring: monitors, probes, incidents and status pages."""

# Tickets filed while an outage is open join its incident: connect the signal handler as soon
# as any part of the feature is imported (models are, by every app).
from kbdesk.monitor import linking as _linking  # noqa: F401
