"""Signals the ticket services send; other features (SLA, matching, mail, monitor) listen."""

from blinker import Namespace

_signals = Namespace()

# sender: the Ticket; kwargs: actor. Sent after the ticket and its first event are flushed.
ticket_opened = _signals.signal("ticket-opened")
# sender: the Ticket; kwargs: actor, changes {field: (old, new)}.
ticket_changed = _signals.signal("ticket-changed")
# sender: the Message; kwargs: actor, ticket.
message_added = _signals.signal("message-added")
