"""Lookups and answers the handlers share, in ARM's words when something is missing: the
group a PUT writes to, DELETE's 200-or-204, PUT's 201-or-200."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.http import Http404, HttpRequest, HttpResponse

from peering.api.audit import api_write
from peering.api.errors import ArmError
from peering.api.routing import arm_json, deleted, no_content
from portal.models import ResourceGroup, Subscription
from portal.selectors import resource_group_for_user


def existing_group(request: HttpRequest, subscription: Subscription, name: str) -> ResourceGroup:
    """The resource group a PUT writes to, in a subscription already read for writing, or 404
    ResourceGroupNotFound: a PUT names an existing group (create it first)."""
    try:
        return resource_group_for_user(
            user=request.user, subscription_id=subscription.pk, name=name
        )
    except Http404:
        raise ArmError(
            404,
            "ResourceGroupNotFound",
            f"Resource group '{name[:63]}' could not be found.",
            target="resourceGroupName",
        ) from None


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
