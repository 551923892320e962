"""Forms of the peering app, one module per area (peer_asns, peerings, connections, wizard,
registered, peering_services); `common` holds what they share. Forms parse; services decide."""
