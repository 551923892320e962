"""`peering_services` and `prefixes`: the customer's Peering Services and their prefixes."""

from functools import partial

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Query, Router

from peering.api import representations as rep
from peering.api.audit import api_write
from peering.api.body import parse_body
from peering.api.errors import ArmError
from peering.api.lookups import arm_delete, arm_saved, writable_group
from peering.api.paging import arm_page
from peering.api.routing import RG, SUB, arm, arm_json
from peering.api.schemas import (
    PEERING_SERVICE_PATHS,
    PREFIX_PATHS,
    PeeringServiceBody,
    PrefixBody,
    TagsBody,
)
from peering.contracts import PeeringServiceInput
from peering.models import PrefixEvent
from peering.selectors.peering_services import (
    peering_service_for_user,
    peering_services_for_user,
    prefix_events,
    prefix_of,
    prefixes_of,
)
from peering.services import peering_services as services
from portal.selectors import resource_at_path, resource_group_for_user, subscription_for_user

router = Router(tags=["Peering Services"])

PATH = f"{RG}/peeringServices/{{name}}"
SERVICE = f"{RG}/peeringServices/{{service_name}}"
PREFIX = f"{SERVICE}/prefixes/{{name}}"


_service = partial(resource_at_path, peering_service_for_user)


def _expand_events(expand: str | None) -> bool:
    if not expand:
        return False
    if expand.strip().lower() == "events":
        return True
    raise ArmError(400, "InvalidParameter", "$expand accepts only 'events'.", target="$expand")


@arm(
    router,
    "GET",
    f"{RG}/peeringServices",
    operation_id="PeeringServices_ListByResourceGroup",
    summary="List the Peering Services of a resource group",
)
def peering_services_list_by_resource_group(
    request: HttpRequest, subscription_id: str, resource_group: str
):
    """Peering Services in one resource group (404 when the group does not exist)."""
    group = resource_group_for_user(
        user=request.user, subscription_id=subscription_id, name=resource_group
    )
    rows = peering_services_for_user(user=request.user, subscription=group.subscription).filter(
        resource_group=group
    )
    return arm_json(arm_page(request, rows, rep.peering_service))


@arm(
    router,
    "GET",
    f"{SUB}/peeringServices",
    operation_id="PeeringServices_ListBySubscription",
    summary="List the subscription's Peering Services",
)
def peering_services_list_by_subscription(request: HttpRequest, subscription_id: str):
    """Every Peering Service of the subscription."""
    subscription = subscription_for_user(user=request.user, subscription_id=subscription_id)
    rows = peering_services_for_user(user=request.user, subscription=subscription)
    return arm_json(arm_page(request, rows, rep.peering_service))


@arm(router, "GET", PATH, operation_id="PeeringServices_Get", summary="Get a Peering Service")
def peering_service_get(request: HttpRequest, subscription_id: str, resource_group: str, name: str):
    """One Peering Service: customer location, provider and its peering locations."""
    item = _service(request, subscription_id, resource_group, name)
    return arm_json(rep.peering_service(item))


@arm(
    router,
    "GET",
    f"{SERVICE}/prefixes",
    operation_id="Prefixes_ListByPeeringService",
    summary="List a Peering Service's prefixes",
)
def prefixes_list(
    request: HttpRequest,
    subscription_id: str,
    resource_group: str,
    service_name: str,
    expand: str | None = Query(None, alias="$expand", max_length=32),
):
    """Prefixes with validation state and learned type; `$expand=events` adds their events."""
    with_events = _expand_events(expand)
    service = _service(request, subscription_id, resource_group, service_name)
    rows = prefixes_of(service=service)
    if with_events:
        rows = rows.prefetch_related(
            Prefetch("events", queryset=PrefixEvent.objects.order_by("-timestamp", "-id"))
        )

    def serialize(item):
        item.peering_service = service
        return rep.service_prefix(item, events=list(item.events.all()) if with_events else None)

    return arm_json(arm_page(request, rows, serialize))


@arm(router, "GET", PREFIX, operation_id="Prefixes_Get", summary="Get a Peering Service prefix")
def prefix_get(
    request: HttpRequest,
    subscription_id: str,
    resource_group: str,
    service_name: str,
    name: str,
    expand: str | None = Query(None, alias="$expand", max_length=32),
):
    """One prefix; `$expand=events` adds what happened to its routes, newest first."""
    with_events = _expand_events(expand)
    service = _service(request, subscription_id, resource_group, service_name)
    item = prefix_of(service=service, name=name)
    events = list(prefix_events(prefix=item)) if with_events else None
    return arm_json(rep.service_prefix(item, events=events))


@arm(
    router,
    "DELETE",
    PATH,
    operation_id="PeeringServices_Delete",
    summary="Delete a Peering Service",
)
def peering_service_delete(
    request: HttpRequest, subscription_id: str, resource_group: str, name: str
):
    """200 when removed with its prefixes, 204 when absent."""
    subscription = subscription_for_user(
        user=request.user, subscription_id=subscription_id, write=True
    )
    # An ARM DELETE is its own confirmation (the portal asks the person to type "yes").
    return arm_delete(
        request,
        lambda: _service(request, subscription.pk, resource_group, name, write=True),
        lambda item: services.peering_service_delete(
            user=request.user, service=item, confirm="yes"
        ),
        paths=PEERING_SERVICE_PATHS,
    )


@arm(
    router,
    "DELETE",
    PREFIX,
    operation_id="Prefixes_Delete",
    summary="Delete a Peering Service prefix",
)
def prefix_delete(
    request: HttpRequest, subscription_id: str, resource_group: str, service_name: str, name: str
):
    """200 when removed, 204 when absent."""
    service = _service(request, subscription_id, resource_group, service_name, write=True)
    return arm_delete(
        request,
        lambda: prefix_of(service=service, name=name),
        lambda item: services.peering_service_prefix_delete(user=request.user, prefix=item),
        paths=PREFIX_PATHS,
    )


@arm(
    router,
    "PUT",
    PATH,
    body=PeeringServiceBody,
    operation_id="PeeringServices_CreateOrUpdate",
    summary="Create or update a Peering Service",
)
def peering_service_put(request: HttpRequest, subscription_id: str, resource_group: str, name: str):
    """201 when created; 200 when updated (only the tags change: location, provider and its
    peering locations are Microsoft's to change on request)."""
    subscription, group = writable_group(request, subscription_id, resource_group)
    body = parse_body(request, PeeringServiceBody)
    data = body.contract(name=name, resource_group=group.name)
    with api_write(request, paths=PEERING_SERVICE_PATHS):
        item, created = services.peering_service_create_or_update(
            user=request.user, subscription=subscription, data=data
        )
    item = _service(request, subscription.pk, group.name, item.name)
    return arm_saved(rep.peering_service(item), created=created)


@arm(
    router,
    "PATCH",
    PATH,
    body=TagsBody,
    operation_id="PeeringServices_Update",
    summary="Update a Peering Service's tags",
)
def peering_service_patch(
    request: HttpRequest, subscription_id: str, resource_group: str, name: str
):
    """Replaces the tags (the only property PATCH changes)."""
    item = _service(request, subscription_id, resource_group, name, write=True)
    body = parse_body(request, TagsBody)
    with api_write(request, paths=PEERING_SERVICE_PATHS):
        services.peering_service_update(
            user=request.user,
            service=item,
            data=PeeringServiceInput(name=item.name, tags=body.tags),
        )
    item = _service(request, subscription_id, resource_group, name)
    return arm_json(rep.peering_service(item))


@arm(
    router,
    "PUT",
    PREFIX,
    body=PrefixBody,
    operation_id="Prefixes_CreateOrUpdate",
    summary="Add a prefix to a Peering Service",
)
def prefix_put(
    request: HttpRequest, subscription_id: str, resource_group: str, service_name: str, name: str
):
    """201 with validation Pending (the key and routes are checked in the background; read it
    with `$expand=events`); 200 when sent again unchanged (prefixes cannot be modified)."""
    service = _service(request, subscription_id, resource_group, service_name, write=True)
    body = parse_body(request, PrefixBody)
    with api_write(request, paths=PREFIX_PATHS):
        item, created = services.peering_service_prefix_create_or_update(
            user=request.user, service=service, data=body.contract(name=name)
        )
    item = prefix_of(service=service, name=item.name)
    return arm_saved(rep.service_prefix(item), created=created)
