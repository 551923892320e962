"""`registered_asns` and `registered_prefixes` of a peering."""

from functools import partial

from django.http import HttpRequest
from ninja import Router

from peering.api import representations as rep
from peering.api.audit import api_write
from peering.api.body import parse_body
from peering.api.lookups import arm_delete, arm_saved
from peering.api.paging import arm_page
from peering.api.routing import RG, arm, arm_json
from peering.api.schemas import REGISTERED_PATHS, RegisteredAsnBody, RegisteredPrefixBody
from peering.selectors.peerings import peering_for_user
from peering.selectors.registered import (
    registered_asn_of,
    registered_asns_of,
    registered_prefix_of,
    registered_prefixes_of,
)
from peering.services import registered as services
from portal.selectors import resource_at_path

router = Router(tags=["Registered ASNs and prefixes"])

PEERING = f"{RG}/peerings/{{peering_name}}"
ASN = f"{PEERING}/registeredAsns/{{name}}"
PREFIX = f"{PEERING}/registeredPrefixes/{{name}}"


_peering = partial(resource_at_path, peering_for_user)


def _with_peering(peering):
    def serialize(item):
        item.peering = peering
        return item

    return serialize


@arm(
    router,
    "GET",
    f"{PEERING}/registeredAsns",
    operation_id="RegisteredAsns_ListByPeering",
    summary="List a peering's registered ASNs",
)
def registered_asns_list(
    request: HttpRequest, subscription_id: str, resource_group: str, peering_name: str
):
    """Customer ASNs registered on a route-server peering, each with its prefix key."""
    peering = _peering(request, subscription_id, resource_group, peering_name)
    attach = _with_peering(peering)
    rows = registered_asns_of(peering=peering)
    return arm_json(arm_page(request, rows, lambda r: rep.registered_asn(attach(r))))


@arm(router, "GET", ASN, operation_id="RegisteredAsns_Get", summary="Get a registered ASN")
def registered_asn_get(
    request: HttpRequest, subscription_id: str, resource_group: str, peering_name: str, name: str
):
    """One registered ASN and its prefix key."""
    peering = _peering(request, subscription_id, resource_group, peering_name)
    return arm_json(rep.registered_asn(registered_asn_of(peering=peering, name=name)))


@arm(
    router,
    "GET",
    f"{PEERING}/registeredPrefixes",
    operation_id="RegisteredPrefixes_ListByPeering",
    summary="List a peering's registered prefixes",
)
def registered_prefixes_list(
    request: HttpRequest, subscription_id: str, resource_group: str, peering_name: str
):
    """Prefixes registered on a Direct Peering Service peering, with validation state."""
    peering = _peering(request, subscription_id, resource_group, peering_name)
    attach = _with_peering(peering)
    rows = registered_prefixes_of(peering=peering)
    return arm_json(arm_page(request, rows, lambda r: rep.registered_prefix(attach(r))))


@arm(
    router, "GET", PREFIX, operation_id="RegisteredPrefixes_Get", summary="Get a registered prefix"
)
def registered_prefix_get(
    request: HttpRequest, subscription_id: str, resource_group: str, peering_name: str, name: str
):
    """One registered prefix with its validation state and prefix key."""
    peering = _peering(request, subscription_id, resource_group, peering_name)
    return arm_json(rep.registered_prefix(registered_prefix_of(peering=peering, name=name)))


@arm(router, "DELETE", ASN, operation_id="RegisteredAsns_Delete", summary="Delete a registered ASN")
def registered_asn_delete(
    request: HttpRequest, subscription_id: str, resource_group: str, peering_name: str, name: str
):
    """200 when removed (customer prefixes using its key are validated again), 204 when absent."""
    peering = _peering(request, subscription_id, resource_group, peering_name, write=True)
    return arm_delete(
        request,
        lambda: registered_asn_of(peering=peering, name=name),
        lambda item: services.registered_asn_delete(user=request.user, registered=item),
        paths=REGISTERED_PATHS,
    )


@arm(
    router,
    "DELETE",
    PREFIX,
    operation_id="RegisteredPrefixes_Delete",
    summary="Delete a registered prefix",
)
def registered_prefix_delete(
    request: HttpRequest, subscription_id: str, resource_group: str, peering_name: str, name: str
):
    """200 when removed, 204 when absent."""
    peering = _peering(request, subscription_id, resource_group, peering_name, write=True)
    return arm_delete(
        request,
        lambda: registered_prefix_of(peering=peering, name=name),
        lambda item: services.registered_prefix_delete(user=request.user, registered=item),
        paths=REGISTERED_PATHS,
    )


@arm(
    router,
    "POST",
    f"{PREFIX}/validate",
    operation_id="RegisteredPrefixes_Validate",
    summary="Validate a registered prefix again",
)
def registered_prefix_validate(
    request: HttpRequest, subscription_id: str, resource_group: str, peering_name: str, name: str
):
    """Queues the prefix's validation again and answers it (state Pending until it has run)."""
    peering = _peering(request, subscription_id, resource_group, peering_name, write=True)
    item = registered_prefix_of(peering=peering, name=name)
    with api_write(request, paths=REGISTERED_PATHS):
        services.registered_prefix_revalidate(user=request.user, registered=item)
    return arm_json(rep.registered_prefix(registered_prefix_of(peering=peering, name=name)))


@arm(
    router,
    "PUT",
    ASN,
    body=RegisteredAsnBody,
    operation_id="RegisteredAsns_CreateOrUpdate",
    summary="Register a customer ASN",
)
def registered_asn_put(
    request: HttpRequest, subscription_id: str, resource_group: str, peering_name: str, name: str
):
    """201 with its new prefix key; 200 when the same ASN is sent again (its number cannot
    change: delete and register the new one)."""
    peering = _peering(request, subscription_id, resource_group, peering_name, write=True)
    body = parse_body(request, RegisteredAsnBody)
    with api_write(request, paths=REGISTERED_PATHS):
        item, created = services.registered_asn_create_or_update(
            user=request.user, peering=peering, data=body.contract(name=name)
        )
    item = registered_asn_of(peering=peering, name=item.name)
    return arm_saved(rep.registered_asn(item), created=created)


@arm(
    router,
    "PUT",
    PREFIX,
    body=RegisteredPrefixBody,
    operation_id="RegisteredPrefixes_CreateOrUpdate",
    summary="Register a prefix",
)
def registered_prefix_put(
    request: HttpRequest, subscription_id: str, resource_group: str, peering_name: str, name: str
):
    """201 (validation Pending) with its prefix key; 200 when sent again unchanged (a
    registered prefix cannot change)."""
    peering = _peering(request, subscription_id, resource_group, peering_name, write=True)
    body = parse_body(request, RegisteredPrefixBody)
    with api_write(request, paths=REGISTERED_PATHS):
        item, created = services.registered_prefix_create_or_update(
            user=request.user, peering=peering, data=body.contract(name=name)
        )
    item = registered_prefix_of(peering=peering, name=item.name)
    return arm_saved(rep.registered_prefix(item), created=created)
