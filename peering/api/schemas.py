"""Request bodies in the wire shape of Microsoft.Peering 2025-05-01 (nested `properties`).

Strict: a string where a number belongs, a number where a string belongs, or a property the
resource does not have is a 400 naming the property. Read-only properties (states, keys,
`id`/`name`/`type`, `systemData`) are accepted so a GET → edit → PUT round trip works, and are
ignored. Each body converts itself into the domain contract (`peering.contracts`), which the
services judge.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict

from peering import contracts

ReadOnly = Any
Guid = Annotated[uuid.UUID, Strict(False)]
Text = Annotated[str, Field(max_length=2000)]
Tags = Annotated[
    dict[Annotated[str, Field(max_length=512)], Annotated[str, Field(max_length=256)]],
    Field(max_length=50),
]


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)


class Envelope(Wire):
    """What every resource body may carry and the server sets."""

    id: ReadOnly = None
    name: ReadOnly = None
    type: ReadOnly = None
    system_data: ReadOnly = Field(None, alias="systemData")


# --- Peer ASN ---------------------------------------------------------------------------------


class ContactBody(Wire):
    role: Text | None = None
    email: Text | None = None
    phone: Text | None = None


class PeerAsnProperties(Wire):
    peer_asn: int | None = Field(None, alias="peerAsn")
    peer_contact_detail: list[ContactBody] = Field(
        default_factory=list, alias="peerContactDetail", max_length=20
    )
    peer_name: Text | None = Field(None, alias="peerName")
    validation_state: ReadOnly = Field(None, alias="validationState")
    error_message: ReadOnly = Field(None, alias="errorMessage")


class PeerAsnBody(Envelope):
    properties: PeerAsnProperties = Field(default_factory=PeerAsnProperties)

    def contract(self, *, name: str) -> contracts.PeerAsnInput:
        p = self.properties
        return contracts.PeerAsnInput(
            name=name,
            peer_asn=p.peer_asn,
            peer_name=p.peer_name or "",
            peer_contact_detail=[
                contracts.ContactDetailInput(
                    role=c.role or "", email=c.email or "", phone=c.phone or ""
                )
                for c in p.peer_contact_detail
            ],
        )


PEER_ASN_PATHS = {
    "name": "name",
    "peer_asn": "properties.peerAsn",
    "peer_name": "properties.peerName",
    "contacts": "properties.peerContactDetail",
    "peer_contact_detail": "properties.peerContactDetail",
}


# --- Peering ----------------------------------------------------------------------------------


class BgpSessionBody(Wire):
    session_prefix_v4: Text | None = Field(None, alias="sessionPrefixV4")
    session_prefix_v6: Text | None = Field(None, alias="sessionPrefixV6")
    microsoft_session_ipv4_address: Text | None = Field(None, alias="microsoftSessionIPv4Address")
    microsoft_session_ipv6_address: Text | None = Field(None, alias="microsoftSessionIPv6Address")
    peer_session_ipv4_address: Text | None = Field(None, alias="peerSessionIPv4Address")
    peer_session_ipv6_address: Text | None = Field(None, alias="peerSessionIPv6Address")
    session_state_v4: ReadOnly = Field(None, alias="sessionStateV4")
    session_state_v6: ReadOnly = Field(None, alias="sessionStateV6")
    max_prefixes_advertised_v4: int | None = Field(None, alias="maxPrefixesAdvertisedV4")
    max_prefixes_advertised_v6: int | None = Field(None, alias="maxPrefixesAdvertisedV6")
    md5_authentication_key: Text | None = Field(None, alias="md5AuthenticationKey")

    def contract(self) -> contracts.BgpSessionInput:
        return contracts.BgpSessionInput(
            session_prefix_v4=self.session_prefix_v4 or "",
            session_prefix_v6=self.session_prefix_v6 or "",
            microsoft_session_ipv4_address=self.microsoft_session_ipv4_address or "",
            microsoft_session_ipv6_address=self.microsoft_session_ipv6_address or "",
            peer_session_ipv4_address=self.peer_session_ipv4_address or "",
            peer_session_ipv6_address=self.peer_session_ipv6_address or "",
            max_prefixes_advertised_v4=self.max_prefixes_advertised_v4,
            max_prefixes_advertised_v6=self.max_prefixes_advertised_v6,
            md5_authentication_key=self.md5_authentication_key or "",
        )


class ExchangeConnectionBody(Wire):
    peering_db_facility_id: int | None = Field(None, alias="peeringDBFacilityId")
    connection_state: ReadOnly = Field(None, alias="connectionState")
    bgp_session: BgpSessionBody = Field(default_factory=BgpSessionBody, alias="bgpSession")
    connection_identifier: Guid | None = Field(None, alias="connectionIdentifier")
    error_message: ReadOnly = Field(None, alias="errorMessage")

    def contract(self) -> contracts.ConnectionInput:
        return contracts.ConnectionInput(
            peering_db_facility_id=self.peering_db_facility_id,
            connection_identifier=self.connection_identifier,
            bgp_session=self.bgp_session.contract(),
        )


class DirectConnectionBody(ExchangeConnectionBody):
    bandwidth_in_mbps: int | None = Field(None, alias="bandwidthInMbps")
    provisioned_bandwidth_in_mbps: ReadOnly = Field(None, alias="provisionedBandwidthInMbps")
    session_address_provider: Text | None = Field(None, alias="sessionAddressProvider")
    use_for_peering_service: bool | None = Field(None, alias="useForPeeringService")
    microsoft_tracking_id: ReadOnly = Field(None, alias="microsoftTrackingId")

    def contract(self) -> contracts.ConnectionInput:
        return contracts.ConnectionInput(
            peering_db_facility_id=self.peering_db_facility_id,
            connection_identifier=self.connection_identifier,
            bgp_session=self.bgp_session.contract(),
            bandwidth_in_mbps=self.bandwidth_in_mbps,
            session_address_provider=self.session_address_provider or "",
            use_for_peering_service=bool(self.use_for_peering_service),
        )


class SubResource(Wire):
    id: Text | None = None


class DirectBody(Wire):
    connections: list[DirectConnectionBody] = Field(default_factory=list, max_length=64)
    use_for_peering_service: ReadOnly = Field(None, alias="useForPeeringService")
    peer_asn: SubResource | None = Field(None, alias="peerAsn")
    direct_peering_type: Text | None = Field(None, alias="directPeeringType")


class ExchangeBody(Wire):
    connections: list[ExchangeConnectionBody] = Field(default_factory=list, max_length=64)
    peer_asn: SubResource | None = Field(None, alias="peerAsn")


class ProbeBody(Wire):
    endpoint: Text | None = None
    azure_region: Text | None = Field(None, alias="azureRegion")
    protocol: Text | None = None
    prefixes_to_accesslist: ReadOnly = Field(None, alias="prefixesToAccesslist")


class PeeringProperties(Wire):
    direct: DirectBody | None = None
    exchange: ExchangeBody | None = None
    connectivity_probes: list[ProbeBody] = Field(
        default_factory=list, alias="connectivityProbes", max_length=16
    )
    peering_location: Text | None = Field(None, alias="peeringLocation")
    provisioning_state: ReadOnly = Field(None, alias="provisioningState")


class SkuBody(Wire):
    name: Text | None = None
    tier: ReadOnly = None
    family: ReadOnly = None
    size: ReadOnly = None


class PeeringBody(Envelope):
    sku: SkuBody | None = None
    kind: Text | None = None
    location: Text | None = None
    tags: Tags = Field(default_factory=dict)
    properties: PeeringProperties = Field(default_factory=PeeringProperties)

    def contract(self, *, name: str, resource_group: str) -> contracts.PeeringInput:
        p = self.properties
        if self.kind == "Exchange" or (p.exchange is not None and p.direct is None):
            part = p.exchange or ExchangeBody()
            direct_type = ""
        else:
            part = p.direct or DirectBody()
            direct_type = part.direct_peering_type or ""
        return contracts.PeeringInput(
            name=name,
            resource_group=resource_group,
            location=self.location or "",
            kind=self.kind or "",
            sku_name=(self.sku.name if self.sku else None) or "",
            direct_peering_type=direct_type,
            peering_location=p.peering_location or "",
            peer_asn=(part.peer_asn.id if part.peer_asn else None) or "",
            connections=[c.contract() for c in part.connections],
            tags=self.tags,
        )


def peering_paths(body: PeeringBody) -> dict[str, str]:
    """Error keys of the peering services → ARM property paths of this body."""
    part = "exchange" if body.kind == "Exchange" else "direct"
    to_arm = {
        "subscriptionId": "subscriptionId",
        "resourceGroup": "resourceGroupName",
        "location": "location",
        "name": "name",
        "peerAsn": f"properties.{part}.peerAsn.id",
        "kind": "kind",
        "directPeeringType": "properties.direct.directPeeringType",
        "skuName": "sku.name",
        "peeringLocation": "properties.peeringLocation",
        "connections": f"properties.{part}.connections",
        "tags": "tags",
    }
    paths = {}
    for key, field in contracts.PEERING_ERROR_FIELDS.items():
        if field.startswith("connections["):
            paths[key] = f"properties.{part}.{field}"
        else:
            paths[key] = to_arm.get(field, field)
    return paths


class TagsBody(Wire):
    tags: Tags = Field(default_factory=dict)


# --- Registered ASNs and prefixes -------------------------------------------------------------


class RegisteredAsnProperties(Wire):
    asn: int | None = None
    peering_service_prefix_key: ReadOnly = Field(None, alias="peeringServicePrefixKey")
    provisioning_state: ReadOnly = Field(None, alias="provisioningState")


class RegisteredAsnBody(Envelope):
    properties: RegisteredAsnProperties = Field(default_factory=RegisteredAsnProperties)

    def contract(self, *, name: str) -> contracts.RegisteredAsnInput:
        return contracts.RegisteredAsnInput(name=name, asn=self.properties.asn)


class RegisteredPrefixProperties(Wire):
    prefix: Text | None = None
    prefix_validation_state: ReadOnly = Field(None, alias="prefixValidationState")
    peering_service_prefix_key: ReadOnly = Field(None, alias="peeringServicePrefixKey")
    error_message: ReadOnly = Field(None, alias="errorMessage")
    provisioning_state: ReadOnly = Field(None, alias="provisioningState")


class RegisteredPrefixBody(Envelope):
    properties: RegisteredPrefixProperties = Field(default_factory=RegisteredPrefixProperties)

    def contract(self, *, name: str) -> contracts.RegisteredPrefixInput:
        return contracts.RegisteredPrefixInput(name=name, prefix=self.properties.prefix or "")


REGISTERED_PATHS = {"name": "name", "asn": "properties.asn", "prefix": "properties.prefix"}


# --- Peering Service and prefixes -------------------------------------------------------------


class PeeringServiceProperties(Wire):
    peering_service_location: Text | None = Field(None, alias="peeringServiceLocation")
    peering_service_provider: Text | None = Field(None, alias="peeringServiceProvider")
    provisioning_state: ReadOnly = Field(None, alias="provisioningState")
    provider_primary_peering_location: Text | None = Field(
        None, alias="providerPrimaryPeeringLocation"
    )
    provider_backup_peering_location: Text | None = Field(
        None, alias="providerBackupPeeringLocation"
    )
    log_analytics_workspace_properties: ReadOnly = Field(
        None, alias="logAnalyticsWorkspaceProperties"
    )


class PeeringServiceSku(Wire):
    name: Text | None = None


class PeeringServiceBody(Envelope):
    location: Text | None = None
    tags: Tags = Field(default_factory=dict)
    sku: PeeringServiceSku | None = None
    properties: PeeringServiceProperties = Field(default_factory=PeeringServiceProperties)

    def contract(self, *, name: str, resource_group: str) -> contracts.PeeringServiceInput:
        p = self.properties
        return contracts.PeeringServiceInput(
            name=name,
            resource_group=resource_group,
            location=self.location or "",
            peering_service_location=p.peering_service_location or "",
            peering_service_provider=p.peering_service_provider or "",
            provider_primary_peering_location=p.provider_primary_peering_location or "",
            provider_backup_peering_location=p.provider_backup_peering_location or "",
            tags=self.tags,
        )


PEERING_SERVICE_PATHS = {
    "name": "name",
    "resource_group": "resourceGroupName",
    "new_resource_group": "resourceGroupName",
    "region": "location",
    "location": "properties.peeringServiceLocation",
    "provider": "properties.peeringServiceProvider",
    "primary_location": "properties.providerPrimaryPeeringLocation",
    "backup_location": "properties.providerBackupPeeringLocation",
    "tags": "tags",
}


class PrefixProperties(Wire):
    prefix: Text | None = None
    prefix_validation_state: ReadOnly = Field(None, alias="prefixValidationState")
    learned_type: ReadOnly = Field(None, alias="learnedType")
    error_message: ReadOnly = Field(None, alias="errorMessage")
    events: ReadOnly = None
    peering_service_prefix_key: Text | None = Field(None, alias="peeringServicePrefixKey")
    provisioning_state: ReadOnly = Field(None, alias="provisioningState")


class PrefixBody(Envelope):
    properties: PrefixProperties = Field(default_factory=PrefixProperties)

    def contract(self, *, name: str) -> contracts.PrefixInput:
        p = self.properties
        return contracts.PrefixInput(
            name=name,
            prefix=p.prefix or "",
            peering_service_prefix_key=p.peering_service_prefix_key or "",
        )


PREFIX_PATHS = {
    "name": "name",
    "prefix": "properties.prefix",
    "prefix_key": "properties.peeringServicePrefixKey",
    "peering_service_prefix_key": "properties.peeringServicePrefixKey",
    "prefixes.0.name": "name",
    "prefixes.0.prefix": "properties.prefix",
    "prefixes.0.prefix_key": "properties.peeringServicePrefixKey",
}
