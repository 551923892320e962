"""Peerings: read-only, with their connections (the connections' own console is in
`peering.admin.connections`)."""

from django.contrib import admin

from peering.admin.common import (
    TRACKED_RESOURCE_FIELDS,
    ReadOnlyInline,
    ReadOnlyModelAdmin,
    ResourceIdMixin,
)
from peering.models import Peering, PeeringConnection


class PeeringConnectionInline(ReadOnlyInline):
    model = PeeringConnection
    fields = [
        "facility",
        "connection_state",
        "session_address_provider",
        "bandwidth_mbps",
        "peer_session_ipv4_address",
        "microsoft_session_ipv4_address",
        "session_state_v4",
        "session_state_v6",
        "use_for_peering_service",
    ]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("direct_facility", "exchange")

    @admin.display(description="Facility")
    def facility(self, obj):
        return obj.facility_name


@admin.register(Peering)
class PeeringAdmin(ResourceIdMixin, ReadOnlyModelAdmin):
    """Created by the Create a Peering wizard/API; lifecycle moves through `peering.services`."""

    list_display = [
        "name",
        "kind",
        "sku_name",
        "peering_location",
        "peer_asn",
        "subscription",
        "provisioning_state",
        "created_at",
    ]
    list_filter = ["kind", "sku_name", "direct_peering_type", "provisioning_state"]
    search_fields = [
        "name",
        "subscription__display_name",
        "resource_group__name",
        "peer_asn__name",
        "=peer_asn__peer_asn",
        "peering_location__name",
    ]
    list_select_related = ["subscription", "resource_group", "peering_location", "peer_asn"]
    date_hierarchy = "created_at"
    fields = [
        *TRACKED_RESOURCE_FIELDS,
        "kind",
        "sku_name",
        "peering_location",
        "direct_peering_type",
        "peer_asn",
        "tags",
        "provisioning_state",
        "created_at",
        "created_by",
    ]
    inlines = [PeeringConnectionInline]
