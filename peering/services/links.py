"""The portal links the services put in notifications and emails."""

from __future__ import annotations

from django.urls import reverse

from peering.models import Peering


def peering_url(peering: Peering) -> str:
    """The peering's Overview in the portal."""
    return reverse(
        "peering:peering_detail",
        args=[peering.subscription_id, peering.resource_group.name, peering.name],
    )
