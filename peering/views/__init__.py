"""Views of the peering app, one module per area. Thin: forms parse, selectors read, services
decide."""
