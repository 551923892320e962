"""`registered_asns` and `registered_prefixes` of a peering."""

from ninja import Router

from peering.api import representations as rep
from peering.api.audit import api_write
from peering.api.resource_type import Call, ResourceType, operation
from peering.api.routers.peerings import PEERINGS
from peering.api.routing import arm_json
from peering.api.schemas import REGISTERED_PATHS, RegisteredAsnBody, RegisteredPrefixBody
from peering.selectors.registered import (
    registered_asn_of,
    registered_asns_of,
    registered_prefix_of,
    registered_prefixes_of,
)
from peering.services import registered as services

router = Router(tags=["Registered ASNs and prefixes"])

# A peering's path, its name as `peering_name` (the registered resource's own is `name`).
PEERING = PEERINGS.path.replace("{name}", "{peering_name}")


def _registered(operations: str, collection: str, represent, find) -> ResourceType:
    """A peering's registered ASNs or prefixes (`collection`)."""
    return ResourceType(
        router,
        f"{PEERING}/{collection}/{{name}}",
        operations,
        represent,
        find,
        under=PEERINGS,
        keyword="peering",
        paths=REGISTERED_PATHS,
    )


ASNS = _registered("RegisteredAsns", "registeredAsns", rep.registered_asn, registered_asn_of)
PREFIXES = _registered(
    "RegisteredPrefixes", "registeredPrefixes", rep.registered_prefix, registered_prefix_of
)

ASNS.list_children(
    "RegisteredAsns_ListByPeering",
    "List a peering's registered ASNs",
    "Customer ASNs registered on a route-server peering, each with its prefix key.",
    rows=registered_asns_of,
    field="peering",
)
ASNS.get("Get a registered ASN", "One registered ASN and its prefix key.")
PREFIXES.list_children(
    "RegisteredPrefixes_ListByPeering",
    "List a peering's registered prefixes",
    "Prefixes registered on a Direct Peering Service peering, with validation state.",
    rows=registered_prefixes_of,
    field="peering",
)
PREFIXES.get(
    "Get a registered prefix", "One registered prefix with its validation state and prefix key."
)
ASNS.delete(
    "Delete a registered ASN",
    "200 when removed (customer prefixes using its key are validated again), 204 when absent.",
    delete=lambda user, item: services.registered_asn_delete(user=user, registered=item),
)
PREFIXES.delete(
    "Delete a registered prefix",
    "200 when removed, 204 when absent.",
    delete=lambda user, item: services.registered_prefix_delete(user=user, registered=item),
)


def _revalidate(call: Call):
    peering = PREFIXES.parent(call, True)
    item = PREFIXES.child(call, peering)
    with api_write(call.request, paths=REGISTERED_PATHS):
        services.registered_prefix_revalidate(user=call.user, registered=item)
    return arm_json(PREFIXES.represent(PREFIXES.child(call, peering)))


operation(
    router,
    "POST",
    f"{PREFIXES.path}/validate",
    operation_id="RegisteredPrefixes_Validate",
    summary="Validate a registered prefix again",
    doc="Queues the prefix's validation again and answers it (state Pending until it has run).",
    run=_revalidate,
)
ASNS.put(
    RegisteredAsnBody,
    "Register a customer ASN",
    "201 with its new prefix key; 200 when the same ASN is sent again (its number cannot change: "
    "delete and register the new one).",
    save=services.registered_asn_create_or_update,
)
PREFIXES.put(
    RegisteredPrefixBody,
    "Register a prefix",
    "201 (validation Pending) with its prefix key; 200 when sent again unchanged (a registered "
    "prefix cannot change).",
    save=services.registered_prefix_create_or_update,
)
