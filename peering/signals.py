"""Hooks other modules attach to without the core write path importing them.

`connections_requested` is sent inside the transaction that created connections, with their ids;
a receiver that acts outside the database defers that to `transaction.on_commit`, so a
rolled-back write triggers nothing. Demo motion listens to it (`peering.demo_motion`, connected
in `PeeringConfig.ready`); the services do not know it exists.
"""

from django.dispatch import Signal

connections_requested = Signal()


def announce_connections_requested(connection_ids) -> None:
    """Tell the receivers of `connections_requested` about new connections."""
    ids = [pk for pk in connection_ids if pk is not None]
    if ids:
        connections_requested.send(sender=None, connection_ids=ids)
