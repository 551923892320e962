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
from peering.api.routing import arm, arm_json, deleted, no_content
from peering.api.versions import RESOURCES_API_VERSIONS
from peering.selectors import reference
from peering.selectors.peering_services import resource_group_in as groups_in
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


@arm(
    router,
    "GET",
    "/subscriptions/{subscription_id}/resourcegroups",
    operation_id="ResourceGroups_List",
    summary="List resource groups",
)
def resource_groups_list(request: HttpRequest, subscription_id: str):
    """The subscription's resource groups by name."""
    subscription = subscription_for_user(user=request.user, subscription_id=subscription_id)
    rows = resource_groups_for_user(user=request.user, subscription=subscription).order_by(
        "name", "pk"
    )
    return arm_json(arm_page(request, rows, rep.resource_group))


@arm(router, "GET", GROUP, operation_id="ResourceGroups_Get", summary="Get a resource group")
def resource_group_get(request: HttpRequest, subscription_id: str, name: str):
    """One resource group (names compare case-insensitively)."""
    item = resource_group_for_user(user=request.user, subscription_id=subscription_id, name=name)
    return arm_json(rep.resource_group(item))


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


@arm(
    router,
    "DELETE",
    GROUP,
    operation_id="ResourceGroups_Delete",
    summary="Delete an empty resource group",
)
def resource_group_delete(request: HttpRequest, subscription_id: str, name: str):
    """200 when deleted, 204 when there was none; 409 while it still holds resources."""
    subscription = subscription_for_user(
        user=request.user, subscription_id=subscription_id, write=True
    )
    existing = groups_in(subscription=subscription, name=name)
    if existing is None:
        return no_content()
    with api_write(request, paths=GROUP_PATHS):
        services.resource_group_delete(user=request.user, group=existing)
    return deleted()
