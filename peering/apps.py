from django.apps import AppConfig


class PeeringConfig(AppConfig):
    """The Microsoft.Peering domain: peer ASNs, locations, peerings and connections."""

    name = "peering"
    verbose_name = "Microsoft.Peering"
