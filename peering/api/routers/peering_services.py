"""`peering_services` and `prefixes`: the customer's Peering Services and their prefixes."""

from django.db.models import Prefetch
from ninja import Query, Router

from peering.api import representations as rep
from peering.api.errors import ArmError
from peering.api.resource_type import Call, ResourceType
from peering.api.routing import RG, SUB
from peering.api.schemas import PEERING_SERVICE_PATHS, PREFIX_PATHS, PeeringServiceBody, PrefixBody
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
from portal.selectors import resource_group_for_user

router = Router(tags=["Peering Services"])

SERVICE = f"{RG}/peeringServices/{{service_name}}"


def _expand_events(expand: str | None = Query(None, alias="$expand", max_length=32)) -> bool:
    """Whether `$expand=events` asks for each prefix's events (the only expansion)."""
    if not expand:
        return False
    if expand.strip().lower() == "events":
        return True
    raise ArmError(400, "InvalidParameter", "$expand accepts only 'events'.", target="$expand")


def _in_group(call: Call, subscription):
    """The Peering Services of the call's resource group (404 when the group does not exist)."""
    group = resource_group_for_user(
        user=call.user, subscription_id=subscription.pk, name=call.path.resource_group
    )
    return peering_services_for_user(user=call.user, subscription=group.subscription).filter(
        resource_group=group
    )


def _prefix(item, call: Call) -> dict:
    """A prefix, with its events (newest first) when the call expands them."""
    events = list(prefix_events(prefix=item)) if call.options else None
    return rep.service_prefix(item, events=events)


def _listed_prefix(item, service, call: Call) -> dict:
    item.peering_service = service
    return rep.service_prefix(item, events=list(item.events.all()) if call.options else None)


def _prefixes(call: Call, service):
    rows = prefixes_of(service=service)
    if call.options:
        rows = rows.prefetch_related(
            Prefetch("events", queryset=PrefixEvent.objects.order_by("-timestamp", "-id"))
        )
    return rows


SERVICES = ResourceType(
    router,
    f"{RG}/peeringServices/{{name}}",
    "PeeringServices",
    rep.peering_service,
    peering_service_for_user,
    paths=PEERING_SERVICE_PATHS,
)
PREFIXES = ResourceType(
    router,
    f"{SERVICE}/prefixes/{{name}}",
    "Prefixes",
    rep.service_prefix,
    prefix_of,
    under=SERVICES,
    keyword="service",
    paths=PREFIX_PATHS,
)

SERVICES.list(
    f"{RG}/peeringServices",
    "PeeringServices_ListByResourceGroup",
    "List the Peering Services of a resource group",
    "Peering Services in one resource group (404 when the group does not exist).",
    rows=_in_group,
)
SERVICES.list(
    f"{SUB}/peeringServices",
    "PeeringServices_ListBySubscription",
    "List the subscription's Peering Services",
    "Every Peering Service of the subscription.",
    rows=lambda call, subscription: peering_services_for_user(
        user=call.user, subscription=subscription
    ),
)
SERVICES.get(
    "Get a Peering Service",
    "One Peering Service: customer location, provider and its peering locations.",
)
PREFIXES.list(
    f"{SERVICE}/prefixes",
    "Prefixes_ListByPeeringService",
    "List a Peering Service's prefixes",
    "Prefixes with validation state and learned type; `$expand=events` adds their events.",
    options=_expand_events,
    rows=_prefixes,
    serialize=_listed_prefix,
)
PREFIXES.get(
    "Get a Peering Service prefix",
    "One prefix; `$expand=events` adds what happened to its routes, newest first.",
    options=_expand_events,
    show=_prefix,
)
SERVICES.delete(
    "Delete a Peering Service",
    "200 when removed with its prefixes, 204 when absent.",
    # An ARM DELETE is its own confirmation (the portal asks the person to type "yes").
    delete=lambda user, item: services.peering_service_delete(
        user=user, service=item, confirm="yes"
    ),
)
PREFIXES.delete(
    "Delete a Peering Service prefix",
    "200 when removed, 204 when absent.",
    delete=lambda user, item: services.peering_service_prefix_delete(user=user, prefix=item),
)
SERVICES.put(
    PeeringServiceBody,
    "Create or update a Peering Service",
    "201 when created; 200 when updated (only the tags change: location, provider and its "
    "peering locations are Microsoft's to change on request).",
    save=services.peering_service_create_or_update,
)
SERVICES.patch_tags(
    "Update a Peering Service's tags",
    "Replaces the tags (the only property PATCH changes).",
    update=lambda user, item, tags: services.peering_service_update(
        user=user, service=item, data=PeeringServiceInput(name=item.name, tags=tags)
    ),
)
PREFIXES.put(
    PrefixBody,
    "Add a prefix to a Peering Service",
    "201 with validation Pending (the key and routes are checked in the background; read it "
    "with `$expand=events`); 200 when sent again unchanged (prefixes cannot be modified).",
    save=services.peering_service_prefix_create_or_update,
)
