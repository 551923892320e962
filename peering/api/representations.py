"""Model → ARM JSON, with `id`, `name` and `type` exactly as Azure prints them.

Pure functions of already-read objects (the selectors join and prefetch what they need), so a
list page costs the same queries for 1 row or 50.
"""

from __future__ import annotations

from peering import models
from portal.models import ResourceGroup, Subscription

PROVIDER = "/providers/Microsoft.Peering"


class Values:
    """A row read as plain values (`QuerySet.values()`), its columns as attributes under the
    names the representations read — a list page's 50 peerings and 200 connections cost more
    as model instances than everything else of the list."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


class _Creator:
    """Who created a row read as values: answers like the user's `get_username`."""

    def __init__(self, username: str):
        self.username = username

    def get_username(self) -> str:
        return self.username


def _time(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _system_data(obj, *, modified=None) -> dict:
    creator = getattr(obj, "created_by", None)
    data = {"createdAt": _time(obj.created_at), "lastModifiedAt": _time(modified or obj.created_at)}
    if creator is not None:
        data.update(
            createdBy=creator.get_username(),
            createdByType="User",
            lastModifiedBy=creator.get_username(),
            lastModifiedByType="User",
        )
    return data


def _drop_none(data: dict) -> dict:
    return {key: value for key, value in data.items() if value is not None}


def _resource(item, arm_type: str, properties: dict, *, modified=None, **top) -> dict:
    """The envelope of a Microsoft.Peering resource: id, name, type, then `top` (location,
    kind, sku, tags) in the order given, its properties (with the item's `errorMessage` when it
    has one) and systemData (last modified at `modified`, else when created)."""
    if getattr(item, "error_message", ""):
        properties["errorMessage"] = item.error_message
    return {
        "id": item.resource_id,
        "name": item.name,
        "type": f"Microsoft.Peering/{arm_type}",
        **top,
        "properties": properties,
        "systemData": _system_data(item, modified=modified),
    }


# --- Peer ASNs --------------------------------------------------------------------------------


def peer_asn(item: models.PeerAsn) -> dict:
    properties = {
        "peerAsn": item.peer_asn,
        "peerContactDetail": [
            {"role": c.role, "email": c.email, "phone": c.phone} for c in item.contacts.all()
        ],
        "peerName": item.peer_name,
        "validationState": item.validation_state,
    }
    return _resource(item, "peerAsns", properties, modified=item.decided_at)


# --- Peerings ---------------------------------------------------------------------------------


def _sku(name: str) -> dict:
    tier, family, size = (name.split("_") + ["", "", ""])[:3]
    return {"name": name, "tier": tier, "family": family, "size": size}


def _bgp_session(c: models.PeeringConnection) -> dict:
    return _drop_none(
        {
            "sessionPrefixV4": c.session_prefix_v4 or None,
            "sessionPrefixV6": c.session_prefix_v6 or None,
            "microsoftSessionIPv4Address": c.microsoft_session_ipv4_address,
            "microsoftSessionIPv6Address": c.microsoft_session_ipv6_address,
            "peerSessionIPv4Address": c.peer_session_ipv4_address,
            "peerSessionIPv6Address": c.peer_session_ipv6_address,
            "sessionStateV4": c.session_state_v4,
            "sessionStateV6": c.session_state_v6,
            "maxPrefixesAdvertisedV4": c.max_prefixes_advertised_v4,
            "maxPrefixesAdvertisedV6": c.max_prefixes_advertised_v6,
        }
    )


def _place_id(c: models.PeeringConnection, annotated: str, relation: str, field: str):
    """The connection's place's PeeringDB id: annotated on a list's rows (no place object
    read per connection), or read from the joined place."""
    if annotated in c.__dict__:
        return c.__dict__[annotated]
    place = getattr(c, relation)
    return getattr(place, field) if place else None


def _connection(c: models.PeeringConnection, **kind_fields) -> dict:
    """A connection as ARM shows it: the fields of its kind (Direct or Exchange) first, then
    what every connection has."""
    return _drop_none(
        {
            **kind_fields,
            "connectionState": c.connection_state,
            "bgpSession": _bgp_session(c),
            "connectionIdentifier": str(c.connection_identifier),
            "errorMessage": c.error_message or None,
        }
    )


def _direct_connection(c: models.PeeringConnection) -> dict:
    return _connection(
        c,
        bandwidthInMbps=c.bandwidth_mbps,
        provisionedBandwidthInMbps=c.provisioned_bandwidth_mbps,
        sessionAddressProvider=c.session_address_provider or None,
        useForPeeringService=c.use_for_peering_service,
        microsoftTrackingId=c.microsoft_tracking_id or None,
        peeringDBFacilityId=_place_id(
            c, "facility_peeringdb_id", "direct_facility", "peeringdb_facility_id"
        ),
    )


def _exchange_connection(c: models.PeeringConnection) -> dict:
    return _connection(
        c, peeringDBFacilityId=_place_id(c, "exchange_peeringdb_id", "exchange", "peeringdb_ix_id")
    )


def peering(item: models.Peering) -> dict:
    connections = list(item.connections.all())
    peer_asn_ref = {"id": item.peer_asn.resource_id}
    properties: dict = {"peeringLocation": item.peering_location.name}
    if item.kind == "Direct":
        properties["direct"] = {
            "connections": [_direct_connection(c) for c in connections],
            "useForPeeringService": any(c.use_for_peering_service for c in connections),
            "peerAsn": peer_asn_ref,
            "directPeeringType": item.direct_peering_type or None,
        }
    else:
        properties["exchange"] = {
            "connections": [_exchange_connection(c) for c in connections],
            "peerAsn": peer_asn_ref,
        }
    properties["connectivityProbes"] = []
    properties["provisioningState"] = item.provisioning_state
    return _resource(
        item,
        "peerings",
        properties,
        location=item.region.name,
        kind=item.kind,
        sku=_sku(item.sku_name),
        tags=item.tags or {},
    )


class _Related(list):
    """A related set read as values: `.all()` answers as a manager would."""

    def all(self):
        return self


# The columns `peering` reads of a listed peering (`listed_peering` shapes them).
LISTED_PEERING_COLUMNS = (
    "id",
    "name",
    "created_at",
    "tags",
    "kind",
    "sku_name",
    "direct_peering_type",
    "provisioning_state",
    "subscription_id",
    "resource_group__name",
    "region__name",
    "peering_location__name",
    "peer_asn__name",
    "peer_asn__subscription_id",
    "created_by__username",
)


def listed_peering(row: dict, connections: list[dict]) -> Values:
    """A peering read as values (`peerings` list's columns) shaped as `peering` reads it: its
    resource ids from the models' own `resource_id`, so the format has one home."""
    item = Values(row)
    item.resource_group = Values({"name": row["resource_group__name"]})
    item.ARM_TYPE = models.Peering.ARM_TYPE
    item.resource_id = models.Peering.resource_id.fget(item)
    peer_asn = Values(
        {"name": row["peer_asn__name"], "subscription_id": row["peer_asn__subscription_id"]}
    )
    peer_asn.resource_id = models.PeerAsn.resource_id.fget(peer_asn)
    item.peer_asn = peer_asn
    item.region = Values({"name": row["region__name"]})
    item.peering_location = Values({"name": row["peering_location__name"]})
    username = row["created_by__username"]
    item.created_by = _Creator(username) if username is not None else None
    item.connections = _Related(Values(c) for c in connections)
    return item


def registered_asn(item: models.RegisteredAsn) -> dict:
    properties = {
        "asn": item.asn,
        "peeringServicePrefixKey": str(item.prefix_key),
        "provisioningState": "Succeeded",
    }
    return _resource(item, "peerings/registeredAsns", properties, modified=item.key_rotated_at)


def registered_prefix(item: models.RegisteredPrefix) -> dict:
    properties = {
        "prefix": item.prefix,
        "prefixValidationState": item.validation_state,
        "peeringServicePrefixKey": str(item.prefix_key),
        "provisioningState": "Succeeded",
    }
    return _resource(item, "peerings/registeredPrefixes", properties, modified=item.validated_at)


def received_route(item: models.ReceivedRoute) -> dict:
    return {
        "prefix": item.prefix,
        "nextHop": item.next_hop,
        "asPath": item.as_path,
        "originAsValidationState": item.origin_as_validation_state,
        "rpkiValidationState": item.rpki_validation_state,
        "trustAnchor": item.trust_anchor,
        "receivedTimestamp": item.received_at.strftime("%Y-%m-%d %H:%M:%S"),
    }


# --- Peering Service --------------------------------------------------------------------------


def peering_service(item: models.PeeringService) -> dict:
    properties = _drop_none(
        {
            "peeringServiceLocation": item.location.state,
            "peeringServiceProvider": item.provider.name,
            "provisioningState": item.provisioning_state,
            "providerPrimaryPeeringLocation": item.primary_location or None,
            "providerBackupPeeringLocation": item.backup_location or None,
        }
    )
    return _resource(
        item, "peeringServices", properties, location=item.region.name, tags=item.tags or {}
    )


def prefix_event(event: models.PrefixEvent) -> dict:
    return {
        "eventTimestamp": _time(event.timestamp),
        "eventType": event.event_type,
        "eventSummary": event.summary,
        "eventLevel": event.event_level,
        "eventDescription": event.description,
    }


def service_prefix(
    item: models.PeeringServicePrefix, *, events: list[models.PrefixEvent] | None = None
) -> dict:
    properties = {
        "prefix": item.prefix,
        "prefixValidationState": item.validation_state,
        "learnedType": item.learned_type,
        "provisioningState": "Succeeded",
    }
    data = _resource(item, "peeringServices/prefixes", properties, modified=item.validated_at)
    if events is not None:
        properties["events"] = [prefix_event(e) for e in events]
    return data


# --- Reference data (subscription-scoped lists) ---------------------------------------------


def _listed(subscription: Subscription, arm_type: str, name: str, /, **fields) -> dict:
    """A subscription-scoped reference row (a peering location, a legacy peering, a Peering
    Service country, location or provider): id, name and type, then `fields` in order."""
    return {
        "id": f"/subscriptions/{subscription.pk}{PROVIDER}/{arm_type}/{name}",
        "name": name,
        "type": f"Microsoft.Peering/{arm_type}",
        **fields,
    }


def _direct_facilities(
    facilities: list[models.DirectFacility], direct_peering_type: str = ""
) -> list[dict]:
    rows = []
    for facility in facilities:
        for kind in facility.direct_peering_types or []:
            if direct_peering_type and kind != direct_peering_type:
                continue
            rows.append(
                _drop_none(
                    {
                        "address": facility.address or facility.name,
                        "directPeeringType": kind,
                        "peeringDBFacilityId": facility.peeringdb_facility_id,
                        "peeringDBFacilityLink": facility.peeringdb_link or None,
                    }
                )
            )
    return rows


def _bandwidth_offers(facilities: list[models.DirectFacility]) -> list[dict]:
    values = sorted({int(v) for f in facilities for v in (f.bandwidth_offers_mbps or [])})
    return [{"offerName": f"{v // 1000}Gbps", "valueInMbps": v} for v in values]


def _exchange_facility(exchange: models.Exchange) -> dict:
    return _drop_none(
        {
            "exchangeName": exchange.name,
            "microsoftIPv4Address": exchange.microsoft_ipv4_address,
            "microsoftIPv6Address": exchange.microsoft_ipv6_address,
            "facilityIPv4Prefix": exchange.ipv4_prefix or None,
            "facilityIPv6Prefix": exchange.ipv6_prefix or None,
            "peeringDBFacilityId": exchange.peeringdb_ix_id,
            "peeringDBFacilityLink": exchange.peeringdb_link or None,
        }
    )


def peering_location(
    item: models.PeeringLocation,
    *,
    subscription: Subscription,
    kind: str,
    direct_peering_type: str = "",
) -> dict:
    properties: dict = {
        "peeringLocation": item.name,
        "country": item.country,
        "azureRegion": item.azure_region.name if item.azure_region else None,
    }
    if kind == "Direct":
        facilities = list(item.direct_facilities.all())
        properties["direct"] = {
            "peeringFacilities": _direct_facilities(facilities, direct_peering_type),
            "bandwidthOffers": _bandwidth_offers(facilities),
        }
    else:
        properties["exchange"] = {
            "peeringFacilities": [_exchange_facility(x) for x in item.exchanges.all()]
        }
    return _listed(
        subscription,
        "peeringLocations",
        item.name,
        kind=kind,
        properties=_drop_none(properties),
    )


def legacy_peering(item: models.LegacyPeering, *, subscription: Subscription) -> dict:
    session = _drop_none(
        {
            "peerSessionIPv4Address": item.peer_session_ipv4_address,
            "peerSessionIPv6Address": item.peer_session_ipv6_address,
            "microsoftSessionIPv4Address": item.microsoft_session_ipv4_address,
            "microsoftSessionIPv6Address": item.microsoft_session_ipv6_address,
            "maxPrefixesAdvertisedV4": item.max_prefixes_advertised_v4,
            "maxPrefixesAdvertisedV6": item.max_prefixes_advertised_v6,
        }
    )
    if item.exchange_id:
        connection = {"peeringDBFacilityId": item.exchange.peeringdb_ix_id, "bgpSession": session}
        properties = {"exchange": {"connections": [_drop_none(connection)]}}
        kind, sku = "Exchange", "Basic_Exchange_Free"
    else:
        connection = {
            "peeringDBFacilityId": item.direct_facility.peeringdb_facility_id,
            "bandwidthInMbps": item.bandwidth_mbps,
            "bgpSession": session,
        }
        properties = {"direct": {"connections": [_drop_none(connection)]}}
        kind, sku = "Direct", "Basic_Direct_Free"
    properties["peeringLocation"] = item.peering_location.name
    name = f"legacy-{item.pk}"
    return _listed(
        subscription,
        "legacyPeerings",
        name,
        kind=kind,
        sku=_sku(sku),
        location=(
            item.peering_location.azure_region.name if item.peering_location.azure_region else ""
        ),
        properties=properties,
    )


def service_country(country: str, *, subscription: Subscription) -> dict:
    return _listed(subscription, "peeringServiceCountries", country)


def service_location(item: models.PeeringServiceLocation, *, subscription: Subscription) -> dict:
    return _listed(
        subscription,
        "peeringServiceLocations",
        item.state,
        properties={
            "country": item.country,
            "state": item.state,
            "azureRegion": item.azure_region.name if item.azure_region else "",
        },
    )


def service_provider(item: models.PeeringServiceProvider, *, subscription: Subscription) -> dict:
    return _listed(
        subscription,
        "peeringServiceProviders",
        item.name,
        properties={
            "serviceProviderName": item.name,
            "peeringLocations": [loc.name for loc in item.peering_locations.all()],
        },
    )


# --- Microsoft.Resources ----------------------------------------------------------------------


def subscription(item: Subscription) -> dict:
    return {
        "id": item.resource_id,
        "subscriptionId": str(item.pk),
        "displayName": item.display_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "spendingLimit": "Off",
        },
        "authorizationSource": "RoleBased",
    }


def resource_group(item: ResourceGroup) -> dict:
    return {
        "id": item.resource_id,
        "name": item.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": item.region.name,
        "tags": item.tags or {},
        "properties": {"provisioningState": "Succeeded"},
    }
