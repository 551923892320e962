"""Reads of the peering app, one module per area, every one scoped to the user's subscriptions."""
