"""Operators' admin for the peering domain.

Reference data (metros, facilities, exchanges, Peering Service providers and locations) is edited
here, checked by the same row checks as `load_reference_data`; a facility's session address pool
is validated like any prefix.

Tenant resources are written by `peering.services` only, so their admin pages are read-only and
change only through actions that call the services (which lock the row, re-check the state the
operator saw, record the activity and notify):

- a Peer ASN's validation state: Approve / Reject… (`peer_asn_approve` / `peer_asn_reject`);
- a connection's state: the operators' queue (connections waiting on Microsoft, oldest first)
  with one action per operator move of the state table (`connection_transition`), the BGP
  session states (`session_state_set`) and Microsoft-provided session addresses
  (`connection_allocate_addresses`);
- a deprovisioning request: Accept / Decline… / Complete (`peering.services.deprovision`).

A refusal by a service is reported as a message naming the object, never as a server error.
"""

# Importing the modules registers their admins.
from peering.admin import (  # noqa: F401
    connections,
    deprovisioning,
    peer_asns,
    peering_service,
    peerings,
    reference,
    rpki,
)
