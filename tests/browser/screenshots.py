"""The screenshots in docs/screenshots/, made from the demo world (`seed_demo`) in Chromium at
1280 px: a peering's Overview with its received-routes chart, and a Peering Service prefix
with its validation checklist and evidence.

    PP_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest -p no:xdist \
        tests/browser/test_screenshots.py

(Without PP_SCREENSHOTS_DIR the test writes them to a temporary directory and only checks them.)
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from peering.management.commands.seed_demo import (
    CONTOSO_IX_ASN,
    FABRIKAM_ASN,
    FABRIKAM_PREFIX,
    PEERING_NAME,
)
from peering.models import (
    Peering,
    PeeringServicePrefix,
    PeeringServiceProvider,
    RegisteredAsn,
)
from peering.services.prefix_validation import prefix_validate
from peering.services.routes import parse_route, received_routes_import
from portal.models import ResourceGroup, Subscription
from tests.browser.pages import new_service

WIDTH = 1280
OVERVIEW = "overview-chart.png"
CHECKLIST = "prefix-checklist.png"


def route_history(peering: Peering) -> None:
    """A few more imports on each connection, growing, so the chart has lines to draw."""
    operator = get_user_model().objects.get(username="operator")
    for step, count in enumerate((3, 5, 8)):
        when = timezone.now() - timedelta(hours=3 - step)
        for connection in peering.connections.order_by("id"):
            routes = [
                parse_route(
                    {
                        "prefix": FABRIKAM_PREFIX if n == 0 else f"45.61.{n}.0/24",
                        "next_hop": connection.peer_session_ipv4_address,
                        "as_path": f"{CONTOSO_IX_ASN} {FABRIKAM_ASN}",
                        "communities": ["8075:8007"],
                    },
                    line=n + 1,
                    now=when,
                )
                for n in range(count + connection.pk % 2)
            ]
            received_routes_import(connection=connection, routes=routes, operator=operator)


def validated_prefix() -> PeeringServicePrefix:
    """Fabrikam's Peering Service with its prefix and the demo's key, validated now."""
    registered = RegisteredAsn.objects.get(asn=FABRIKAM_ASN)
    provider, _ = PeeringServiceProvider.objects.get_or_create(
        name="Contoso IX",
        defaults={"kind": PeeringServiceProvider.ProviderKind.EXCHANGE, "asn": CONTOSO_IX_ASN},
    )
    if provider.asn is None:
        provider.asn = CONTOSO_IX_ASN
        provider.save(update_fields=["asn"])
    registered.peering.connections.update(use_for_peering_service=True)
    subscription = Subscription.objects.get(display_name="Fabrikam")
    group = ResourceGroup.objects.filter(subscription=subscription).first()
    service = new_service(
        group,
        "fabrikam-seattle",
        provider=provider,
        primary=registered.peering.peering_location.name,
    )
    prefix = PeeringServicePrefix.objects.create(
        peering_service=service,
        name="web",
        prefix=FABRIKAM_PREFIX,
        prefix_key=str(registered.prefix_key),
    )
    prefix_validate(prefix_id=prefix.pk)
    return prefix


def save(page, base_url: str, sign_in, out: Path) -> list[Path]:
    """Both screenshots into `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    peering = Peering.objects.get(name=PEERING_NAME)
    route_history(peering)
    prefix = validated_prefix()
    page.set_viewport_size({"width": WIDTH, "height": 900})

    sign_in("exchange")
    args = [peering.subscription_id, peering.resource_group.name, peering.name]
    page.goto(f"{base_url}{reverse('peering:peering_detail', args=args)}")
    page.get_by_test_id("route-chart-svg").wait_for()
    page.screenshot(path=out / OVERVIEW, full_page=True)

    page.context.clear_cookies()
    sign_in("customer")
    service = prefix.peering_service
    url = reverse(
        "peering_services:prefix_detail",
        args=[service.subscription_id, service.resource_group.name, service.name, prefix.name],
    )
    page.goto(f"{base_url}{url}")
    page.get_by_test_id("validation-checklist").wait_for()
    page.screenshot(path=out / CHECKLIST, full_page=True)
    return [out / OVERVIEW, out / CHECKLIST]
