"""`peerings` and `received_routes`: a subscription's peerings and the routes Microsoft receives."""

from django.http import Http404
from ninja import Query, Router

from peering.api import representations as rep
from peering.api.audit import api_write
from peering.api.resource_type import Call, ResourceType, in_subscription, operation
from peering.api.routing import RG, SUB, deleted, no_content
from peering.api.schemas import PeeringBody, peering_paths
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
from portal.selectors import resource_group_for_user

router = Router(tags=["Peerings"])

PATH = f"{RG}/peerings/{{name}}"


def _keys(qs):
    """The list's order on narrow rows: the page's keys only (`_read_listed` reads them)."""
    return qs.order_by("resource_group__name", "name", "pk").values_list("pk", flat=True)


def _read_listed(keys: list[int]) -> list[rep.Values]:
    """The page's peerings with their connections as plain values, in the keys' order."""
    return [
        rep.listed_peering(row, connections)
        for row, connections in peerings_as_values(keys=keys, columns=rep.LISTED_PEERING_COLUMNS)
    ]


def _in_group(call: Call, subscription):
    """The peerings of the call's resource group (404 when the group does not exist)."""
    group = resource_group_for_user(
        user=call.user, subscription_id=subscription.pk, name=call.path.resource_group
    )
    return peerings_for_user(
        user=call.user, subscription=group.subscription, resource_group=group.name
    )


PEERINGS = ResourceType(router, PATH, "Peerings", rep.peering, peering_for_user)

PEERINGS.list(
    f"{RG}/peerings",
    "Peerings_ListByResourceGroup",
    "List the peerings of a resource group",
    "Peerings in one resource group (404 when the group does not exist).",
    rows=lambda call, subscription: _keys(_in_group(call, subscription)),
    read=_read_listed,
)
PEERINGS.list(
    f"{SUB}/peerings",
    "Peerings_ListBySubscription",
    "List the subscription's peerings",
    "Every peering of the subscription, by resource group and name.",
    rows=lambda call, subscription: _keys(
        peerings_for_user(user=call.user, subscription=subscription)
    ),
    read=_read_listed,
)
PEERINGS.get("Get a peering", "One peering with its connections and their BGP sessions.")


def _route_filters(
    prefix: str | None = Query(None, max_length=64),
    as_path: str | None = Query(None, alias="asPath", max_length=512),
    origin_as_validation_state: str | None = Query(
        None, alias="originAsValidationState", max_length=32
    ),
    rpki_validation_state: str | None = Query(None, alias="rpkiValidationState", max_length=32),
) -> RouteFilters:
    return RouteFilters(
        prefix=prefix or "",
        prefix_match=PREFIX_EXACT,
        as_path=as_path or "",
        origin_as_validation_state=origin_as_validation_state or "",
        rpki_validation_state=rpki_validation_state or "",
    )


PEERINGS.list(
    f"{PATH}/receivedRoutes",
    "ReceivedRoutes_ListByPeering",
    "List the routes Microsoft receives on a peering",
    "Filter by exact prefix, a run of ASNs in the AS path, and the validation states; pages "
    "continue with `$skipToken`.",
    options=_route_filters,
    rows=lambda call, subscription: received_routes_of(
        peering=PEERINGS.child(call, subscription), filters=call.options
    ),
    serialize=lambda row, subscription, call: rep.received_route(row),
)
PEERINGS.put(
    PeeringBody,
    "Create or update a peering",
    "201 when created (connections PendingApproval), 200 when an existing peering was "
    "updated: its connections are matched by `connectionIdentifier` and added, changed or "
    "removed by the portal's own rules; tags are replaced.",
    save=peering_create_or_update,
    paths=peering_paths,
)
PEERINGS.patch_tags(
    "Update a peering's tags",
    "Replaces the tags (the only property PATCH changes).",
    update=lambda user, item, tags: peering_tags_update(user=user, peering=item, tags=tags),
    paths={"tags": "tags"},
)


CONFIRM_CUSTOMERS = "x-peering-confirm-customers"


def _deprovision(call: Call):
    subscription = in_subscription(call, True)
    try:
        item = PEERINGS.child(call, subscription)
    except Http404:
        return no_content()
    if open_deprovision_request(deprovision_requests_of(peering=item)) is not None:
        return deleted()
    confirm = call.request.headers.get(CONFIRM_CUSTOMERS, "").strip().lower() == "true"
    with api_write(call.request, paths={"confirm_customers": CONFIRM_CUSTOMERS}):
        deprovision_request(
            user=call.user,
            peering=item,
            reason=f"Deleted through the API with token '{call.request.api_token.name}'.",
            confirm_customers=confirm,
        )
    return deleted()


operation(
    router,
    "DELETE",
    PATH,
    operation_id="Peerings_Delete",
    summary="Request the peering's deprovisioning",
    doc="Opens the tracked deprovisioning request Microsoft acts on (the peering stays until "
    "Microsoft removes it): 200; 200 again while that request is open; 204 when there is no such "
    "peering. If customers use its registered ASNs, send the header "
    "`x-peering-confirm-customers: true` to confirm cutting them off (409 otherwise).",
    run=_deprovision,
)
