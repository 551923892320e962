"""The main pages of the demo world, for the whole-page browser checks (mobile width,
accessibility): name → path, built from what `seed_demo` made, plus a Peering Service with a
prefix and its events (the demo has none)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from peering.management.commands.seed_demo import PEERING_NAME
from peering.models import (
    Peering,
    PeeringService,
    PeeringServiceLocation,
    PeeringServicePrefix,
    PeeringServiceProvider,
    PrefixEvent,
)
from portal.models import ResourceGroup, Subscription

# Who signs in for these pages: the exchange provider owns the peering and the service.
USER = "exchange"


def _peering_service() -> tuple[PeeringService, PeeringServicePrefix]:
    """A Peering Service of Contoso IX with one prefix and a few events."""
    peering = Peering.objects.get(name=PEERING_NAME)
    subscription = Subscription.objects.get(pk=peering.subscription_id)
    group = ResourceGroup.objects.get(subscription=subscription, name=peering.resource_group.name)
    service = new_service(
        group, "contoso-ps", provider=PeeringServiceProvider.objects.first(), primary="Seattle"
    )
    prefix = PeeringServicePrefix.objects.create(
        peering_service=service, name="web", prefix="45.60.10.0/24", prefix_key="00000000-0000"
    )
    now = timezone.now()
    for days, level, kind, summary in (
        (9, "Information", "PrefixAnnouncementEvent", "45.60.10.0/24 announced at Seattle"),
        (5, "Warning", "PrefixWithdrawalEvent", "45.60.10.0/24 withdrawn at Seattle"),
        (4, "Information", "PrefixAnnouncementEvent", "45.60.10.0/24 announced at Seattle"),
        (1, "Critical", "PrefixOriginAsChangeEvent", "Origin of 45.60.10.0/24 changed"),
    ):
        PrefixEvent.objects.create(
            prefix=prefix,
            event_type=kind,
            event_level=level,
            summary=summary,
            timestamp=now - timedelta(days=days),
        )
    return service, prefix


def new_service(group: ResourceGroup, name: str, *, provider, primary: str) -> PeeringService:
    """A Peering Service in `group` (Washington, United States) with `provider` at `primary`."""
    return PeeringService.objects.create(
        subscription=group.subscription,
        resource_group=group,
        name=name,
        region=group.region,
        location=_service_location(),
        provider=provider,
        primary_location=primary,
    )


def _service_location() -> PeeringServiceLocation:
    location, _ = PeeringServiceLocation.objects.get_or_create(
        country="United States", state="Washington"
    )
    return location


def main_pages() -> dict[str, str]:
    peering = Peering.objects.get(name=PEERING_NAME)
    args = [peering.subscription_id, peering.resource_group.name, peering.name]
    service, prefix = _peering_service()
    service_args = [service.subscription_id, service.resource_group.name, service.name]
    return {
        "home": reverse("portal:home"),
        "peerings": reverse("peering:peering_list"),
        "peer-asns": reverse("peering:peer_asn_list"),
        "activity-log": reverse("portal:activity_log"),
        "overview": reverse("peering:peering_detail", args=args),
        "connections": reverse("peering:peering_connections", args=args),
        "registered-asns": reverse("registered:asn_list", args=args),
        "received-routes": reverse("registered:routes", args=args),
        "wizard": reverse("wizard:start"),
        "wizard-configuration": reverse("wizard:tab", args=["configuration"]),
        "deployment": reverse("wizard:deployment", args=args),
        "peering-service-wizard": reverse("peering_services:create"),
        "prefix": reverse("peering_services:prefix_detail", args=[*service_args, prefix.name]),
        # The long tables' filter bars (issue 12 item 10).
        "peering-services": reverse("peering_services:list"),
        "service-prefixes": reverse("peering_services:prefixes", args=service_args),
        "peering-activity": reverse("peering:peering_activity", args=args),
        "registered-prefixes": reverse("registered:prefix_list", args=args),
    }
