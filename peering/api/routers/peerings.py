"""`peerings` and `received_routes`: a subscription's peerings and the routes Microsoft receives."""

from functools import partial

from django.http import Http404, HttpRequest
from ninja import Query, Router

from peering.api import representations as rep
from peering.api.audit import api_write
from peering.api.body import parse_body
from peering.api.lookups import arm_saved, writable_group
from peering.api.paging import arm_page
from peering.api.routing import RG, SUB, arm, arm_json, deleted, no_content
from peering.api.schemas import PeeringBody, TagsBody, peering_paths
from peering.selectors.peerings import (
    deprovision_requests_of,
    open_deprovision_request,
    peering_for_user,
    peerings_as_values,
    peerings_for_user,
)
from peering.selectors.registered import PREFIX_EXACT, RouteFilters, received_routes_of
from peering.services.connections import peering_tags_update
from peering.services.deprovision import deprovision_request
from peering.services.peerings import peering_create_or_update
from portal.selectors import resource_at_path, resource_group_for_user, subscription_for_user

router = Router(tags=["Peerings"])

PATH = f"{RG}/peerings/{{name}}"

_peering = partial(resource_at_path, peering_for_user)


def _keys(qs):
    """The list's order on narrow rows: the page's keys only (`_read_listed` reads them)."""
    return qs.order_by("resource_group__name", "name", "pk").values_list("pk", flat=True)


def _read_listed(keys: list[int]) -> list[rep.Values]:
    """The page's peerings with their connections as plain values, in the keys' order."""
    return [
        rep.listed_peering(row, connections)
        for row, connections in peerings_as_values(keys=keys, columns=rep.LISTED_PEERING_COLUMNS)
    ]


@arm(
    router,
    "GET",
    f"{RG}/peerings",
    operation_id="Peerings_ListByResourceGroup",
    summary="List the peerings of a resource group",
)
def peerings_list_by_resource_group(
    request: HttpRequest, subscription_id: str, resource_group: str
):
    """Peerings in one resource group (404 when the group does not exist)."""
    group = resource_group_for_user(
        user=request.user, subscription_id=subscription_id, name=resource_group
    )
    rows = _keys(
        peerings_for_user(
            user=request.user, subscription=group.subscription, resource_group=group.name
        )
    )
    return arm_json(arm_page(request, rows, rep.peering, read=_read_listed))


@arm(
    router,
    "GET",
    f"{SUB}/peerings",
    operation_id="Peerings_ListBySubscription",
    summary="List the subscription's peerings",
)
def peerings_list_by_subscription(request: HttpRequest, subscription_id: str):
    """Every peering of the subscription, by resource group and name."""
    subscription = subscription_for_user(user=request.user, subscription_id=subscription_id)
    rows = _keys(peerings_for_user(user=request.user, subscription=subscription))
    return arm_json(arm_page(request, rows, rep.peering, read=_read_listed))


@arm(router, "GET", PATH, operation_id="Peerings_Get", summary="Get a peering")
def peering_get(request: HttpRequest, subscription_id: str, resource_group: str, name: str):
    """One peering with its connections and their BGP sessions."""
    item = _peering(request, subscription_id, resource_group, name)
    return arm_json(rep.peering(item))


@arm(
    router,
    "GET",
    f"{PATH}/receivedRoutes",
    operation_id="ReceivedRoutes_ListByPeering",
    summary="List the routes Microsoft receives on a peering",
)
def received_routes_list(
    request: HttpRequest,
    subscription_id: str,
    resource_group: str,
    name: str,
    prefix: str | None = Query(None, max_length=64),
    as_path: str | None = Query(None, alias="asPath", max_length=512),
    origin_as_validation_state: str | None = Query(
        None, alias="originAsValidationState", max_length=32
    ),
    rpki_validation_state: str | None = Query(None, alias="rpkiValidationState", max_length=32),
):
    """Filter by exact prefix, a run of ASNs in the AS path, and the validation states; pages
    continue with `$skipToken`."""
    item = _peering(request, subscription_id, resource_group, name)
    filters = RouteFilters(
        prefix=prefix or "",
        prefix_match=PREFIX_EXACT,
        as_path=as_path or "",
        origin_as_validation_state=origin_as_validation_state or "",
        rpki_validation_state=rpki_validation_state or "",
    )
    rows = received_routes_of(peering=item, filters=filters)
    return arm_json(arm_page(request, rows, rep.received_route))


@arm(
    router,
    "PUT",
    PATH,
    body=PeeringBody,
    operation_id="Peerings_CreateOrUpdate",
    summary="Create or update a peering",
)
def peering_put(request: HttpRequest, subscription_id: str, resource_group: str, name: str):
    """201 when created (connections PendingApproval), 200 when an existing peering was updated:
    its connections are matched by `connectionIdentifier` and added, changed or removed by the
    portal's own rules; tags are replaced."""
    subscription, group = writable_group(request, subscription_id, resource_group)
    body = parse_body(request, PeeringBody)
    data = body.contract(name=name, resource_group=group.name)
    with api_write(request, paths=peering_paths(body)):
        item, created = peering_create_or_update(
            user=request.user, subscription=subscription, data=data
        )
    item = _peering(request, subscription.pk, group.name, item.name)
    return arm_saved(rep.peering(item), created=created)


@arm(
    router,
    "PATCH",
    PATH,
    body=TagsBody,
    operation_id="Peerings_Update",
    summary="Update a peering's tags",
)
def peering_patch(request: HttpRequest, subscription_id: str, resource_group: str, name: str):
    """Replaces the tags (the only property PATCH changes)."""
    item = _peering(request, subscription_id, resource_group, name, write=True)
    body = parse_body(request, TagsBody)
    with api_write(request, paths={"tags": "tags"}):
        peering_tags_update(user=request.user, peering=item, tags=body.tags)
    item = _peering(request, subscription_id, resource_group, name)
    return arm_json(rep.peering(item))


CONFIRM_CUSTOMERS = "x-peering-confirm-customers"


@arm(
    router,
    "DELETE",
    PATH,
    operation_id="Peerings_Delete",
    summary="Request the peering's deprovisioning",
)
def peering_delete(request: HttpRequest, subscription_id: str, resource_group: str, name: str):
    """Opens the tracked deprovisioning request Microsoft acts on (the peering stays until
    Microsoft removes it): 200; 200 again while that request is open; 204 when there is no such
    peering. If customers use its registered ASNs, send the header
    `x-peering-confirm-customers: true` to confirm cutting them off (409 otherwise)."""
    subscription = subscription_for_user(
        user=request.user, subscription_id=subscription_id, write=True
    )
    try:
        item = _peering(request, subscription.pk, resource_group, name, write=True)
    except Http404:
        return no_content()
    if open_deprovision_request(deprovision_requests_of(peering=item)) is not None:
        return deleted()
    confirm = request.headers.get(CONFIRM_CUSTOMERS, "").strip().lower() == "true"
    with api_write(request, paths={"confirm_customers": CONFIRM_CUSTOMERS}):
        deprovision_request(
            user=request.user,
            peering=item,
            reason=f"Deleted through the API with token '{request.api_token.name}'.",
            confirm_customers=confirm,
        )
    return deleted()
