"""Signals the release services send; problems listen to mark their fixes shipped."""

from blinker import Namespace

_signals = Namespace()

# sender: the Release; kwargs: actor. Sent after a release is marked released and flushed.
release_shipped = _signals.signal("release-shipped")
