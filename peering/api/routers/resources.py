"""Microsoft.Resources: the caller's subscriptions and their resource groups (the shape of
azure-mgmt-resource, api-version 2021-04-01)."""

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel, ConfigDict, Field

from peering.api import representations as rep
from peering.api.audit import api_write
from peering.api.auth import ArmAuth
from peering.api.body import parse_body
from peering.api.errors import ArmError
from peering.api.paging import arm_page
from peering.api.resource_type import ResourceType
from peering.api.routing import arm, arm_json
from peering.api.versions import RESOURCES_API_VERSIONS
from peering.selectors import reference
from portal import services
from portal.selectors import (
    resource_group_for_user,
    resource_groups_for_user,
    subscription_for_user,
    subscriptions_for_user,
)

router = Router(tags=["Subscriptions and resource groups"], auth=ArmAuth(RESOURCES_API_VERSIONS))

GROUP = "/subscriptions/{subscription_id}/resourcegroups/{name}"
GROUP_PATHS = {"name": "name", "region": "location", "tags": "tags"}


@arm(
    router,
    "GET",
    "/subscriptions",
    operation_id="Subscriptions_List",
    summary="List the caller's subscriptions",
)
def subscriptions_list(request: HttpRequest):
    """Subscriptions where the caller holds a role (only the token's one when it has one)."""
    rows = subscriptions_for_user(user=request.user).order_by("display_name", "pk")
    if request.api_token.subscription_id:
        rows = rows.filter(pk=request.api_token.subscription_id)
    return arm_json(arm_page(request, rows, rep.subscription))


@arm(
    router,
    "GET",
    "/subscriptions/{subscription_id}",
    operation_id="Subscriptions_Get",
    summary="Get a subscription",
)
def subscription_get(request: HttpRequest, subscription_id: str):
    """One subscription the caller holds a role on."""
    item = subscription_for_user(user=request.user, subscription_id=subscription_id)
    return arm_json(rep.subscription(item))


GROUPS = ResourceType(
    router, GROUP, "ResourceGroups", rep.resource_group, resource_group_for_user, paths=GROUP_PATHS
)
GROUPS.list(
    "/subscriptions/{subscription_id}/resourcegroups",
    "ResourceGroups_List",
    "List resource groups",
    "The subscription's resource groups by name.",
    rows=lambda call, subscription: resource_groups_for_user(
        user=call.user, subscription=subscription
    ).order_by("name", "pk"),
)
GROUPS.get("Get a resource group", "One resource group (names compare case-insensitively).")


class ResourceGroupInput(BaseModel):
    """The body of a resource group PUT: its location and tags."""

    model_config = ConfigDict(extra="forbid")
    location: str = Field(..., max_length=40)
    tags: dict[str, str] | None = None
    properties: dict | None = None
    id: str | None = None
    name: str | None = None
    type: str | None = None
    managed_by: str | None = Field(None, alias="managedBy")


@arm(
    router,
    "PUT",
    GROUP,
    body=ResourceGroupInput,
    operation_id="ResourceGroups_CreateOrUpdate",
    summary="Create or update a resource group",
)
def resource_group_put(request: HttpRequest, subscription_id: str, name: str):
    """201 with a new group; 200 for an existing one (its tags replaced; the location of a
    group cannot change)."""
    subscription = subscription_for_user(
        user=request.user, subscription_id=subscription_id, write=True
    )
    body = parse_body(request, ResourceGroupInput)
    region = reference.azure_region_named(body.location)
    if region is None:
        raise ArmError(
            400,
            "LocationNotAvailableForResourceGroup",
            f"The location '{body.location}' is not an Azure region.",
            target="location",
        )
    with api_write(request, paths=GROUP_PATHS):
        group, created = services.resource_group_create_or_update(
            user=request.user,
            subscription=subscription,
            name=name,
            region=region,
            tags=body.tags or {},
        )
    return arm_json(rep.resource_group(group), status=201 if created else 200)


GROUPS.delete(
    "Delete an empty resource group",
    "200 when deleted, 204 when there was none; 409 while it still holds resources.",
    delete=lambda user, item: services.resource_group_delete(user=user, group=item),
)
