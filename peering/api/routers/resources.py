"""Microsoft.Resources: the caller's subscriptions and their resource groups (the shape of
azure-mgmt-resource, api-version 2021-04-01)."""

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel, ConfigDict, Field

from peering.api import representations as rep
from peering.api.auth import ArmAuth
from peering.api.paging import arm_page
from peering.api.routing import arm, arm_json
from peering.api.versions import RESOURCES_API_VERSIONS
from portal.selectors import (
    resource_group_for_user,
    resource_groups_for_user,
    subscription_for_user,
    subscriptions_for_user,
)

router = Router(tags=["Subscriptions and resource groups"], auth=ArmAuth(RESOURCES_API_VERSIONS))

GROUP = "/subscriptions/{subscription_id}/resourcegroups/{name}"


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
