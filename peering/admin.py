"""Operators' admin for the peering domain.

Reference data (metros, facilities, exchanges, Peering Service providers and locations) is edited
here, checked by the same row checks as `load_reference_data`.

Tenant resources are written by `peering.services` only, so their admin pages are read-only:
a Peer ASN's validation state moves only through the Approve and Reject actions, which call
`peer_asn_approve` / `peer_asn_reject` (the service locks the row, re-checks the state, records
the activity and notifies). Peerings and connections are shown read-only until their lifecycle
services provide operator actions.
"""

import ipaddress

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.template.response import TemplateResponse

from peering.enums import Kind, ValidationState
from peering.management.commands.load_reference_data import (
    direct_facility_problems,
    exchange_problems,
)
from peering.models import (
    DirectFacility,
    Exchange,
    LegacyPeering,
    PeerAsn,
    PeerContact,
    Peering,
    PeeringConnection,
    PeeringDraft,
    PeeringLocation,
    PeeringServiceLocation,
    PeeringServiceProvider,
    PeeringServiceProviderLocation,
)
from peering.services import peer_asn_approve, peer_asn_reject
from peering.validators import check_host_address, validate_max_prefixes, validate_public_asn

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


def _refusal_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "Permission denied."


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
        fields = [
            "location",
            "name",
            "peeringdb_ix_id",
            "ipv4_prefix",
            "microsoft_ipv4_address",
            "ipv6_prefix",
            "microsoft_ipv6_address",
            "source",
        ]

    def clean(self):
        cleaned = super().clean()
        fields = ["ipv4_prefix", "ipv6_prefix", "microsoft_ipv4_address", "microsoft_ipv6_address"]
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


@admin.register(DirectFacility)
class DirectFacilityAdmin(admin.ModelAdmin):
    form = DirectFacilityForm
    list_display = ["name", "location", "peeringdb_facility_id", "source"]
    list_filter = ["source", "location"]
    search_fields = ["name", "address", "location__name"]
    list_select_related = ["location"]
    autocomplete_fields = ["location"]


@admin.register(Exchange)
class ExchangeAdmin(admin.ModelAdmin):
    form = ExchangeForm
    list_display = [
        "name",
        "location",
        "ipv4_prefix",
        "microsoft_ipv4_address",
        "ipv6_prefix",
        "microsoft_ipv6_address",
        "source",
    ]
    list_filter = ["source", "location"]
    search_fields = ["name", "location__name", "ipv4_prefix", "ipv6_prefix"]
    list_select_related = ["location"]
    autocomplete_fields = ["location"]


class PeeringServiceProviderLocationInline(admin.TabularInline):
    model = PeeringServiceProviderLocation
    extra = 0


@admin.register(PeeringServiceProvider)
class PeeringServiceProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "peering_locations__name"]
    inlines = [PeeringServiceProviderLocationInline]


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


@admin.register(PeeringDraft)
class PeeringDraftAdmin(admin.ModelAdmin):
    """Create a Peering drafts: operators may look at one or discard it, never edit it."""

    list_display = ["user", "created_at", "updated_at"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "data", "created_at", "updated_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Peer ASNs -----------------------------------------------------------------------------


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=(
            "Shown to the peer as the Peer ASN's error message and emailed to its contacts, "
            "e.g. “AS59999 is registered to another organisation in PeeringDB.”"
        ),
    )


class PeerContactInline(admin.TabularInline):
    """Contacts are given by the peer and checked by `peer_asn_create`; shown read-only."""

    model = PeerContact
    extra = 0
    fields = ["role", "email", "phone"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PeeringOfPeerAsnInline(PeerContactInline):
    model = Peering
    fields = ["name", "kind", "peering_location", "resource_group"]
    readonly_fields = fields
    show_change_link = True
    verbose_name = "peering using this ASN"
    verbose_name_plural = "peerings using this ASN"


@admin.register(PeerAsn)
class PeerAsnAdmin(admin.ModelAdmin):
    """Peer ASNs awaiting Microsoft's validation; decided only through the actions.

    Every field is read-only (the change permission is off): the validation state and error
    message move only through `peer_asn_approve` / `peer_asn_reject`, and the rest was checked by
    `peer_asn_create` when the peer associated the ASN.
    """

    list_display = [
        "name",
        "peer_asn",
        "peer_name",
        "subscription",
        "validation_state",
        "created_at",
    ]
    list_display_links = ["name"]
    list_filter = ["validation_state", "created_at"]
    search_fields = [
        "name",
        "=peer_asn",
        "peer_name",
        "subscription__display_name",
        "contacts__email",
    ]
    list_select_related = ["subscription"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["name", "peer_asn", "peer_name", "subscription", "resource_id"]}),
        (
            "Validation",
            {
                "description": (
                    "Change the validation state with the Approve / Reject actions; "
                    "the peer's contacts are emailed the outcome."
                ),
                "fields": ["validation_state", "error_message", "decided_at", "decided_by"],
            },
        ),
        ("History", {"fields": ["created_at", "created_by"]}),
    ]
    readonly_fields = [
        "name",
        "peer_asn",
        "peer_name",
        "subscription",
        "resource_id",
        "validation_state",
        "error_message",
        "decided_at",
        "decided_by",
        "created_at",
        "created_by",
    ]
    inlines = [PeerContactInline, PeeringOfPeerAsnInline]
    actions = ["approve_selected", "reject_selected"]

    def get_ordering(self, request):
        # The work queue: Pending first, oldest first.
        pending_first = Case(
            When(validation_state=ValidationState.PENDING, then=Value(0)),
            When(validation_state=ValidationState.NONE, then=Value(1)),
            When(validation_state=ValidationState.FAILED, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
        return [pending_first.asc(), "created_at", "pk"]

    def has_add_permission(self, request, obj=None):
        # Peers associate their ASN in the portal or the API (`peer_asn_create` checks it).
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # The peer deletes its association (`peer_asn_delete`); operators reject instead.
        return False

    def has_validate_permission(self, request, obj=None):
        """Who may approve or reject: staff holding the model's change permission."""
        return request.user.is_staff and request.user.has_perm("peering.change_peerasn")

    @admin.action(
        permissions=["validate"],
        description="Approve this Peer ASN",
        description_plural="Approve selected Peer ASNs",
        location=BOTH_LOCATIONS,
    )
    def approve_selected(self, request, queryset):
        approved = []
        for peer_asn in queryset.order_by("pk"):
            try:
                peer_asn_approve(peer_asn=peer_asn, operator=request.user)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(
                    request,
                    f"{peer_asn.name} (AS{peer_asn.peer_asn}) was not approved: "
                    f"{_refusal_text(exc)}",
                    messages.WARNING if isinstance(exc, ValidationError) else messages.ERROR,
                )
            else:
                approved.append(f"{peer_asn.name} (AS{peer_asn.peer_asn})")
        if approved:
            self.message_user(
                request,
                f"Approved {len(approved)} Peer ASN{'s' if len(approved) != 1 else ''}: "
                f"{', '.join(approved)}. The contacts will be emailed.",
                messages.SUCCESS,
            )

    @admin.action(
        permissions=["validate"],
        description="Reject this Peer ASN…",
        description_plural="Reject selected Peer ASNs…",
        location=BOTH_LOCATIONS,
    )
    def reject_selected(self, request, queryset):
        """Ask for the reason on an intermediate page, then reject each selected ASN."""
        queryset = queryset.order_by("pk")
        form = RejectForm(request.POST if "post" in request.POST else None)
        if form.is_valid():
            rejected = []
            for peer_asn in queryset:
                try:
                    peer_asn_reject(
                        peer_asn=peer_asn,
                        operator=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                except (ValidationError, PermissionDenied) as exc:
                    reason_errors = (
                        exc.message_dict.get("reason")
                        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict")
                        else None
                    )
                    if reason_errors and not rejected:
                        # The reason itself was refused (same for every ASN): nothing was
                        # rejected yet, so ask again with the service's message on the field.
                        for message in reason_errors:
                            form.add_error("reason", message)
                        break
                    self.message_user(
                        request,
                        f"{peer_asn.name} (AS{peer_asn.peer_asn}) was not rejected: "
                        f"{_refusal_text(exc)}",
                        messages.WARNING if isinstance(exc, ValidationError) else messages.ERROR,
                    )
                else:
                    rejected.append(f"{peer_asn.name} (AS{peer_asn.peer_asn})")
            else:
                if rejected:
                    self.message_user(
                        request,
                        f"Rejected {len(rejected)} Peer ASN{'s' if len(rejected) != 1 else ''}: "
                        f"{', '.join(rejected)}. The contacts will be emailed the reason.",
                        messages.SUCCESS,
                    )
                return None
        return self._reject_page(request, queryset, form)

    def _reject_page(self, request, queryset, form):
        on_change_form = f"{ActionLocation.CHANGE_FORM.value}-action" in request.POST
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject Peer ASNs",
            "subtitle": None,
            "opts": self.opts,
            "queryset": queryset.select_related("subscription"),
            "form": form,
            "action_name": "reject_selected",
            "action_field_name": (
                f"{ActionLocation.CHANGE_FORM.value}-action" if on_change_form else "action"
            ),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/peering/peerasn/reject_selected.html", context, status=200
        )

    @admin.display(description="Resource ID")
    def resource_id(self, obj):
        return obj.resource_id


@admin.register(PeerContact)
class PeerContactAdmin(admin.ModelAdmin):
    """Read-only: contacts are given by the peer and checked by the Peer ASN service."""

    list_display = ["email", "role", "phone", "peer_asn"]
    list_filter = ["role"]
    search_fields = ["email", "phone", "peer_asn__name", "=peer_asn__peer_asn"]
    list_select_related = ["peer_asn"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Peerings and connections --------------------------------------------------------------


class PeeringConnectionInline(admin.TabularInline):
    model = PeeringConnection
    extra = 0
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
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("direct_facility", "exchange")

    @admin.display(description="Facility")
    def facility(self, obj):
        return obj.facility_name

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyModelAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Peering)
class PeeringAdmin(ReadOnlyModelAdmin):
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
    readonly_fields = [
        "name",
        "resource_id",
        "subscription",
        "resource_group",
        "region",
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
    fields = readonly_fields
    inlines = [PeeringConnectionInline]

    @admin.display(description="Resource ID")
    def resource_id(self, obj):
        return obj.resource_id


@admin.register(PeeringConnection)
class PeeringConnectionAdmin(ReadOnlyModelAdmin):
    list_display = [
        "connection_identifier",
        "peering",
        "facility",
        "connection_state",
        "session_state_v4",
        "session_state_v6",
        "bandwidth_mbps",
        "updated_at",
    ]
    list_filter = ["connection_state", "session_state_v4", "is_legacy", "use_for_peering_service"]
    search_fields = [
        "=connection_identifier",
        "microsoft_tracking_id",
        "peering__name",
        "peering__subscription__display_name",
        "peer_session_ipv4_address",
        "peer_session_ipv6_address",
    ]
    list_select_related = ["peering", "direct_facility__location", "exchange__location"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "peering",
                    "connection_identifier",
                    "microsoft_tracking_id",
                    "direct_facility",
                    "exchange",
                    "session_address_provider",
                    "bandwidth_mbps",
                    "provisioned_bandwidth_mbps",
                    "use_for_peering_service",
                    "is_legacy",
                ]
            },
        ),
        ("State", {"fields": ["connection_state", "error_message"]}),
        (
            "IPv4 session",
            {
                "fields": [
                    "session_prefix_v4",
                    "peer_session_ipv4_address",
                    "microsoft_session_ipv4_address",
                    "session_state_v4",
                    "max_prefixes_advertised_v4",
                ]
            },
        ),
        (
            "IPv6 session",
            {
                "fields": [
                    "session_prefix_v6",
                    "peer_session_ipv6_address",
                    "microsoft_session_ipv6_address",
                    "session_state_v6",
                    "max_prefixes_advertised_v6",
                ]
            },
        ),
        ("History", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [f for _, options in self.fieldsets for f in options["fields"]]

    @admin.display(description="Facility")
    def facility(self, obj):
        return obj.facility_name
