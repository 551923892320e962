"""Lookups the handlers share, in ARM's words when something is missing."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from peering.api.errors import ArmError
from portal.models import ResourceGroup, Subscription
from portal.selectors import resource_group_for_user, subscription_for_user


def writable_group(
    request: HttpRequest, subscription_id: str, resource_group: str
) -> tuple[Subscription, ResourceGroup]:
    """The subscription the caller may write to (404 / 403) and its resource group, or 404
    ResourceGroupNotFound: a PUT names an existing group (create it first)."""
    subscription = subscription_for_user(
        user=request.user, subscription_id=subscription_id, write=True
    )
    try:
        group = resource_group_for_user(
            user=request.user, subscription_id=subscription.pk, name=resource_group
        )
    except Http404:
        raise ArmError(
            404,
            "ResourceGroupNotFound",
            f"Resource group '{resource_group[:63]}' could not be found.",
            target="resourceGroupName",
        ) from None
    return subscription, group
