"""Lookups and answers the handlers share, in ARM's words when something is missing: the
subscription and group a PUT writes to, DELETE's 200-or-204, PUT's 201-or-200."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.http import Http404, HttpRequest, HttpResponse

from peering.api.audit import api_write
from peering.api.errors import ArmError
from peering.api.routing import arm_json, deleted, no_content
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


def arm_delete(
    request: HttpRequest,
    lookup: Callable[[], object],
    delete: Callable[[object], None],
    *,
    paths: Mapping[str, str],
) -> HttpResponse:
    """ARM DELETE: 204 when `lookup()` finds nothing (Http404), else `delete(item)` as an API
    write and 200. A lookup that refuses (403) refuses the DELETE."""
    try:
        item = lookup()
    except Http404:
        return no_content()
    with api_write(request, paths=paths):
        delete(item)
    return deleted()


def arm_saved(data: dict, *, created: bool) -> HttpResponse:
    """The answer to a PUT: 201 when it created the resource, 200 when it updated it."""
    return arm_json(data, status=201 if created else 200)
