from django.apps import AppConfig


class PeeringConfig(AppConfig):
    """The Microsoft.Peering domain: peer ASNs, locations, peerings and connections."""

    name = "peering"
    verbose_name = "Microsoft.Peering"

    def ready(self):
        # Demo motion hears about new connections through a signal, so the create path does not
        # import it (it is a demo aid, not part of the domain).
        from peering import demo_motion, signals

        signals.connections_requested.connect(
            demo_motion.on_connections_requested, dispatch_uid="demo_motion"
        )
