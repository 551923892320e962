"""`peerings` and `received_routes`: a subscription's peerings and the routes Microsoft receives."""

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Query, Router

from peering.api import representations as rep
from peering.api.paging import arm_page
from peering.api.routing import RG, SUB, arm, arm_json
from peering.models import PeeringConnection
from peering.selectors.peerings import peering_for_user, peerings_for_user
from peering.selectors.registered import PREFIX_EXACT, RouteFilters, received_routes_of
from portal.selectors import resource_group_for_user, subscription_for_user

router = Router(tags=["Peerings"])

PATH = f"{RG}/peerings/{{name}}"

_CONNECTIONS = Prefetch(
    "connections",
    queryset=PeeringConnection.objects.select_related("direct_facility", "exchange").order_by("id"),
)


def _listed(qs):
    return (
        qs.select_related("region")
        .prefetch_related(_CONNECTIONS)
        .order_by("resource_group__name", "name", "pk")
    )


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
    rows = _listed(
        peerings_for_user(
            user=request.user, subscription=group.subscription, resource_group=group.name
        )
    )
    return arm_json(arm_page(request, rows, rep.peering))


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
    rows = _listed(peerings_for_user(user=request.user, subscription=subscription))
    return arm_json(arm_page(request, rows, rep.peering))


@arm(router, "GET", PATH, operation_id="Peerings_Get", summary="Get a peering")
def peering_get(request: HttpRequest, subscription_id: str, resource_group: str, name: str):
    """One peering with its connections and their BGP sessions."""
    item = peering_for_user(
        user=request.user, subscription_id=subscription_id, resource_group=resource_group, name=name
    )
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
    item = peering_for_user(
        user=request.user, subscription_id=subscription_id, resource_group=resource_group, name=name
    )
    filters = RouteFilters(
        prefix=prefix or "",
        prefix_match=PREFIX_EXACT,
        as_path=as_path or "",
        origin_as_validation_state=origin_as_validation_state or "",
        rpki_validation_state=rpki_validation_state or "",
    )
    rows = received_routes_of(peering=item, filters=filters)
    return arm_json(arm_page(request, rows, rep.received_route))
