"""Writes of the peering domain, one module per area. Every rule lives here; views, admin and the
API call these."""
