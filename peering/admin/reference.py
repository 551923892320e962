"""Reference data operators edit: metros, facilities (with address pools), exchanges,
Peering Service providers and locations, legacy peerings; and the wizard drafts."""

import ipaddress

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from peering.enums import (
    Kind,
)
from peering.management.commands.load_reference_data import (
    direct_facility_problems,
    exchange_problems,
)
from peering.models import (
    DirectFacility,
    Exchange,
    FacilityAddressPool,
    LegacyPeering,
    PeeringDraft,
    PeeringLocation,
    PeeringServiceDraft,
    PeeringServiceLocation,
    PeeringServiceProvider,
    PeeringServiceProviderLocation,
)
from peering.validators import (
    check_host_address,
    parse_prefix,
    validate_max_prefixes,
    validate_public_asn,
)

# --- Reference data ------------------------------------------------------------------------


class DirectFacilityForm(forms.ModelForm):
    class Meta:
        model = DirectFacility
        fields = [
            "location",
            "name",
            "address",
            "peeringdb_facility_id",
            "direct_peering_types",
            "bandwidth_offers_mbps",
            "source",
        ]

    def clean(self):
        cleaned = super().clean()
        if "direct_peering_types" in cleaned and "bandwidth_offers_mbps" in cleaned:
            problems = direct_facility_problems(
                direct_peering_types=cleaned["direct_peering_types"],
                bandwidth_offers_mbps=cleaned["bandwidth_offers_mbps"],
            )
            for field, message in problems.items():
                self.add_error(field, message)
        return cleaned


class ExchangeForm(forms.ModelForm):
    class Meta:
        model = Exchange
        fields = ["location", "name", "peeringdb_ix_id", *Exchange.LAN_FIELDS, "source"]

    def clean(self):
        cleaned = super().clean()
        fields = Exchange.LAN_FIELDS
        if all(name in cleaned for name in fields):
            for field, message in exchange_problems(**{f: cleaned[f] for f in fields}).items():
                self.add_error(field, message)
        return cleaned


class DirectFacilityInline(admin.StackedInline):
    model = DirectFacility
    form = DirectFacilityForm
    extra = 0
    show_change_link = True


class ExchangeInline(admin.StackedInline):
    model = Exchange
    form = ExchangeForm
    extra = 0
    show_change_link = True


@admin.register(PeeringLocation)
class PeeringLocationAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "azure_region"]
    list_filter = ["country"]
    search_fields = ["name", "country"]
    list_select_related = ["azure_region"]
    autocomplete_fields = ["azure_region"]
    inlines = [DirectFacilityInline, ExchangeInline]


class FacilityAddressPoolForm(forms.ModelForm):
    """A facility's pools: networks of the right family without host bits, big enough to hold
    one point-to-point session subnet (/31 for IPv4, /127 for IPv6)."""

    class Meta:
        model = FacilityAddressPool
        fields = ["direct_facility", "ipv4_pool", "ipv6_pool"]

    @staticmethod
    def _pool(value: str, *, family: int, label: str) -> str:
        network = parse_prefix(value, family=family, label=label)
        longest = 31 if family == 4 else 127
        if network.prefixlen > longest:
            raise ValidationError(
                f"{network.with_prefixlen} is too small: an IPv{family} pool must hold at least "
                f"one /{longest}."
            )
        return network.with_prefixlen

    def clean_ipv4_pool(self):
        return self._pool(self.cleaned_data["ipv4_pool"], family=4, label="IPv4 pool")

    def clean_ipv6_pool(self):
        value = self.cleaned_data.get("ipv6_pool", "")
        if not value.strip():
            return ""
        return self._pool(value, family=6, label="IPv6 pool")


class FacilityAddressPoolInline(admin.StackedInline):
    model = FacilityAddressPool
    form = FacilityAddressPoolForm
    extra = 0
    max_num = 1
    verbose_name = "session address pool"
    verbose_name_plural = "session address pool (Microsoft-provided session addresses)"


@admin.register(DirectFacility)
class DirectFacilityAdmin(admin.ModelAdmin):
    form = DirectFacilityForm
    inlines = [FacilityAddressPoolInline]
    list_display = ["name", "location", "peeringdb_facility_id", "source"]
    list_filter = ["source", "location"]
    search_fields = ["name", "address", "location__name"]
    list_select_related = ["location"]
    autocomplete_fields = ["location"]


@admin.register(Exchange)
class ExchangeAdmin(admin.ModelAdmin):
    form = ExchangeForm
    list_display = ["name", "location", *Exchange.LAN_FIELDS, "source"]
    list_filter = ["source", "location"]
    search_fields = ["name", "location__name", "ipv4_prefix", "ipv6_prefix"]
    list_select_related = ["location"]
    autocomplete_fields = ["location"]


class PeeringServiceProviderLocationInline(admin.TabularInline):
    model = PeeringServiceProviderLocation
    extra = 0


class PeeringServiceProviderForm(forms.ModelForm):
    class Meta:
        model = PeeringServiceProvider
        fields = ["name", "kind", "asn"]

    def clean_asn(self):
        value = self.cleaned_data["asn"]
        return None if value is None else validate_public_asn(value)


@admin.register(PeeringServiceProvider)
class PeeringServiceProviderAdmin(admin.ModelAdmin):
    """A Peering Service partner: its ASN ties it to its peerings (whose registered ASNs and
    prefixes are the keys its customers redeem) and its locations are offered to customers."""

    form = PeeringServiceProviderForm
    list_display = ["name", "kind", "asn", "locations"]
    list_filter = ["kind"]
    search_fields = ["name", "=asn", "peering_locations__name"]
    inlines = [PeeringServiceProviderLocationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("peering_locations")

    @admin.display(description="Peering locations")
    def locations(self, obj):
        return ", ".join(location.name for location in obj.peering_locations.all()) or "—"


@admin.register(PeeringServiceProviderLocation)
class PeeringServiceProviderLocationAdmin(admin.ModelAdmin):
    list_display = ["name", "provider"]
    list_filter = ["provider__kind", "provider"]
    search_fields = ["name", "provider__name"]
    list_select_related = ["provider"]
    autocomplete_fields = ["provider"]


@admin.register(PeeringServiceLocation)
class PeeringServiceLocationAdmin(admin.ModelAdmin):
    list_display = ["country", "state", "azure_region"]
    list_filter = ["country"]
    search_fields = ["country", "state"]
    list_select_related = ["azure_region"]
    autocomplete_fields = ["azure_region"]


class LegacyPeeringForm(forms.ModelForm):
    """A legacy (pre-portal) peering as operators record it; checked like a wizard row."""

    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.EXCHANGE)

    class Meta:
        model = LegacyPeering
        fields = [
            "peer_asn",
            "peering_location",
            "kind",
            "exchange",
            "direct_facility",
            "bandwidth_mbps",
            "peer_session_ipv4_address",
            "microsoft_session_ipv4_address",
            "max_prefixes_advertised_v4",
            "peer_session_ipv6_address",
            "microsoft_session_ipv6_address",
            "max_prefixes_advertised_v6",
        ]

    def clean_peer_asn(self):
        return validate_public_asn(self.cleaned_data["peer_asn"])

    def clean_max_prefixes_advertised_v4(self):
        value = self.cleaned_data["max_prefixes_advertised_v4"]
        return None if value is None else validate_max_prefixes(value, family=4)

    def clean_max_prefixes_advertised_v6(self):
        value = self.cleaned_data["max_prefixes_advertised_v6"]
        return None if value is None else validate_max_prefixes(value, family=6)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        metro = cleaned.get("peering_location")
        exchange = cleaned.get("exchange")
        facility = cleaned.get("direct_facility")
        if kind == Kind.EXCHANGE:
            if facility is not None:
                self.add_error("direct_facility", "An Exchange peering is made at an exchange.")
            if exchange is None:
                self.add_error("exchange", "Choose the exchange of this legacy peering.")
            elif metro is not None and exchange.location_id != metro.pk:
                self.add_error("exchange", f"{exchange.name} is not in {metro.name}.")
        elif kind == Kind.DIRECT:
            if exchange is not None:
                self.add_error("exchange", "A Direct peering is made at a facility.")
            if facility is None:
                self.add_error("direct_facility", "Choose the facility of this legacy peering.")
            elif metro is not None and facility.location_id != metro.pk:
                self.add_error("direct_facility", f"{facility.name} is not in {metro.name}.")
        if not (
            cleaned.get("peer_session_ipv4_address") or cleaned.get("peer_session_ipv6_address")
        ):
            self.add_error(
                "peer_session_ipv4_address", "Give the peer's IPv4 and/or IPv6 session address."
            )
        for family in (4, 6):
            self._check_family(cleaned, family, exchange if kind == Kind.EXCHANGE else None)
        return cleaned

    def _check_family(self, cleaned: dict, family: int, exchange: Exchange | None) -> None:
        v = f"ipv{family}"
        peer, microsoft = f"peer_session_{v}_address", f"microsoft_session_{v}_address"
        if self.has_error(peer) or self.has_error(microsoft):
            return
        peer_address, microsoft_address = cleaned.get(peer), cleaned.get(microsoft)
        if microsoft_address and not peer_address:
            self.add_error(peer, f"Give the peer's IPv{family} address too.")
            return
        if peer_address and microsoft_address and peer_address == microsoft_address:
            self.add_error(microsoft, "The peer and Microsoft cannot use the same address.")
        if exchange is None or not peer_address:
            return
        lan_text = exchange.ipv4_prefix if family == 4 else exchange.ipv6_prefix
        if not lan_text:
            self.add_error(peer, f"{exchange.name} has no IPv{family} peering LAN.")
            return
        lan = ipaddress.ip_network(lan_text)
        for field in (peer, microsoft):
            if not cleaned.get(field):
                continue
            try:
                check_host_address(
                    ipaddress.ip_address(cleaned[field]),
                    lan,
                    label="The address",
                    prefix_label=f"{exchange.name}'s peering LAN",
                )
            except ValidationError as exc:
                self.add_error(field, exc)
        ms_on_lan = (
            exchange.microsoft_ipv4_address if family == 4 else exchange.microsoft_ipv6_address
        )
        if ms_on_lan and ipaddress.ip_address(peer_address) == ipaddress.ip_address(ms_on_lan):
            self.add_error(peer, f"{peer_address} is Microsoft's address on {exchange.name}.")


@admin.register(LegacyPeering)
class LegacyPeeringAdmin(admin.ModelAdmin):
    """Peerings made before the portal; the wizard converts them (then they are read-only)."""

    form = LegacyPeeringForm
    list_display = [
        "peer_asn",
        "kind",
        "peering_location",
        "place",
        "peer_session_ipv4_address",
        "peer_session_ipv6_address",
        "converted_to",
    ]
    list_filter = ["kind", ("converted_to", admin.EmptyFieldListFilter), "peering_location"]
    search_fields = [
        "=peer_asn",
        "peering_location__name",
        "exchange__name",
        "direct_facility__name",
        "peer_session_ipv4_address",
        "peer_session_ipv6_address",
    ]
    list_select_related = ["peering_location", "exchange", "direct_facility", "converted_to"]
    autocomplete_fields = ["peering_location", "exchange", "direct_facility"]
    readonly_fields = ["converted_to", "converted_at"]

    @admin.display(description="Exchange or facility")
    def place(self, obj):
        place = obj.exchange or obj.direct_facility
        return place.name if place else ""

    def has_change_permission(self, request, obj=None):
        # Once converted it is part of a peering resource; the peering owns it from then on.
        if obj is not None and obj.converted_to_id is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.converted_to_id is not None:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(PeeringDraft, PeeringServiceDraft)
class PeeringDraftAdmin(admin.ModelAdmin):
    """Wizard drafts (Create a Peering, Create Peering Service): operators may look at one or
    discard it, never edit it."""

    list_display = ["user", "created_at", "updated_at"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "data", "created_at", "updated_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FacilityAddressPool)
class FacilityAddressPoolAdmin(admin.ModelAdmin):
    """Where Microsoft-provided session addresses come from; also editable on the facility."""

    form = FacilityAddressPoolForm
    list_display = ["direct_facility", "ipv4_pool", "ipv6_pool"]
    search_fields = ["direct_facility__name", "ipv4_pool", "ipv6_pool"]
    list_select_related = ["direct_facility__location"]
    autocomplete_fields = ["direct_facility"]
