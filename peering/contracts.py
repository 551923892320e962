"""The typed domain contract: what a caller hands the services to create or update a resource.

Every type speaks the API's vocabulary (Microsoft.Peering 2025-05-01, arm-api-facts.md §2):
attribute names are the API's fields in snake case, and each has the API's camelCase name as
its alias, so a JSON body parses as it is (`PeeringInput.model_validate(body)`) and
`model_dump(by_alias=True)` gives it back. Both spellings are accepted on input.

Who builds them:

- the REST API, from the request body plus the path (name, resource group);
- the portal's wizards, from their drafts (`peering.services.wizard` translates the portal's
  labels — "AS8075 with exchange route server", "Premium Free", a facility picked from a list —
  into these values; the domain services never see a portal label);
- admin, management commands and tests.

The types check shape only (a string is a string, a number a number). Every rule that can be
broken by a person — an unknown SKU, a prefix of the wrong length, a facility outside the metro
— is judged by the service, which raises `ValidationError` keyed by field with a message a
person can act on. Enumerated fields are therefore plain strings: the allowed values are those
of `peering.enums`, and a service refuses any other with a clear message instead of a type
error. Read-only fields of the API (states, provisioned bandwidth, keys Microsoft issues) are
not part of any input.

Error keys. The services key their errors the way the portal's wizard shows them (one key per
field, `connections.<i>.<field>` for a connection row). `PEERING_ERROR_FIELDS` and
`PEERING_SERVICE_ERROR_FIELDS` map each key to the input field (alias path) it is about, so
the API can name the offending field of its body.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ContractModel(BaseModel):
    """Base of every input type: immutable, camelCase aliases, unknown fields ignored.

    Unknown fields are ignored rather than refused because ARM clients send read-only fields
    back (states, ids) and fields of other API revisions; they must not break a PUT.
    """

    model_config = ConfigDict(
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        str_strip_whitespace=True,
    )


class ContactDetailInput(ContractModel):
    """One `peerContactDetail` of a Peer ASN.

    `role` is a `ContactRole` value (Noc, Policy, Technical, Service, Escalation, Other).
    """

    role: str = ""
    email: str = ""
    phone: str = ""


class PeerAsnInput(ContractModel):
    """A Peer ASN (`Microsoft.Peering/peerAsns/{name}`): the peer's ASN, its company name as in
    PeeringDB and the contacts Microsoft writes to (one NOC contact with an email is required).
    """

    name: str
    peer_asn: int | None = None
    peer_name: str = ""
    peer_contact_detail: list[ContactDetailInput] = Field(default_factory=list)


class BgpSessionInput(ContractModel):
    """The BGP session of a connection (API `bgpSession`).

    Direct, session address provider Peer: `session_prefix_v4` (/30 or /31) and optionally
    `session_prefix_v6` (/126 or /127); the addresses may be left out and are then derived
    (the first address is the peer's, the next Microsoft's). Route server (IxRs): the prefix
    and both addresses. Exchange: only the peer's addresses on the exchange LAN — the prefix
    and Microsoft's addresses come from the exchange. Session address provider Microsoft:
    no addresses at all (Microsoft allocates them), only the maximum prefixes.
    """

    session_prefix_v4: str = ""
    session_prefix_v6: str = ""
    microsoft_session_ipv4_address: str = Field(default="", alias="microsoftSessionIPv4Address")
    microsoft_session_ipv6_address: str = Field(default="", alias="microsoftSessionIPv6Address")
    peer_session_ipv4_address: str = Field(default="", alias="peerSessionIPv4Address")
    peer_session_ipv6_address: str = Field(default="", alias="peerSessionIPv6Address")
    max_prefixes_advertised_v4: int | None = Field(default=None, alias="maxPrefixesAdvertisedV4")
    max_prefixes_advertised_v6: int | None = Field(default=None, alias="maxPrefixesAdvertisedV6")
    md5_authentication_key: str = ""


class ConnectionInput(ContractModel):
    """One Direct connection (`properties.direct.connections[]`) or Exchange connection
    (`properties.exchange.connections[]`) of a peering.

    The place is named by `peering_db_facility_id` — the PeeringDB id of a Direct facility, or
    of the exchange for an Exchange connection — within the peering's `peering_location`.
    Places PeeringDB does not list are named by `facility_id` (the portal's own id of the
    facility or exchange, as the portal's lists give it); when both are given `facility_id`
    wins. `session_address_provider` (Microsoft | Peer), `bandwidth_in_mbps` (10000 … 100000 in
    steps of 10000) and `use_for_peering_service` apply to Direct connections only.

    On update, `connection_identifier` names an existing connection of the peering (the GUID
    the API returned); a connection without one is new, and an existing connection left out of
    the list is deleted.
    """

    peering_db_facility_id: int | None = Field(default=None, alias="peeringDBFacilityId")
    facility_id: int | None = None
    session_address_provider: str = ""
    bandwidth_in_mbps: int | None = None
    use_for_peering_service: bool = False
    connection_identifier: uuid.UUID | None = None
    bgp_session: BgpSessionInput = Field(default_factory=BgpSessionInput)


class PeeringInput(ContractModel):
    """A peering (`Microsoft.Peering/peerings/{name}` in a resource group).

    - `kind` Direct | Exchange, `sku_name` (Basic_Exchange_Free, Basic_Direct_Free,
      Premium_Direct_Free, …) and `direct_peering_type` (Edge, IxRs, Voice; empty for
      Exchange) together choose what is created; the service refuses combinations Microsoft
      does not offer (e.g. Premium_Direct_Free with Edge needs a signed Peering Service
      agreement).
    - `location` is the Azure region; with an existing resource group it may be left empty
      and the group's region is used.
    - `create_resource_group` creates `resource_group` (in `location`) with the peering, as
      the portal's inline "Create new" does.
    - `peering_location` is the metro (API `properties.peeringLocation`).
    - `peer_asn` names an Approved Peer ASN of the subscription: its name, or its ARM id
      (`/subscriptions/{sub}/providers/Microsoft.Peering/peerAsns/{name}`, API
      `properties.direct|exchange.peerAsn.id`).
    - `connections` are the Direct or Exchange connections (which list the API used follows
      from `kind`).
    """

    name: str = ""
    resource_group: str = ""
    create_resource_group: bool = False
    location: str = ""
    kind: str = ""
    sku_name: str = ""
    direct_peering_type: str = ""
    peering_location: str = ""
    peer_asn: str = ""
    connections: list[ConnectionInput] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)


class RegisteredAsnInput(ContractModel):
    """A customer ASN a route-server provider registers on its peering
    (`.../peerings/{peering}/registeredAsns/{name}`); Microsoft issues its prefix key."""

    name: str
    asn: int | None = None


class RegisteredPrefixInput(ContractModel):
    """A prefix an ISP partner registers on its Peering Service peering
    (`.../peerings/{peering}/registeredPrefixes/{name}`); Microsoft issues its prefix key."""

    name: str
    prefix: str = ""


class PrefixInput(ContractModel):
    """A customer prefix of a Peering Service (`.../peeringServices/{ps}/prefixes/{name}`):
    the public IPv4 prefix and the prefix key the provider handed the customer (API
    `peeringServicePrefixKey`). Existing prefixes cannot be modified (delete and recreate)."""

    name: str = ""
    prefix: str = ""
    peering_service_prefix_key: str = ""


class PeeringServiceInput(ContractModel):
    """A Peering Service (`Microsoft.Peering/peeringServices/{name}` in a resource group).

    - `location` is the Azure region (empty with an existing group: the group's region);
      `create_resource_group` creates `resource_group` with the service.
    - `peering_service_location` is the customer's location: "State, Country" or the state
      alone when it is unique (API `properties.peeringServiceLocation`).
    - `peering_service_provider` is the provider's name; `provider_primary_peering_location`
      (required) and `provider_backup_peering_location` (optional) are among its locations.
    - `prefixes` are the first customer prefixes, validated like `PrefixInput` (create only;
      more are added later as prefixes of their own).
    """

    name: str = ""
    resource_group: str = ""
    create_resource_group: bool = False
    location: str = ""
    peering_service_location: str = ""
    peering_service_provider: str = ""
    provider_primary_peering_location: str = ""
    provider_backup_peering_location: str = ""
    prefixes: list[PrefixInput] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)


# Error key (as the services raise it) → the input field it is about (alias path); `<i>` is the
# connection's (or prefix's) index in the input list.
PEERING_ERROR_FIELDS: dict[str, str] = {
    "basics.subscription": "subscriptionId",
    "basics.resource_group": "resourceGroup",
    "basics.new_resource_group": "resourceGroup",
    "basics.region": "location",
    "basics.name": "name",
    "basics.peer_asn": "peerAsn",
    "configuration.peering_type": "kind",
    "configuration.microsoft_network": "directPeeringType",
    "configuration.sku": "skuName",
    "configuration.metro": "peeringLocation",
    "connections": "connections",
    "connections.<i>.facility": "connections[<i>].peeringDBFacilityId",
    "connections.<i>.connection_identifier": "connections[<i>].connectionIdentifier",
    "connections.<i>.session_address_provider": "connections[<i>].sessionAddressProvider",
    "connections.<i>.bandwidth_mbps": "connections[<i>].bandwidthInMbps",
    "connections.<i>.use_for_peering_service": "connections[<i>].useForPeeringService",
    "connections.<i>.session_prefix_v4": "connections[<i>].bgpSession.sessionPrefixV4",
    "connections.<i>.session_prefix_v6": "connections[<i>].bgpSession.sessionPrefixV6",
    "connections.<i>.peer_session_ipv4_address": (
        "connections[<i>].bgpSession.peerSessionIPv4Address"
    ),
    "connections.<i>.peer_session_ipv6_address": (
        "connections[<i>].bgpSession.peerSessionIPv6Address"
    ),
    "connections.<i>.microsoft_session_ipv4_address": (
        "connections[<i>].bgpSession.microsoftSessionIPv4Address"
    ),
    "connections.<i>.microsoft_session_ipv6_address": (
        "connections[<i>].bgpSession.microsoftSessionIPv6Address"
    ),
    "connections.<i>.max_prefixes_advertised_v4": (
        "connections[<i>].bgpSession.maxPrefixesAdvertisedV4"
    ),
    "connections.<i>.max_prefixes_advertised_v6": (
        "connections[<i>].bgpSession.maxPrefixesAdvertisedV6"
    ),
    "tags": "tags",
}

PEERING_SERVICE_ERROR_FIELDS: dict[str, str] = {
    "name": "name",
    "resource_group": "resourceGroup",
    "new_resource_group": "resourceGroup",
    "region": "location",
    "location": "peeringServiceLocation",
    "provider": "peeringServiceProvider",
    "primary_location": "providerPrimaryPeeringLocation",
    "backup_location": "providerBackupPeeringLocation",
    "prefixes.<i>.name": "prefixes[<i>].name",
    "prefixes.<i>.prefix": "prefixes[<i>].prefix",
    "prefixes.<i>.prefix_key": "prefixes[<i>].peeringServicePrefixKey",
    "tags": "tags",
}
