"""Create a peering: the rules of what is created and where, of every connection, and the write.

The services take the typed contract (`peering.contracts.PeeringInput`, in the API's words:
kind, SKU name, direct peering type, peering location, connections with their BGP sessions).
`peering_validate` runs every check and writes nothing; `peering_create` runs them again and
saves atomically; `peering_create_or_update` is the ARM PUT. Errors are keyed the way the
wizard shows them — `basics.<field>`, `configuration.<field>`, `connections.<i>.<field>` —
and `peering.contracts.PEERING_ERROR_FIELDS` maps each to its input field. The portal's labels
("AS8075 with exchange route server", "Premium Free") are the wizard's business
(`peering.services.wizard` translates its draft into the contract).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from peering.contracts import ConnectionInput, PeeringInput
from peering.enums import (
    ConnectionState,
    DirectPeeringType,
    Kind,
    SessionAddressProvider,
    SessionState,
    SkuName,
    ValidationState,
)
from peering.models import (
    DirectFacility,
    Exchange,
    LegacyPeering,
    PeerAsn,
    Peering,
    PeeringConnection,
    PeeringLocation,
)
from peering.models.abstracts import SESSION_ADDRESS_FIELDS, SESSION_FIELDS
from peering.selectors.wizard import peer_asn_named
from peering.services.addresses import addresses_used_at, lan_exchange_of, lock_places
from peering.services.links import peering_url
from peering.signals import announce_connections_requested
from peering.validators import (
    check_host_address,
    parse_address,
    parse_prefix,
    session_addresses,
    validate_max_prefixes,
)
from portal import sql
from portal.models import AzureRegion, Notification, ResourceGroup, Subscription
from portal.notifications import milestone
from portal.selectors import writable_subscriptions_for_user
from portal.services import activity_about, resource_group_of_new_resource
from portal.validators import validate_arm_name

MAX_CONNECTIONS = 20


BANDWIDTH_STEP_MBPS = 10000


BANDWIDTH_MAX_MBPS = 100000


OPERATION_WRITE = "Microsoft.Peering/peerings/write"


# The Microsoft network each direct peering type stands for, in the portal's words (AS8069 is
# reserved and not offered). Messages name them so a person recognises the choice.
MICROSOFT_NETWORK_OF = {
    DirectPeeringType.EDGE: "AS8075",
    DirectPeeringType.IX_RS: "AS8075 with exchange route server",
    DirectPeeringType.VOICE: "AS8075 (with Voice)",
}


@dataclass(frozen=True)
class Variant:
    """One kind of peering Microsoft offers, with the API values it stands for."""

    key: str
    label: str
    kind: str
    sku_name: str
    direct_peering_type: str = ""
    # Fixed session address provider, or "" when the peer chooses.
    session_address_provider: str = ""

    @property
    def is_exchange(self) -> bool:
        return self.kind == Kind.EXCHANGE


# The kinds of peering Microsoft offers, one row each: key, label, the API's kind, SKU and
# direct peering type, and the fixed session address provider ("" when the peer chooses).
ROUTE_SERVER, DIRECT, DIRECT_PEERING_SERVICE, VOICE, EXCHANGE = OFFERED = (
    Variant(
        "route_server",
        "Exchange peering with route server",
        Kind.DIRECT,
        SkuName.PREMIUM_DIRECT_FREE,
        DirectPeeringType.IX_RS,
        SessionAddressProvider.PEER,
    ),
    Variant(
        "direct", "Direct peering", Kind.DIRECT, SkuName.BASIC_DIRECT_FREE, DirectPeeringType.EDGE
    ),
    Variant(
        "direct_peering_service",
        "Direct peering for Peering Service",
        Kind.DIRECT,
        SkuName.PREMIUM_DIRECT_FREE,
        DirectPeeringType.EDGE,
    ),
    Variant(
        "voice",
        "Direct peering with Voice",
        Kind.DIRECT,
        SkuName.PREMIUM_DIRECT_FREE,
        DirectPeeringType.VOICE,
        SessionAddressProvider.MICROSOFT,
    ),
    Variant("exchange", "Exchange peering", Kind.EXCHANGE, SkuName.BASIC_EXCHANGE_FREE),
)
VARIANTS = {v.key: v for v in OFFERED}

# The variants whose connections may carry Use for Peering Service (product.md §3, §4a).
PEERING_SERVICE_VARIANTS = (ROUTE_SERVER, DIRECT_PEERING_SERVICE)


class Errors(dict):
    """Field errors keyed `<section>.<field>`; `add` keeps every message of a field (once)."""

    def add(self, key: str, message: str | ValidationError) -> None:
        messages = message.messages if isinstance(message, ValidationError) else [message]
        kept = self.setdefault(key, [])
        kept.extend(m for m in messages if m not in kept)

    def section(self, prefix: str) -> dict[str, list[str]]:
        return {k: v for k, v in self.items() if k.startswith(prefix)}


def _text(value: object, max_length: int = 200) -> str:
    """A contract string, stripped and cut just past `max_length` (so a length rule still
    fires on it, and a message quoting it stays short)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return value.strip()[: max_length + 1]


def _str(data: dict, key: str, max_length: int = 200) -> str:
    return _text(data.get(key), max_length)


def _int_or_none(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


@dataclass
class Basics:
    subscription: Subscription
    resource_group: ResourceGroup | None
    new_resource_group_name: str
    region: AzureRegion
    name: str
    peer_asn: PeerAsn


def peer_asn_name_of(reference: str) -> str:
    """A Peer ASN reference is its name or its ARM id (`.../peerAsns/{name}`)."""
    marker = "/providers/microsoft.peering/peerasns/"
    lowered = reference.lower()
    if marker in lowered:
        return reference[lowered.index(marker) + len(marker) :].strip("/")
    return reference


def basics_validate(
    *, user, subscription: Subscription | None, data: PeeringInput, errors: Errors
) -> Basics | None:
    """Where and what: the subscription (the user must be Owner or Contributor), the resource
    group (existing, or created with the peering), the name, the region and the Peer ASN.
    `subscription` None means none was chosen (a caller that could not resolve one it was
    given reports that itself, under `basics.subscription`)."""
    if subscription is not None and not any(
        s.pk == subscription.pk for s in writable_subscriptions_for_user(user=user)
    ):
        errors.add("basics.subscription", "You cannot create resources in that subscription.")
        subscription = None
    elif subscription is None and "basics.subscription" not in errors:
        errors.add(
            "basics.subscription", "Select a subscription where you are Owner or Contributor."
        )

    name = _text(data.name, 63)
    try:
        validate_arm_name(name)
    except ValidationError as exc:
        name_error: ValidationError | None = exc
    else:
        name_error = None

    group: ResourceGroup | None = None
    new_group = ""
    region: AzureRegion | None = None
    location = _text(data.location, 40)
    if data.create_resource_group:
        new_group = _text(data.resource_group, 63)
        try:
            validate_arm_name(new_group)
        except ValidationError as exc:
            errors.add("basics.new_resource_group", exc)
        else:
            if (
                subscription
                and ResourceGroup.objects.filter(
                    subscription=subscription, name__iexact=new_group
                ).exists()
            ):
                errors.add(
                    "basics.new_resource_group",
                    f"A resource group named '{new_group}' already exists; select it instead.",
                )
        region = AzureRegion.objects.filter(name=location).first() if location else None
        if region is None:
            errors.add("basics.region", "Select a region for the new resource group.")
    else:
        rg_text = _text(data.resource_group, 63)
        if not rg_text:
            errors.add("basics.resource_group", "Select a resource group or create a new one.")
        elif subscription:
            # Whether the name is taken there, in the same query.
            group = _group_named(
                subscription, rg_text, peering_name=name if name_error is None else None
            )
            if group is None:
                errors.add(
                    "basics.resource_group",
                    f"Resource group '{rg_text[:63]}' was not found in this subscription.",
                )
            elif location:
                region = AzureRegion.objects.filter(name=location).first()
                if region is None:
                    errors.add("basics.region", f"'{location[:40]}' is not an Azure region.")
            else:
                region = group.region

    if name_error is not None:
        errors.add("basics.name", name_error)
    elif group and group.name_taken:
        errors.add(
            "basics.name",
            f"A peering named '{name}' already exists in resource group '{group.name}'.",
        )

    peer_asn = None
    asn_text = peer_asn_name_of(_text(data.peer_asn, 300))[:64]
    if not asn_text:
        errors.add("basics.peer_asn", "Select a PeerASN. Associate one first if none is listed.")
    elif subscription:
        peer_asn = peer_asn_named(subscription=subscription, name=asn_text)
        if peer_asn is None:
            errors.add("basics.peer_asn", "That PeerASN is not associated with this subscription.")
            peer_asn = None
        elif peer_asn.validation_state != ValidationState.APPROVED:
            errors.add("basics.peer_asn", peer_asn_unusable_reason(peer_asn))
            peer_asn = None

    if errors.section("basics.") or not (subscription and region and peer_asn):
        return None
    return Basics(
        subscription=subscription,
        resource_group=group,
        new_resource_group_name=new_group,
        region=region,
        name=name,
        peer_asn=peer_asn,
    )


# Basics' resource group is one SQL statement (`portal.sql`; the Peer ASN is
# `peer_asn_named`'s): on Review + create the querysets' building and compiling cost more than
# the rest of the check. Names are matched as LOWER(name) = LOWER(typed): the unique
# constraints' indexes are on (parent, Lower(name)).


def _group_named(
    subscription: Subscription, name: str, *, peering_name: str | None
) -> ResourceGroup | None:
    """The subscription's resource group of that name (ignoring case) with its region; with
    `peering_name`, also whether a peering of that name is in it (`name_taken`)."""
    taken = "NULL"
    params: list = []
    if peering_name is not None:
        taken = (
            "EXISTS(SELECT 1 FROM peering_peering p"
            " WHERE p.resource_group_id = g.id AND LOWER(p.name) = LOWER(%s))"
        )
        params.append(peering_name)
    statement = (
        f"SELECT {_GROUP.select()}, {taken} FROM portal_resourcegroup g {_GROUP.joins()}"  # noqa: S608 — names from the models' metadata
        " WHERE g.subscription_id = %s AND LOWER(g.name) = LOWER(%s) ORDER BY g.name, g.id LIMIT 1"
    )
    params += [sql.db_value(ResourceGroup._meta.get_field("subscription"), subscription.pk), name]
    rows = sql.fetch(statement, params, [*_GROUP.fields(), None])
    if not rows:
        return None
    group = _GROUP.read(rows[0])
    if peering_name is not None:
        group.name_taken = bool(rows[0][_GROUP.size])
    return group


_GROUP = sql.Joined(ResourceGroup, "g", ["region"])


def peer_asn_unusable_reason(peer_asn: PeerAsn) -> str:
    """Why a Peer ASN cannot be chosen for a peering (empty when it can)."""
    if peer_asn.validation_state == ValidationState.APPROVED:
        return ""
    if peer_asn.validation_state == ValidationState.FAILED:
        # The operator's reason is usually a sentence already: do not end it with "..".
        reason = peer_asn.error_message.strip() or "see the Peer ASN for details"
        ending = "" if reason.endswith((".", "!", "?")) else "."
        return f"{peer_asn.name} (AS{peer_asn.peer_asn}) failed validation: {reason}{ending}"
    return (
        f"{peer_asn.name} (AS{peer_asn.peer_asn}) is {peer_asn.validation_state}: Microsoft has "
        "not approved it yet (usually within 12 hours). Only Approved ASNs can request peerings."
    )


@dataclass
class Configuration:
    variant: Variant
    metro: PeeringLocation

    @cached_property
    def places(self) -> dict[int, DirectFacility | Exchange]:
        """The facilities (or exchanges) a connection may use, by id — read once per request."""
        return {place.pk: place for place in facilities_for(self)}

    @cached_property
    def places_by_peeringdb_id(self) -> dict[int, DirectFacility | Exchange]:
        """The same places by their PeeringDB id (facility, or exchange), where they have one."""
        found = {}
        for place in self.places.values():
            number = getattr(place, "peeringdb_facility_id", None) or getattr(
                place, "peeringdb_ix_id", None
            )
            if number is not None:
                found[number] = place
        return found

    @cached_property
    def lans(self) -> list[Exchange]:
        """The metro's exchanges: a route-server session prefix is one of their LANs."""
        return list(self.metro.exchanges.all())


def variant_lookup(
    *, kind: str, sku_name: str, direct_peering_type: str, agreement_signed: bool
) -> tuple[Variant | None, dict[str, str]]:
    """The variant a (kind, SKU, direct peering type) stands for, or why it is refused:
    problems keyed by the field to change (`sku`)."""
    problems: dict[str, str] = {}
    premium = sku_name.startswith("Premium")
    if kind == Kind.EXCHANGE:
        if premium:
            problems["sku"] = (
                "Premium Free is reserved for Peering Service, Voice and exchange route server "
                "peerings, which are Direct. Choose Basic Free for Exchange peering."
            )
            return None, problems
        return (EXCHANGE if sku_name == SkuName.BASIC_EXCHANGE_FREE else None), problems
    if kind != Kind.DIRECT:
        return None, problems
    basic = sku_name == SkuName.BASIC_DIRECT_FREE
    premium_free = sku_name == SkuName.PREMIUM_DIRECT_FREE
    if direct_peering_type == DirectPeeringType.IX_RS:
        if basic:
            problems["sku"] = "Exchange peering with route server requires SKU Premium Free."
            return None, problems
        return (ROUTE_SERVER if premium_free else None), problems
    if direct_peering_type == DirectPeeringType.VOICE:
        if basic:
            problems["sku"] = "AS8075 (with Voice) requires SKU Premium Free."
            return None, problems
        return (VOICE if premium_free else None), problems
    if direct_peering_type == DirectPeeringType.EDGE:
        if premium_free:
            if agreement_signed:
                return DIRECT_PEERING_SERVICE, problems
            problems["sku"] = (
                "Premium Free is reserved for special applications (Peering Service, Voice, "
                "exchange route server). Choose Basic Free; Premium Free with AS8075 needs a "
                "signed Peering Service agreement."
            )
            return None, problems
        return (DIRECT if basic else None), problems
    return None, problems


def configuration_validate(
    *, subscription: Subscription | None, data: PeeringInput, errors: Errors
) -> Configuration | None:
    """What is created, and where: kind, SKU, direct peering type and the peering location
    (metro). `subscription` decides whether its Peering Service agreement allows Premium Free
    with AS8075."""
    kind = _text(data.kind, 16)
    direct_type = _text(data.direct_peering_type, 32)
    sku_name = _text(data.sku_name, 32)
    if kind not in Kind.values:
        errors.add("configuration.peering_type", "Select Direct or Exchange.")
    elif kind == Kind.DIRECT and direct_type not in MICROSOFT_NETWORK_OF:
        errors.add(
            "configuration.microsoft_network",
            "Select the Microsoft network: AS8075, AS8075 with exchange route server, or "
            "AS8075 (with Voice). AS8069 is reserved and cannot be used.",
        )
    if sku_name not in SkuName.values:
        errors.add("configuration.sku", "Select a SKU: Basic Free or Premium Free.")
    metro = None
    metro_text = _text(data.peering_location, 64)
    if not metro_text:
        errors.add("configuration.metro", "Select the metro where you want to peer.")
    else:
        metro = _metro_named(metro_text)
        if metro is None:
            errors.add("configuration.metro", f"'{metro_text[:64]}' is not a peering location.")
    if errors.section("configuration."):
        return None
    variant, problems = variant_lookup(
        kind=kind,
        sku_name=sku_name,
        direct_peering_type=direct_type if kind == Kind.DIRECT else "",
        agreement_signed=bool(subscription and subscription.peering_service_agreement_signed),
    )
    for key, message in problems.items():
        errors.add(f"configuration.{key}", message)
    if variant is None:
        if not problems:
            errors.add("configuration.sku", "That combination is not offered.")
        return None
    # The metro's places of this kind, read once: for the checks below and then every row's
    # place (`Configuration.places`).
    metro_places(metro, "exchanges" if variant.is_exchange else "direct_facilities")
    if variant.is_exchange and not metro.exchanges.all():
        errors.add("configuration.metro", f"Microsoft has no exchange peering in {metro.name}.")
        return None
    if not variant.is_exchange and not _metro_supports(metro, variant.direct_peering_type):
        errors.add(
            "configuration.metro",
            f"No facility in {metro.name} offers {variant.label.lower()}.",
        )
        return None
    return Configuration(variant=variant, metro=metro)


def _metro_named(name: str) -> PeeringLocation | None:
    """The metro of that name (ignoring case, as `name__iexact`), if any. Every wizard tab
    past Basics asks; as SQL (`portal.sql`) its queryset's compiling goes."""
    rows = _METRO.rows("WHERE UPPER(m.name) = UPPER(%s) ORDER BY m.name, m.id LIMIT 1", [name])
    return _METRO.read(rows[0]) if rows else None


_METRO = sql.Joined(PeeringLocation, "m")


def metro_places(metro: PeeringLocation, *names: str) -> None:
    """Read the metro's `direct_facilities` and / or `exchanges` (those not read yet) as
    prefetch_related_objects would: `metro.exchanges.all()` then answers without a query, each
    place's `location` is the metro. One SQL statement each (`portal.sql`), by name (the
    models' order, within one metro); every wizard tab past Basics reads them."""
    held = metro.__dict__.setdefault("_prefetched_objects_cache", {})
    for name in names:
        if name in held:
            continue
        joined = _METRO_PLACES[name]
        places = [
            joined.read(row)
            for row in joined.rows("WHERE x.location_id = %s ORDER BY x.name, x.id", [metro.pk])
        ]
        location = joined.model._meta.get_field("location")
        for place in places:
            location.set_cached_value(place, metro)
        queryset = getattr(metro, name).get_queryset()
        queryset._result_cache = places
        queryset._prefetch_done = True
        held[name] = queryset


_METRO_PLACES = {
    "direct_facilities": sql.Joined(DirectFacility, "x"),
    "exchanges": sql.Joined(Exchange, "x"),
}


def _metro_supports(metro: PeeringLocation, direct_peering_type: str) -> bool:
    # JSON containment lookups are not available on every database: check in Python.
    return any(f.supports(direct_peering_type) for f in metro.direct_facilities.all())


def facilities_for(configuration: Configuration):
    """The places a connection of this configuration can be made: only the metro's, and only
    those supporting the chosen type."""
    if configuration.variant.is_exchange:
        return list(configuration.metro.exchanges.all())
    return [
        f
        for f in configuration.metro.direct_facilities.all()
        if f.supports(configuration.variant.direct_peering_type)
    ]


def legacy_connections_for(*, peer_asn: PeerAsn, configuration: Configuration):
    """Unconverted legacy peerings of this ASN in the metro, converted with the new resource."""
    if not configuration.variant.is_exchange:
        return []
    return list(
        LegacyPeering.objects.filter(
            peer_asn=peer_asn.peer_asn,
            peering_location=configuration.metro,
            kind=Kind.EXCHANGE,
            converted_to__isnull=True,
        ).select_related("exchange")
    )


def route_server_prefill(lans: list[Exchange]) -> dict[str, str]:
    """A new route-server row's defaults: with one exchange in the metro, its LAN and
    Microsoft's address on it (with several, the dialog lists them and the peer picks)."""
    if len(lans) != 1:
        return {}
    return {
        "session_prefix_v4": lans[0].ipv4_prefix,
        "microsoft_session_ipv4_address": lans[0].microsoft_ipv4_address,
    }


# What a cleaned `Connection` row gives its PeeringConnection as it is (same names).
CONNECTION_ROW_FIELDS = (
    "direct_facility",
    "exchange",
    "session_address_provider",
    "bandwidth_mbps",
    "use_for_peering_service",
    *SESSION_FIELDS,
)


@dataclass
class Connection:
    """One connection row, cleaned, ready to save (`CONNECTION_ROW_FIELDS` are saved as they
    are)."""

    direct_facility: DirectFacility | None = None
    exchange: Exchange | None = None
    session_address_provider: str = ""
    bandwidth_mbps: int | None = None
    use_for_peering_service: bool = False
    session_prefix_v4: str = ""
    session_prefix_v6: str = ""
    peer_session_ipv4_address: str | None = None
    microsoft_session_ipv4_address: str | None = None
    peer_session_ipv6_address: str | None = None
    microsoft_session_ipv6_address: str | None = None
    max_prefixes_advertised_v4: int | None = None
    max_prefixes_advertised_v6: int | None = None
    addresses: list[str] = field(default_factory=list)
    # The exchange whose LAN a route-server session is on (exchange rows: their exchange).
    lan: Exchange | None = None

    @property
    def place_key(self) -> tuple[str, int]:
        if self.exchange is not None:
            return ("exchange", self.exchange.pk)
        return ("facility", self.direct_facility.pk)

    @property
    def scope(self) -> tuple[str, int]:
        """Where its addresses must be unique: the exchange LAN it is on, or its facility."""
        lan = self.exchange or self.lan
        if lan is not None:
            return ("lan", lan.pk)
        return ("facility", self.direct_facility.pk)

    @property
    def lock_ids(self) -> tuple[list[int], list[int]]:
        """(facility ids, exchange ids) `lock_places` takes before writing its addresses."""
        lan = self.exchange or self.lan
        return (
            [self.direct_facility.pk] if self.direct_facility else [],
            [lan.pk] if lan else [],
        )


def fixed_provider_reason(variant: Variant) -> str:
    """Why the session address provider cannot be chosen for this kind of peering ('' when it
    can): the wizard and Add connection show it beside the fixed choice."""
    if variant is ROUTE_SERVER:
        return (
            "Set to Peer: with the exchange route server the session prefix is the exchange's "
            "LAN, which the exchange supplies."
        )
    if variant is VOICE:
        return "Set to Microsoft: for Voice, Microsoft allocates the session addresses."
    return ""


BANDWIDTH_INVALID = "Choose 10, 20, … 100 Gbps (10000–100000 Mbps in steps of 10000)."


def bandwidth_clean(text: str, key: str, errors: Errors) -> int | None:
    """The one bandwidth rule (a new connection's, and an upgrade's in `connection_update`):
    Mbps in 10 Gbps steps up to 100 Gbps; None with `BANDWIDTH_INVALID` on `key` otherwise."""
    value = _int_or_none(text.replace(",", "").replace("_", ""))
    if value is None or (
        value % BANDWIDTH_STEP_MBPS or not BANDWIDTH_STEP_MBPS <= value <= BANDWIDTH_MAX_MBPS
    ):
        errors.add(key, BANDWIDTH_INVALID)
        return None
    return value


def _max_prefixes(row: dict, family: int, key: str, errors: Errors) -> int | None:
    field_name = f"max_prefixes_advertised_v{family}"
    try:
        return validate_max_prefixes(_str(row, field_name, 12), family=family)
    except ValidationError as exc:
        errors.add(key + field_name, exc)
        return None


def _session_family(
    row: dict,
    *,
    family: int,
    key: str,
    errors: Errors,
    allowed_lengths: tuple[int, ...] | None,
    derive: bool,
    lans: list[Exchange] | None = None,
) -> tuple[str, str | None, str | None]:
    """Session prefix plus (peer, Microsoft) addresses of one family, checked together. With
    `lans` (route server) the prefix must be one of these exchanges' peering LANs."""
    suffix = "v4" if family == 4 else "v6"
    ip = "ipv4" if family == 4 else "ipv6"
    prefix_key = f"session_prefix_{suffix}"
    peer_key = f"peer_session_{ip}_address"
    ms_key = f"microsoft_session_{ip}_address"
    label = "IPv4" if family == 4 else "IPv6"
    prefix_text = _str(row, prefix_key, 64)
    peer_text = _str(row, peer_key, 64)
    ms_text = _str(row, ms_key, 64)
    typed = ((peer_key, peer_text, "Peer"), (ms_key, ms_text, "Microsoft"))

    def addresses_alone() -> tuple[str, None, None]:
        # Without a usable prefix the addresses are still checked on their own, so every bad
        # field gets its message at once.
        for field_key, text, who in typed:
            if text:
                try:
                    parse_address(text, family=family, label=f"{who} session {label} address")
                except ValidationError as exc:
                    errors.add(key + field_key, exc)
        return "", None, None

    if not prefix_text:
        if peer_text or ms_text:
            errors.add(key + prefix_key, f"Enter the session {label} prefix for these addresses.")
        return addresses_alone()
    try:
        network = parse_prefix(prefix_text, family=family, label=f"session {label} prefix")
    except ValidationError as exc:
        errors.add(key + prefix_key, exc)
        return addresses_alone()
    if allowed_lengths and network.prefixlen not in allowed_lengths:
        errors.add(
            key + prefix_key,
            f"A Direct session {label} prefix must be "
            + " or ".join(f"/{n}" for n in allowed_lengths)
            + f"; {network.with_prefixlen} is /{network.prefixlen}.",
        )
        return addresses_alone()
    if lans is not None:
        lan = lan_exchange_of(network.with_prefixlen, lans)
        if lan is None:
            offered = [
                f"{x.name} {x.ipv4_prefix if family == 4 else x.ipv6_prefix}"
                for x in lans
                if (x.ipv4_prefix if family == 4 else x.ipv6_prefix)
            ]
            errors.add(
                key + prefix_key,
                f"{network.with_prefixlen} is not an exchange's {label} peering LAN. "
                "A route-server session uses the exchange's LAN"
                + (f": {', '.join(offered)}." if offered else "; this metro has none."),
            )
            return addresses_alone()
    if derive:
        peer_expected, ms_expected = session_addresses(network)
        peer_text = peer_text or str(peer_expected)
        ms_text = ms_text or str(ms_expected)
    addresses: dict[str, str | None] = {peer_key: None, ms_key: None}
    for field_key, text, who in ((peer_key, peer_text, "Peer"), (ms_key, ms_text, "Microsoft")):
        if not text:
            errors.add(key + field_key, f"Enter the {who} session {label} address.")
            continue
        try:
            address = parse_address(text, family=family, label=f"{who} session {label} address")
            check_host_address(address, network, label=f"{who} session {label} address")
        except ValidationError as exc:
            errors.add(key + field_key, exc)
            continue
        addresses[field_key] = str(address)
    if derive and addresses[peer_key] and addresses[ms_key]:
        expected = tuple(str(a) for a in session_addresses(network))
        if (addresses[peer_key], addresses[ms_key]) != expected:
            errors.add(
                key + peer_key,
                f"In {network.with_prefixlen} the first address ({expected[0]}) is the peer's "
                f"and the next ({expected[1]}) is Microsoft's.",
            )
    if addresses[peer_key] and addresses[peer_key] == addresses[ms_key]:
        errors.add(key + ms_key, "The Microsoft and peer session addresses must differ.")
    return network.with_prefixlen, addresses[peer_key], addresses[ms_key]


def _row_of_input(data: ConnectionInput) -> dict:
    """The connection's values as the checks below read them (text, as a person types it)."""
    session = data.bgp_session
    row = {
        "session_address_provider": data.session_address_provider,
        "bandwidth_mbps": "" if data.bandwidth_in_mbps is None else str(data.bandwidth_in_mbps),
        "use_for_peering_service": data.use_for_peering_service,
    }
    for name in SESSION_FIELDS:
        value = getattr(session, name)
        row[name] = "" if value is None else str(value)
    return row


def place_of(configuration: Configuration, data: ConnectionInput):
    """The facility (or exchange) of the metro a connection names, or None."""
    if data.facility_id is not None:
        return configuration.places.get(data.facility_id)
    if data.peering_db_facility_id is not None:
        return configuration.places_by_peeringdb_id.get(data.peering_db_facility_id)
    return None


def connection_validate(
    *,
    configuration: Configuration,
    subscription: Subscription,
    data: ConnectionInput,
    index: int,
    errors: Errors,
) -> Connection | None:
    """One Direct connection (or Exchange connection) of a peering of `configuration`: its
    place must be one of the metro's that offers the type, and its session fields must fit the
    variant. Errors are keyed `connections.<index>.<field>`."""
    key = f"connections.{index}."
    before = len(errors)
    variant = configuration.variant
    conn = Connection()
    row = _row_of_input(data)
    place = place_of(configuration, data)
    if place is None:
        errors.add(
            key + "facility",
            f"Select a peering facility in {configuration.metro.name}"
            + (
                "."
                if variant.is_exchange
                else f" that offers {variant.direct_peering_type} connections."
            ),
        )

    wants_ps = data.use_for_peering_service
    if variant.is_exchange:
        if wants_ps:
            errors.add(
                key + "use_for_peering_service",
                "Exchange connections cannot be used for Peering Service; use a Direct peering.",
            )
        if isinstance(place, Exchange):
            conn.exchange = place
            _exchange_sessions(row, place, conn, key, errors)
    else:
        conn.direct_facility = place
        typed = _str(row, "session_address_provider", 16)
        fixed = variant.session_address_provider
        provider = fixed or typed
        if fixed and typed and typed != fixed:
            errors.add(
                key + "session_address_provider",
                f"{variant.label} uses session address provider {fixed}.",
            )
        elif provider not in SessionAddressProvider.values:
            errors.add(key + "session_address_provider", "Select Peer or Microsoft.")
        conn.session_address_provider = provider
        conn.bandwidth_mbps = bandwidth_clean(
            _str(row, "bandwidth_mbps", 12) or "", key + "bandwidth_mbps", errors
        )
        if wants_ps and variant not in PEERING_SERVICE_VARIANTS:
            errors.add(
                key + "use_for_peering_service",
                f"{variant.label} ({variant.sku_name.replace('_', ' ')}) cannot be used for "
                "Peering Service: choose Direct peering for Peering Service (AS8075, Premium "
                "Free, with a signed Peering Service agreement) or Exchange peering with route "
                "server.",
            )
        elif wants_ps and not subscription.peering_service_agreement_signed:
            errors.add(
                key + "use_for_peering_service",
                "Use for Peering Service needs a signed Peering Service agreement with Microsoft "
                "for this subscription.",
            )
        conn.use_for_peering_service = wants_ps or (
            variant is DIRECT_PEERING_SERVICE and subscription.peering_service_agreement_signed
        )
        if provider == SessionAddressProvider.MICROSOFT:
            for field_name in (
                "session_prefix_v4",
                "session_prefix_v6",
                "peer_session_ipv4_address",
                "peer_session_ipv6_address",
                "microsoft_session_ipv4_address",
                "microsoft_session_ipv6_address",
            ):
                if _str(row, field_name, 64):
                    errors.add(
                        key + field_name,
                        "Leave session addresses empty: with session address provider "
                        "Microsoft, Microsoft allocates them.",
                    )
            conn.max_prefixes_advertised_v4 = _max_prefixes(row, 4, key, errors)
            if _str(row, "max_prefixes_advertised_v6", 12):
                conn.max_prefixes_advertised_v6 = _max_prefixes(row, 6, key, errors)
        elif provider == SessionAddressProvider.PEER:
            point_to_point = variant.direct_peering_type != DirectPeeringType.IX_RS
            lans = None if point_to_point else configuration.lans
            if not _str(row, "session_prefix_v4", 64):
                errors.add(key + "session_prefix_v4", "Enter the session IPv4 prefix.")
            # Per family: (prefix, peer's address, Microsoft's), the prefix lengths of a
            # point-to-point session.
            for family, fields, lengths in (
                (4, SESSION_ADDRESS_FIELDS[:3], (30, 31)),
                (6, SESSION_ADDRESS_FIELDS[3:], (126, 127)),
            ):
                values = _session_family(
                    row,
                    family=family,
                    key=key,
                    errors=errors,
                    allowed_lengths=lengths if point_to_point else None,
                    derive=point_to_point,
                    lans=lans,
                )
                for field, value in zip(fields, values, strict=True):
                    setattr(conn, field, value)
            if lans is not None:
                lan_v4 = lan_exchange_of(conn.session_prefix_v4, lans)
                lan_v6 = lan_exchange_of(conn.session_prefix_v6, lans)
                if lan_v4 and lan_v6 and lan_v4 != lan_v6:
                    errors.add(
                        key + "session_prefix_v6",
                        f"{conn.session_prefix_v6} is {lan_v6.name}'s LAN; the IPv4 session is "
                        f"on {lan_v4.name}'s. Both sessions use the same exchange.",
                    )
                conn.lan = lan_v4 or lan_v6
            conn.max_prefixes_advertised_v4 = _max_prefixes(row, 4, key, errors)
            if conn.session_prefix_v6 or _str(row, "max_prefixes_advertised_v6", 12):
                conn.max_prefixes_advertised_v6 = _max_prefixes(row, 6, key, errors)

    conn.addresses = [
        a
        for a in (
            conn.peer_session_ipv4_address,
            conn.microsoft_session_ipv4_address,
            conn.peer_session_ipv6_address,
            conn.microsoft_session_ipv6_address,
        )
        if a
    ]
    if len(errors) != before or place is None:
        return None
    return conn


def _exchange_sessions(row: dict, exchange: Exchange, conn: Connection, key: str, errors: Errors):
    """Exchange rows: the peer's addresses on the exchange LAN; Microsoft's come from the data."""
    lan_v4 = ipaddress.ip_network(exchange.ipv4_prefix)
    lan_v6 = ipaddress.ip_network(exchange.ipv6_prefix) if exchange.ipv6_prefix else None
    v4_text = _str(row, "peer_session_ipv4_address", 64)
    v6_text = _str(row, "peer_session_ipv6_address", 64)
    if not v4_text and not v6_text:
        errors.add(
            key + "peer_session_ipv4_address",
            f"Enter your IPv4 and/or IPv6 address on {exchange.name}'s peering LAN.",
        )
        return
    for family, text, lan in ((4, v4_text, lan_v4), (6, v6_text, lan_v6)):
        if not text:
            continue
        field = f"{key}peer_session_ipv{family}_address"
        if lan is None:
            errors.add(field, f"{exchange.name} has no IPv{family} LAN.")
            return
        microsoft = getattr(exchange, f"microsoft_ipv{family}_address")
        try:
            address = parse_address(text, family=family, label=f"IPv{family} address")
            check_host_address(
                address, lan, label=f"IPv{family} address", prefix_label=f"{exchange.name}'s LAN"
            )
            if microsoft and address == ipaddress.ip_address(microsoft):
                raise ValidationError(
                    f"{address} is Microsoft's address on {exchange.name}; enter yours."
                )
        except ValidationError as exc:
            errors.add(field, exc)
        else:
            setattr(conn, f"session_prefix_v{family}", lan.with_prefixlen)
            setattr(conn, f"peer_session_ipv{family}_address", str(address))
            setattr(conn, f"microsoft_session_ipv{family}_address", microsoft)
            setattr(
                conn, f"max_prefixes_advertised_v{family}", _max_prefixes(row, family, key, errors)
            )


# Microsoft's own exchange address is shared by every exchange connection: not a clash.
def _shared_addresses(conn: Connection) -> set[str]:
    if conn.exchange is None:
        return set()
    return {
        str(ipaddress.ip_address(a))
        for a in (conn.exchange.microsoft_ipv4_address, conn.exchange.microsoft_ipv6_address)
        if a
    }


def connections_validate(
    *,
    configuration: Configuration,
    subscription: Subscription,
    rows: Iterable[tuple[int, ConnectionInput]],
    errors: Errors,
) -> dict[int, Connection]:
    """`connection_validate` on each (index, row); the rows that passed, by index."""
    clean: dict[int, Connection] = {}
    for index, row in rows:
        conn = connection_validate(
            configuration=configuration,
            subscription=subscription,
            data=row,
            index=index,
            errors=errors,
        )
        if conn is not None:
            clean[index] = conn
    return clean


def connections_check_addresses(
    connections: dict[int, Connection], errors: Errors, *, exclude_pk: int | None = None
) -> None:
    """No address is used twice in one scope — a facility, or an exchange's LAN wherever the
    connection is made: not among these rows, and not by any live connection (or unconverted
    legacy peering) of anyone — except the connection `exclude_pk`, when these rows are its own
    new values. A peer address is never one of Microsoft's on the LAN; Microsoft's side of a
    LAN session may be shared (its router serves every peer there)."""
    typed = {a for c in connections.values() for a in c.addresses}
    lans = [c.exchange or c.lan for c in connections.values() if c.exchange or c.lan]
    used = addresses_used_at(addresses=typed, exclude_pk=exclude_pk, lans=lans)
    seen: dict[tuple[tuple[str, int], str], tuple[int, bool]] = {}
    for index, conn in connections.items():
        shared = _shared_addresses(conn)
        scope = conn.scope
        on_lan = scope[0] == "lan"
        place_name = (conn.exchange or conn.direct_facility).name
        for field_name in (
            "peer_session_ipv4_address",
            "microsoft_session_ipv4_address",
            "peer_session_ipv6_address",
            "microsoft_session_ipv6_address",
        ):
            value = getattr(conn, field_name)
            if not value or value in shared:
                continue
            normal = str(ipaddress.ip_address(value))
            microsoft_side = field_name.startswith("microsoft")
            clash = next(
                (
                    use
                    for use in used.get(normal, ())
                    if (use.scope == scope or use.place == conn.place_key)
                    and not (
                        use.scope == scope and on_lan and microsoft_side and use.microsoft_side
                    )
                ),
                None,
            )
            if clash is not None:
                lan_name = (conn.exchange or conn.lan).name if on_lan else ""
                errors.add(
                    f"connections.{index}.{field_name}",
                    f"{value} is Microsoft's address on {lan_name}'s LAN; enter yours."
                    if on_lan and clash.microsoft_side and not microsoft_side
                    else f"{value} is already used at {place_name}"
                    + (f" (on {lan_name}'s LAN)" if conn.lan else "")
                    + " by another connection.",
                )
                continue
            earlier = seen.get((scope, normal))
            if earlier is not None and not (on_lan and microsoft_side and earlier[1]):
                errors.add(
                    f"connections.{index}.{field_name}",
                    f"{value} is already used at {place_name} by connection {earlier[0] + 1} "
                    "of this peering.",
                )
            elif earlier is None:
                seen[(scope, normal)] = (index, microsoft_side)


@dataclass
class ValidatedPeering:
    basics: Basics
    configuration: Configuration
    connections: list[Connection]
    legacy: list[LegacyPeering]


def peering_validate(
    *,
    user,
    subscription: Subscription | None,
    data: PeeringInput,
    errors: Errors | None = None,
) -> tuple[ValidatedPeering | None, Errors]:
    """Every check of creating `data` in `subscription`, writing nothing (the API's validate,
    the wizard's Review + create). Returns the clean peering, or None and the errors keyed by
    field. `errors` may hold what a caller already found (the wizard's unreadable values); the
    checks add to it."""
    errors = Errors() if errors is None else errors
    rows = list(data.connections)
    basics = basics_validate(user=user, subscription=subscription, data=data, errors=errors)
    configuration = configuration_validate(
        subscription=basics.subscription if basics else subscription, data=data, errors=errors
    )
    if configuration is None or basics is None:
        if configuration is None and not rows:
            errors.add("connections", "Add at least one peering connection.")
        return None, errors
    legacy = legacy_connections_for(peer_asn=basics.peer_asn, configuration=configuration)
    if len(rows) > MAX_CONNECTIONS:
        errors.add("connections", f"A peering can have at most {MAX_CONNECTIONS} connections.")
        return None, errors
    if not rows and not legacy:
        errors.add("connections", "Add at least one peering connection.")
    clean = connections_validate(
        configuration=configuration,
        subscription=basics.subscription,
        rows=enumerate(rows),
        errors=errors,
    )
    connections_check_addresses(clean, errors)
    try:
        _tags_clean(data.tags)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            for message in messages:
                errors.add(key, message)
    if errors:
        return None, errors
    return (
        ValidatedPeering(
            basics=basics,
            configuration=configuration,
            connections=[clean[i] for i in sorted(clean)],
            legacy=legacy,
        ),
        errors,
    )


def peering_create(*, user, subscription: Subscription | None, data: PeeringInput) -> Peering:
    """Validate the whole request again and save the peering with its connections atomically.

    New connections are PendingApproval with their sessions PendingAdd; legacy connections of
    the same ASN in the metro are converted (Active, read-only). Raises ValidationError keyed
    `<section>.<field>` when anything is wrong, and then writes nothing.
    """
    validated, errors = peering_validate(user=user, subscription=subscription, data=data)
    if validated is None:
        raise ValidationError(dict(errors))
    basics, configuration = validated.basics, validated.configuration
    variant = configuration.variant
    try:
        with transaction.atomic():
            # Lock the places involved and re-check their addresses: two peers creating at
            # once cannot both take the same address.
            facility_ids = [i for c in validated.connections for i in c.lock_ids[0]]
            exchange_ids = [i for c in validated.connections for i in c.lock_ids[1]]
            lock_places(facility_ids=facility_ids, exchange_ids=exchange_ids)
            recheck = Errors()
            connections_check_addresses(dict(enumerate(validated.connections)), recheck)
            if recheck:
                raise ValidationError(dict(recheck))
            group = resource_group_of_new_resource(
                basics.resource_group,
                user=user,
                subscription=basics.subscription,
                name=basics.new_resource_group_name,
                region=basics.region,
                keys={"name": "basics.new_resource_group", "region": "basics.region"},
            )
            peering = Peering.objects.create(
                subscription=basics.subscription,
                resource_group=group,
                name=basics.name,
                region=basics.region,
                kind=variant.kind,
                sku_name=variant.sku_name,
                peering_location=configuration.metro,
                direct_peering_type=variant.direct_peering_type,
                peer_asn=basics.peer_asn,
                tags=_tags_clean(data.tags),
                created_by=user,
            )
            created = PeeringConnection.objects.bulk_create(
                [new_connection(peering, c) for c in validated.connections]
                + [_converted_legacy(peering, legacy) for legacy in validated.legacy]
            )
            if validated.legacy:
                LegacyPeering.objects.filter(pk__in=[lp.pk for lp in validated.legacy]).update(
                    converted_to=peering, converted_at=timezone.now()
                )
            announce_connections_requested(c.pk for c in created if not c.is_legacy)
            activity_about(
                peering,
                user=user,
                operation=OPERATION_WRITE,
                display="Create peering",
                message=(
                    f"{variant.label} in {configuration.metro.name} with "
                    f"{len(validated.connections)} new connection(s)"
                    + (
                        f" and {len(validated.legacy)} converted legacy connection(s)."
                        if validated.legacy
                        else "."
                    )
                ),
            )
            link = peering_url(peering)
            contacts = basics.peer_asn.contact_emails
            milestone(
                subscription=basics.subscription,
                title=f"Peering {peering.name} requested",
                body=(
                    f"{len(validated.connections)} connection(s) in {configuration.metro.name} are "
                    "PendingApproval: Microsoft reviews the request next."
                ),
                link=link,
                level=Notification.Level.INFO,
                email_template="peering/email/peering_created.txt",
                email_context={"peering": peering, "variant": variant, "link": link},
                recipients=contacts,
            )
    except IntegrityError:
        # Lost a race on a unique name: say which one.
        new_group = basics.new_resource_group_name
        if (
            new_group
            and ResourceGroup.objects.filter(
                subscription=basics.subscription, name__iexact=new_group
            ).exists()
        ):
            raise ValidationError(
                {
                    "basics.new_resource_group": [
                        f"A resource group named '{new_group}' was just created; select it."
                    ]
                }
            ) from None
        raise ValidationError(
            {"basics.name": [f"A peering named '{basics.name}' was just created; choose another."]}
        ) from None
    return peering


def _tags_clean(tags: dict) -> dict[str, str]:
    # The tag rules live with the modify actions (`peering_tags_update`), which import this
    # module: import them when needed.
    from peering.services.connections import tags_clean

    return tags_clean(tags)


def peering_create_or_update(
    *, user, subscription: Subscription, data: PeeringInput
) -> tuple[Peering, bool]:
    """ARM PUT of a peering: create it when `data.resource_group` holds no peering of that name,
    else update the existing one (`peering_update`: its connections are diffed and changed by
    the portal's modify rules, and its tags replaced). Returns (peering, created)."""
    existing = None
    if not data.create_resource_group:
        existing = (
            Peering.objects.select_related("subscription", "resource_group", "peering_location")
            .filter(
                subscription=subscription,
                resource_group__name__iexact=_text(data.resource_group, 63),
                name__iexact=_text(data.name, 63),
            )
            .first()
        )
    if existing is None:
        return peering_create(user=user, subscription=subscription, data=data), True
    from peering.services.connections import peering_update

    return peering_update(user=user, peering=existing, data=data), False


def new_connection(peering: Peering, c: Connection) -> PeeringConnection:
    """An unsaved PeeringConnection for a cleaned row: PendingApproval, sessions PendingAdd."""
    microsoft_allocates = c.session_address_provider == SessionAddressProvider.MICROSOFT
    return PeeringConnection(
        peering=peering,
        **{name: getattr(c, name) for name in CONNECTION_ROW_FIELDS},
        connection_state=ConnectionState.PENDING_APPROVAL,
        # A session the peer supplied, or one Microsoft will allocate, waits to be added.
        session_state_v4=(
            SessionState.PENDING_ADD
            if c.peer_session_ipv4_address or microsoft_allocates
            else SessionState.NONE
        ),
        session_state_v6=(
            SessionState.PENDING_ADD
            if c.peer_session_ipv6_address or (microsoft_allocates and c.max_prefixes_advertised_v6)
            else SessionState.NONE
        ),
    )


def _converted_legacy(peering: Peering, legacy: LegacyPeering) -> PeeringConnection:
    exchange = legacy.exchange
    return PeeringConnection(
        peering=peering,
        exchange=exchange,
        direct_facility=legacy.direct_facility,
        is_legacy=True,
        connection_state=ConnectionState.ACTIVE,
        session_prefix_v4=exchange.ipv4_prefix if legacy.peer_session_ipv4_address else "",
        session_prefix_v6=exchange.ipv6_prefix if legacy.peer_session_ipv6_address else "",
        peer_session_ipv4_address=legacy.peer_session_ipv4_address,
        microsoft_session_ipv4_address=(
            legacy.microsoft_session_ipv4_address or exchange.microsoft_ipv4_address
            if legacy.peer_session_ipv4_address
            else None
        ),
        peer_session_ipv6_address=legacy.peer_session_ipv6_address,
        microsoft_session_ipv6_address=(
            legacy.microsoft_session_ipv6_address or exchange.microsoft_ipv6_address
            if legacy.peer_session_ipv6_address
            else None
        ),
        session_state_v4=(
            SessionState.ESTABLISHED if legacy.peer_session_ipv4_address else SessionState.NONE
        ),
        session_state_v6=(
            SessionState.ESTABLISHED if legacy.peer_session_ipv6_address else SessionState.NONE
        ),
        max_prefixes_advertised_v4=legacy.max_prefixes_advertised_v4,
        max_prefixes_advertised_v6=legacy.max_prefixes_advertised_v6,
        bandwidth_mbps=legacy.bandwidth_mbps,
        provisioned_bandwidth_mbps=legacy.bandwidth_mbps or 0,
    )
