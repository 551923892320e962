"""Operators' admin for the peering domain.

Reference data (metros, facilities, exchanges, Peering Service providers and locations) is edited
here, checked by the same row checks as `load_reference_data`; a facility's session address pool
is validated like any prefix.

Tenant resources are written by `peering.services` only, so their admin pages are read-only and
change only through actions that call the services (which lock the row, re-check the state the
operator saw, record the activity and notify):

- a Peer ASN's validation state: Approve / Reject… (`peer_asn_approve` / `peer_asn_reject`);
- a connection's state: the operators' queue (connections waiting on Microsoft, oldest first)
  with one action per operator move of the state table (`connection_transition`), the BGP
  session states (`session_state_set`) and Microsoft-provided session addresses
  (`connection_allocate_addresses`);
- a deprovisioning request: Accept / Decline… / Complete (`peering.services.deprovision`).

A refusal by a service is reported as a message naming the object, never as a server error.
"""

import ipaddress
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DataError, transaction
from django.db.models import Case, Count, IntegerField, Max, Q, Value, When
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from peering.enums import (
    ConnectionState,
    Kind,
    SessionAddressProvider,
    SessionState,
    ValidationState,
)
from peering.management.commands.load_reference_data import (
    direct_facility_problems,
    exchange_problems,
)
from peering.models import (
    Actor,
    ConnectionTransition,
    DeprovisionRequest,
    DirectFacility,
    Exchange,
    FacilityAddressPool,
    LegacyPeering,
    PeerAsn,
    PeerContact,
    Peering,
    PeeringConnection,
    PeeringDraft,
    PeeringLocation,
    PeeringService,
    PeeringServiceLocation,
    PeeringServicePrefix,
    PeeringServiceProvider,
    PeeringServiceProviderLocation,
    PrefixEvent,
    PrefixKeyAttempt,
    PrefixValidationState,
    ReceivedRoute,
    RegisteredAsn,
    RegisteredPrefix,
)
from peering.services import peer_asn_approve, peer_asn_reject
from peering.services.deprovision import (
    deprovision_accept,
    deprovision_complete,
    deprovision_decline,
)
from peering.services.lifecycle import (
    MILESTONES,
    NEXT_STEPS,
    allowed_transitions,
    awaiting_operator_states,
    connection_allocate_addresses,
    connection_transition,
    session_state_set,
)
from peering.services.routes import parse_jsonl, received_routes_import
from peering.validation_tasks import (
    enqueue_prefix_validation,
    enqueue_registered_prefix_validation,
)
from peering.validators import (
    check_host_address,
    parse_prefix,
    validate_max_prefixes,
    validate_public_asn,
)

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


# --- Connection lifecycle: the operators' queue and their moves -------------------------------


def _connection_label(connection: PeeringConnection) -> str:
    """How a connection is named in messages: peering, place and the start of its identifier
    (a Direct peering usually has two connections at one facility)."""
    return (
        f"{connection.peering.name} at {connection.facility_name} "
        f"({str(connection.connection_identifier)[:8]})"
    )


def _level(exc: Exception) -> int:
    return messages.WARNING if isinstance(exc, ValidationError) else messages.ERROR


def _field_errors(exc: Exception, field: str) -> list[str] | None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return exc.message_dict.get(field)
    return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Move:
    """One operator action: the connection state it moves to, and how it asks for a note."""

    name: str
    to_state: str
    description: str
    note: str = ""  # "" (no page), "required" or "optional": a page with a note field
    only_from: frozenset = frozenset()  # the admin offers it only from these states (if any)
    never_from: frozenset = frozenset()  # ... and never from these (another action fits)
    note_help: str = ""

    @property
    def is_type_change_reject(self) -> bool:
        return self.name == "reject_type_change"

    def offered_from(self, state: str) -> bool:
        if self.only_from and state not in self.only_from:
            return False
        if state in self.never_from:
            return False
        return self.to_state in allowed_transitions(state, actor=Actor.OPERATOR)

    def refusal(self, state: str) -> str | None:
        """The admin's own refusal for moves that share a target state with another action."""
        if self.only_from and state not in self.only_from:
            return f"it is {state}: there is no type change request to decide."
        if state in self.never_from:
            return (
                f"it is {state}: decide the type change with “Approve type change” or "
                "“Reject type change…”."
            )
        return None


S = ConnectionState
MOVES: list[Move] = [
    Move("register", S.PENDING_APPROVAL, "Register request (PendingApproval)"),
    Move("approve", S.APPROVED, "Approve"),
    Move("start_provisioning", S.PROVISIONING_STARTED, "Start provisioning"),
    Move("complete_provisioning", S.PROVISIONING_COMPLETED, "Complete provisioning"),
    Move("start_validation", S.VALIDATING, "Start validation"),
    Move("activate", S.ACTIVE, "Activate", never_from=frozenset({S.TYPE_CHANGE_REQUESTED})),
    Move(
        "mark_provisioning_failed",
        S.PROVISIONING_FAILED,
        "Mark provisioning failed…",
        note="required",
        note_help=(
            "Becomes the connection's error message in the portal and is emailed to the Peer "
            "ASN's contacts, e.g. “No BGP session came up on 192.0.2.1; check the cross-connect.”"
        ),
    ),
    Move(
        "mark_external_blocker",
        S.EXTERNAL_BLOCKER,
        "Mark external blocker…",
        note="required",
        note_help=(
            "What blocks progress outside Microsoft; the peer sees it as the error message, "
            "e.g. “The LOA for the cross-connect has expired; send a new one.”"
        ),
    ),
    Move("approve_type_change", S.TYPE_CHANGE_IN_PROGRESS, "Approve type change"),
    Move(
        "reject_type_change",
        S.ACTIVE,
        "Reject type change…",
        note="required",
        only_from=frozenset({S.TYPE_CHANGE_REQUESTED}),
        note_help=(
            "Why the request is refused; the connection goes back to Active and the peer is "
            "told, e.g. “No Peering Service agreement is signed for this subscription.”"
        ),
    ),
    Move(
        "mark_pending_remove",
        S.PENDING_REMOVE,
        "Remove connection (PendingRemove)…",
        note="optional",
        note_help="Optional: why Microsoft removes the connection; the peer sees it.",
    ),
]
MOVES_BY_NAME = {move.name: move for move in MOVES}


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note", widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), max_length=2000
    )

    def __init__(self, *args, required: bool = True, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].required = required
        self.fields["note"].help_text = help_text


SESSION_CHOICES = [("", "Leave unchanged"), *SessionState.choices]


class SessionStateForm(forms.Form):
    state_v4 = forms.ChoiceField(
        label="IPv4 session state", choices=SESSION_CHOICES, required=False
    )
    state_v6 = forms.ChoiceField(
        label="IPv6 session state", choices=SESSION_CHOICES, required=False
    )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("state_v4") or cleaned.get("state_v6")):
            raise ValidationError("Choose a state for the IPv4 session, the IPv6 session or both.")
        return cleaned


class AllocateForm(forms.Form):
    POOL, TYPED = "pool", "typed"
    source = forms.ChoiceField(
        label="Addresses",
        choices=[
            (POOL, "Next free /31 and /127 from the facility's pool"),
            (TYPED, "The prefixes typed below"),
        ],
        initial=POOL,
        widget=forms.RadioSelect,
    )
    session_prefix_v4 = forms.CharField(
        label="Session IPv4 prefix",
        required=False,
        max_length=18,
        help_text="A /31 (or /30), e.g. 203.0.113.8/31. The first address is the peer's.",
    )
    session_prefix_v6 = forms.CharField(
        label="Session IPv6 prefix",
        required=False,
        max_length=43,
        help_text=(
            "A /127 (or /126), e.g. 2001:db8:8075::8/127. Left empty, IPv6 comes from the pool "
            "if the facility has an IPv6 pool."
        ),
    )

    def __init__(self, *args, count: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.count = count

    def clean(self):
        cleaned = super().clean()
        typed = [f for f in ("session_prefix_v4", "session_prefix_v6") if cleaned.get(f)]
        if cleaned.get("source") == self.POOL:
            for field in typed:
                self.add_error(field, "Clear this prefix, or choose “The prefixes typed below”.")
        elif cleaned.get("source") == self.TYPED:
            if not typed:
                self.add_error("session_prefix_v4", "Type the session prefix to allocate.")
            if self.count > 1:
                raise ValidationError(
                    "Typed prefixes are for one connection at a time: select one connection, "
                    "or allocate from the pool."
                )
        return cleaned


MAX_ROUTES_UPLOAD_BYTES = 20 * 1024 * 1024


class ReceivedRoutesForm(forms.Form):
    """The routes Microsoft receives on one connection: a JSON-lines file, or pasted lines."""

    file = forms.FileField(
        label="Routes file",
        required=False,
        allow_empty_file=True,  # an empty file withdraws every route of the connection
        help_text=(
            "JSON lines (UTF-8), one route per line, at most 20 MB; see docs/received-routes.md. "
            "An empty file withdraws every route of the connection."
        ),
    )
    text = forms.CharField(
        label="Or paste the routes",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 100, "spellcheck": "false"}),
        help_text=(
            'For a few routes, e.g. {"prefix": "45.60.10.0/24", "next_hop": "206.81.80.40", '
            '"as_path": "59999 65010", "communities": ["8075:8007"]}. Larger sets: upload a file.'
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if upload.size > MAX_ROUTES_UPLOAD_BYTES:
            raise ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; at most "
                f"{MAX_ROUTES_UPLOAD_BYTES // 1024 // 1024} MB can be uploaded."
            )
        data = upload.read()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ValidationError(
                f"Line {line}: the file is not UTF-8 text (byte {exc.start + 1} cannot be read)."
            ) from None
        if "\x00" in text:
            raise ValidationError("The file is not text: it holds NUL characters.")
        return text

    def clean_text(self):
        text = self.cleaned_data.get("text", "")
        if "\x00" in text:
            raise ValidationError("The routes hold NUL characters.")
        return text

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        from_file, pasted = cleaned.get("file"), cleaned.get("text", "")
        if from_file is not None and pasted.strip():
            raise ValidationError("Upload a file or paste routes, not both.")
        if from_file is None and not pasted.strip():
            raise ValidationError(
                "Choose a file, or paste the routes. (To withdraw every route of the "
                "connection, upload an empty file.)"
            )
        cleaned["routes_field"] = "file" if from_file is not None else "text"
        cleaned["routes_text"] = from_file if from_file is not None else pasted
        return cleaned


class IntermediatePageMixin:
    """Intermediate pages of actions (a reason, a note, a choice): re-post the selection to the
    same action, from the changelist or from the change form."""

    action_template = "admin/peering/action_form.html"

    def _action_page(
        self,
        request,
        *,
        action_name: str,
        title: str,
        intro: str,
        columns: list[str],
        rows: list[tuple[object, str, list[object]]],
        form: forms.Form,
        submit_label: str,
    ):
        """`rows` are (pk, seen state or "", cells)."""
        on_change_form = f"{ActionLocation.CHANGE_FORM.value}-action" in request.POST
        opts = self.opts
        if on_change_form and len(rows) == 1:
            cancel_url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[rows[0][0]]
            )
        else:
            cancel_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": opts,
            "intro": intro,
            "columns": columns,
            "rows": rows,
            "form": form,
            "action_name": action_name,
            "action_field_name": (
                f"{ActionLocation.CHANGE_FORM.value}-action" if on_change_form else "action"
            ),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "submit_label": submit_label,
            "cancel_url": cancel_url,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.action_template, context, status=200)


class WaitingOnFilter(admin.SimpleListFilter):
    """Who acts next. Without a choice the changelist is the operators' queue; an explicit
    selection of rows is never narrowed by that default (the operator picked those rows)."""

    title = "waiting on"
    parameter_name = "waiting_on"
    DEFAULT = "microsoft"

    def lookups(self, request, model_admin):
        return [
            ("microsoft", "Microsoft (the operators' queue)"),
            ("peer", "The peer"),
            ("nobody", "Nobody (Active)"),
            ("all", "All connections"),
        ]

    def value(self):
        value = super().value()
        if value is not None:
            return value
        post = self.request.POST
        if (
            self.request.method == "POST"
            and post.getlist(helpers.ACTION_CHECKBOX_NAME)
            and post.get("select_across") != "1"
        ):
            return "all"
        return self.DEFAULT

    def queryset(self, request, queryset):
        value = self.value()
        if value == "microsoft":
            return queryset.filter(connection_state__in=awaiting_operator_states())
        if value == "peer":
            states = [s for s, step in NEXT_STEPS.items() if step.actor == Actor.PEER]
            return queryset.filter(connection_state__in=states)
        if value == "nobody":
            states = [s for s, step in NEXT_STEPS.items() if step.actor is None]
            return queryset.filter(connection_state__in=states)
        return queryset

    def choices(self, changelist):
        # No "All" entry of its own: "All connections" is a choice, the default is the queue.
        choices = super().choices(changelist)
        next(choices)
        yield from choices


class MetroFilter(admin.SimpleListFilter):
    title = "metro"
    parameter_name = "metro"

    def lookups(self, request, model_admin):
        return list(PeeringLocation.objects.order_by("name").values_list("pk", "name"))

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not str(value).isdigit():
            return queryset.none()
        return queryset.filter(
            Q(direct_facility__location_id=value) | Q(exchange__location_id=value)
        )


class ConnectionTransitionInline(admin.TabularInline):
    """The connection's timeline: every state change, who made it, and the note."""

    model = ConnectionTransition
    extra = 0
    fields = ["created_at", "from_state", "to_state", "actor", "user", "note"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    verbose_name = "state change"
    verbose_name_plural = "timeline"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _transition_action(move: Move):
    def action(modeladmin, request, queryset):
        return modeladmin.run_move(request, queryset, move)

    action.__name__ = move.name
    plural = move.description.removesuffix("…")
    return admin.action(
        permissions=["operate"],
        description=move.description,
        description_plural=f"{plural} (selected connections){'…' if move.note else ''}",
        location=BOTH_LOCATIONS,
    )(action)


@admin.register(PeeringConnection)
class PeeringConnectionAdmin(IntermediatePageMixin, ReadOnlyModelAdmin):
    """The operators' queue (connections waiting on Microsoft, oldest first) and their moves.

    Every field is read-only: the connection changes only through the actions, which call
    `connection_transition`, `session_state_set` and `connection_allocate_addresses` (the
    services lock the row, check the move against the state table, record the timeline and
    the Activity log and notify the peer).
    """

    list_display = [
        "place",
        "peering_link",
        "subscription",
        "connection_state",
        "ipv4_session",
        "ipv6_session",
        "addresses_by",
        "waiting_since",
        "next_step",
    ]
    list_display_links = ["place"]
    list_filter = [
        WaitingOnFilter,
        "connection_state",
        "peering__kind",
        MetroFilter,
        "session_address_provider",
        "use_for_peering_service",
    ]
    search_fields = [
        "=connection_identifier",
        "microsoft_tracking_id",
        "peering__name",
        "peering__subscription__display_name",
        "peer_session_ipv4_address",
        "peer_session_ipv6_address",
    ]
    list_select_related = [
        "peering__subscription",
        "direct_facility__location",
        "exchange__location",
    ]
    ordering = ["updated_at", "id"]
    inlines = [ConnectionTransitionInline]
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
        (
            "State",
            {
                "description": (
                    "Move the connection with the actions above; the peer's contacts are "
                    "emailed at each milestone."
                ),
                "fields": [
                    "connection_state",
                    "error_message",
                    "next_step_detail",
                    "microsoft_moves",
                ],
            },
        ),
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
        (
            "Received routes",
            {
                "description": "Replace them with the “Upload received routes…” action above.",
                "fields": ["received_routes_summary"],
            },
        ),
        ("History", {"fields": ["created_at", "updated_at"]}),
    ]
    actions = [
        *(_transition_action(move) for move in MOVES),
        "set_ipv4_established",
        "set_ipv6_established",
        "set_session_state",
        "allocate_addresses",
        "upload_received_routes",
    ]

    QUEUE_TITLES = {
        "microsoft": "Connections awaiting Microsoft (oldest first)",
        "peer": "Connections awaiting the peer",
        "nobody": "Active connections",
        "all": "All connections",
    }

    def get_readonly_fields(self, request, obj=None):
        return [f for _, options in self.fieldsets for f in options["fields"]]

    def changelist_view(self, request, extra_context=None):
        waiting = request.GET.get(WaitingOnFilter.parameter_name, WaitingOnFilter.DEFAULT)
        title = self.QUEUE_TITLES.get(waiting, "Peering connections")
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def has_operate_permission(self, request, obj=None):
        """Who may move connections: staff holding the model's change permission."""
        return request.user.is_staff and request.user.has_perm("peering.change_peeringconnection")

    def get_action_choices(
        self, request, default_choices=None, action_location=ActionLocation.CHANGE_LIST
    ):
        """On a connection's page, offer only the moves its current state allows. (A POST keeps
        every choice: the service decides, and says why if the state has changed.)"""
        choices = super().get_action_choices(
            request, default_choices=default_choices, action_location=action_location
        )
        if action_location != ActionLocation.CHANGE_FORM or request.method != "GET":
            return choices
        object_id = str((request.resolver_match.kwargs or {}).get("object_id", ""))
        if not object_id.isdigit():
            return choices
        row = (
            PeeringConnection.objects.filter(pk=int(object_id))
            .values_list("connection_state", "session_address_provider")
            .first()
        )
        if row is None:
            return choices
        state, provider = row
        hidden = {move.name for move in MOVES if not move.offered_from(state)}
        if provider != SessionAddressProvider.MICROSOFT or state == S.PENDING_REMOVE:
            hidden.add("allocate_addresses")
        return [choice for choice in choices if choice[0] not in hidden]

    # --- list columns ---

    @admin.display(description="Facility / exchange")
    def place(self, obj):
        place = obj.direct_facility or obj.exchange
        if place is None:
            return "—"
        return f"{place.name} ({place.location.name})"

    @admin.display(description="Peering", ordering="peering__name")
    def peering_link(self, obj):
        url = reverse("admin:peering_peering_change", args=[obj.peering_id])
        return format_html('<a href="{}">{}</a>', url, obj.peering.name)

    @admin.display(description="Subscription", ordering="peering__subscription__display_name")
    def subscription(self, obj):
        return obj.peering.subscription.display_name

    @admin.display(description="IPv4 session", ordering="session_state_v4")
    def ipv4_session(self, obj):
        return obj.session_state_v4

    @admin.display(description="IPv6 session", ordering="session_state_v6")
    def ipv6_session(self, obj):
        return obj.session_state_v6

    @admin.display(description="Addresses by", ordering="session_address_provider")
    def addresses_by(self, obj):
        return obj.session_address_provider or "—"

    @admin.display(description="Waiting since", ordering="updated_at")
    def waiting_since(self, obj):
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            obj.updated_at.isoformat(),
            date_format(timezone.localtime(obj.updated_at), "DATETIME_FORMAT"),
            naturaltime(obj.updated_at),
        )

    @admin.display(description="Next step")
    def next_step(self, obj):
        step = NEXT_STEPS.get(obj.connection_state)
        if step is None or step.actor is None:
            return "—"
        # Short in the list (the full step is the tooltip and on the connection's page).
        wait = f", usually {step.usual_wait}" if step.usual_wait else ""
        return format_html(
            '<span title="{}">{}{}</span>', step.action, Actor(step.actor).label, wait
        )

    @admin.display(description="Next step")
    def next_step_detail(self, obj):
        step = NEXT_STEPS.get(obj.connection_state)
        if step is None or step.actor is None:
            return "Nobody: traffic flows."
        wait = f" (usually {step.usual_wait})" if step.usual_wait else ""
        return f"{Actor(step.actor).label}: {step.action}{wait}"

    @admin.display(description="Microsoft's possible moves")
    def microsoft_moves(self, obj):
        names = [move.description for move in MOVES if move.offered_from(obj.connection_state)]
        return ", ".join(names) or "None: the peer acts next, or the connection is being removed."

    # --- state moves ---

    def _apply_seen_states(self, request, connections) -> None:
        """On a confirmation page's POST, compare with the states the operator saw there."""
        for connection in connections:
            seen = request.POST.get(f"seen-{connection.pk}")
            if seen in ConnectionState.values:
                connection.connection_state = seen

    def run_move(self, request, queryset, move: Move):
        connections = list(
            queryset.select_related("peering", "direct_facility", "exchange").order_by("pk")
        )
        form = None
        note = ""
        if move.note:
            form = NoteForm(
                request.POST if "post" in request.POST else None,
                required=move.note == "required",
                help_text=move.note_help,
            )
            if not form.is_valid():
                return self._move_page(request, connections, move, form)
            note = form.cleaned_data["note"]
            self._apply_seen_states(request, connections)
        moved = []
        for connection in connections:
            label = _connection_label(connection)
            refusal = move.refusal(connection.connection_state)
            if refusal:
                self.message_user(
                    request,
                    f"{label} was not moved to {move.to_state}: {refusal}",
                    messages.WARNING,
                )
                continue
            try:
                connection_transition(
                    connection=connection,
                    to_state=move.to_state,
                    user=request.user,
                    actor=Actor.OPERATOR,
                    note=note,
                )
            except (ValidationError, PermissionDenied) as exc:
                note_errors = _field_errors(exc, "note")
                if note_errors and form is not None and not moved:
                    # The note itself was refused (the same for every connection): ask again.
                    for message in note_errors:
                        form.add_error("note", message)
                    return self._move_page(request, connections, move, form)
                self.message_user(
                    request,
                    f"{label} was not moved to {move.to_state}: {_refusal_text(exc)}",
                    _level(exc),
                )
            else:
                moved.append(label)
        if moved:
            told = " The peer's contacts will be emailed." if move.to_state in MILESTONES else ""
            self.message_user(
                request,
                f"Moved {_plural(len(moved), 'connection')} to {move.to_state}: "
                f"{', '.join(moved)}.{told}",
                messages.SUCCESS,
            )
        return None

    def _move_page(self, request, connections, move: Move, form):
        if move.is_type_change_reject:
            intro = (
                "The type change requests of the selected connections will be rejected: they go "
                "back to Active, and the note is shown to the peer and emailed to its contacts."
            )
        else:
            intro = (
                f"The selected connections will move to {move.to_state}. The note is recorded "
                "in each connection's timeline and the Activity log, and the peer is told."
            )
        return self._action_page(
            request,
            action_name=move.name,
            title=move.description.removesuffix("…"),
            intro=intro,
            columns=["Connection", "Subscription", "Connection state", "Allowed"],
            rows=[
                (
                    c.pk,
                    c.connection_state,
                    [
                        _connection_label(c),
                        c.peering.subscription.display_name,
                        c.connection_state,
                        "yes"
                        if move.offered_from(c.connection_state)
                        else f"no: {move.refusal(c.connection_state) or 'not from this state'}",
                    ],
                )
                for c in connections
            ],
            form=form,
            submit_label=f"{move.description.removesuffix('…')} "
            f"({_plural(len(connections), 'connection')})",
        )

    # --- session states ---

    def _set_sessions(self, request, connections, states: dict[int, str]) -> None:
        done = []
        for connection in connections:
            label = _connection_label(connection)
            for family, state in states.items():
                try:
                    session_state_set(
                        connection=connection, family=family, state=state, operator=request.user
                    )
                except (ValidationError, PermissionDenied) as exc:
                    self.message_user(
                        request,
                        f"{label}: the IPv{family} session was not set to {state}: "
                        f"{_refusal_text(exc)}",
                        _level(exc),
                    )
                else:
                    done.append(f"{label} IPv{family} {state}")
        if done:
            self.message_user(request, f"Session states set: {'; '.join(done)}.", messages.SUCCESS)

    def _selected_connections(self, queryset):
        return list(
            queryset.select_related(
                "peering__subscription", "direct_facility__address_pool", "exchange"
            ).order_by("pk")
        )

    @admin.action(
        permissions=["operate"],
        description="Set IPv4 session Established",
        description_plural="Set IPv4 session Established (selected connections)",
        location=BOTH_LOCATIONS,
    )
    def set_ipv4_established(self, request, queryset):
        self._set_sessions(request, self._selected_connections(queryset), {4: "Established"})

    @admin.action(
        permissions=["operate"],
        description="Set IPv6 session Established",
        description_plural="Set IPv6 session Established (selected connections)",
        location=BOTH_LOCATIONS,
    )
    def set_ipv6_established(self, request, queryset):
        self._set_sessions(request, self._selected_connections(queryset), {6: "Established"})

    @admin.action(
        permissions=["operate"],
        description="Set session states…",
        description_plural="Set session states (selected connections)…",
        location=BOTH_LOCATIONS,
    )
    def set_session_state(self, request, queryset):
        connections = self._selected_connections(queryset)
        form = SessionStateForm(request.POST if "post" in request.POST else None)
        if form.is_valid():
            states = {
                family: form.cleaned_data[f"state_v{family}"]
                for family in (4, 6)
                if form.cleaned_data[f"state_v{family}"]
            }
            self._set_sessions(request, connections, states)
            return None
        return self._action_page(
            request,
            action_name="set_session_state",
            title="Set BGP session states",
            intro="Record the BGP state of each address family's session, as seen on "
            "Microsoft's routers. The peer sees it in the Connections grid.",
            columns=["Connection", "Connection state", "IPv4 session", "IPv6 session"],
            rows=[
                (
                    c.pk,
                    "",
                    [
                        _connection_label(c),
                        c.connection_state,
                        c.session_state_v4 if c.session_prefix_v4 else "— (no IPv4 session)",
                        c.session_state_v6 if c.session_prefix_v6 else "— (no IPv6 session)",
                    ],
                )
                for c in connections
            ],
            form=form,
            submit_label="Set session states",
        )

    # --- session addresses ---

    @admin.action(
        permissions=["operate"],
        description="Allocate session addresses…",
        description_plural="Allocate session addresses (selected connections)…",
        location=BOTH_LOCATIONS,
    )
    def allocate_addresses(self, request, queryset):
        connections = self._selected_connections(queryset)
        form = AllocateForm(
            request.POST if "post" in request.POST else None, count=len(connections)
        )
        if form.is_valid():
            typed = form.cleaned_data["source"] == AllocateForm.TYPED
            prefixes = {
                field: form.cleaned_data[field] if typed else ""
                for field in ("session_prefix_v4", "session_prefix_v6")
            }
            done, failures = [], []
            for connection in connections:
                try:
                    allocated = connection_allocate_addresses(
                        connection=connection, operator=request.user, **prefixes
                    )
                except (ValidationError, PermissionDenied) as exc:
                    failures.append((connection, exc))
                else:
                    done.append(allocated)
            if done or not failures:
                for connection, exc in failures:
                    self.message_user(
                        request,
                        f"{_connection_label(connection)}: no addresses allocated: "
                        f"{_refusal_text(exc)}",
                        _level(exc),
                    )
                if done:
                    summary = "; ".join(
                        f"{_connection_label(c)}: "
                        + ", ".join(p for p in (c.session_prefix_v4, c.session_prefix_v6) if p)
                        for c in done
                    )
                    self.message_user(
                        request,
                        f"Allocated session addresses for {_plural(len(done), 'connection')}: "
                        f"{summary}. The peer's contacts will be emailed.",
                        messages.SUCCESS,
                    )
                return None
            # Nothing was allocated: show why next to the fields.
            many = len(connections) > 1
            for connection, exc in failures:
                prefix = f"{_connection_label(connection)}: " if many else ""
                if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        target = field if field in form.fields else None
                        for message in errors:
                            form.add_error(target, prefix + message)
                else:
                    form.add_error(None, prefix + _refusal_text(exc))
        return self._action_page(
            request,
            action_name="allocate_addresses",
            title="Allocate session addresses",
            intro=(
                "For connections whose session address provider is Microsoft: give each its "
                "session subnets. The first address of a subnet is the peer's, the next "
                "Microsoft's. The peer's contacts are emailed the addresses."
            ),
            columns=["Connection", "Provider", "State", "IPv4 prefix", "IPv6 prefix", "Pool"],
            rows=[
                (
                    c.pk,
                    "",
                    [
                        _connection_label(c),
                        c.session_address_provider or "—",
                        c.connection_state,
                        c.session_prefix_v4 or "—",
                        c.session_prefix_v6 or "—",
                        self._pool_text(c),
                    ],
                )
                for c in connections
            ],
            form=form,
            submit_label="Allocate",
        )

    # --- received routes ---

    @admin.display(description="Received routes")
    def received_routes_summary(self, obj):
        summary = obj.received_routes.aggregate(count=Count("pk"), last=Max("received_at"))
        if not summary["count"]:
            return "None loaded."
        url = reverse("admin:peering_receivedroute_changelist")
        return format_html(
            '<a href="{}?connection__id__exact={}">{}</a>, last received {}',
            url,
            obj.pk,
            _plural(summary["count"], "route"),
            date_format(timezone.localtime(summary["last"]), "DATETIME_FORMAT"),
        )

    @admin.action(
        permissions=["operate"],
        description="Upload received routes…",
        description_plural="Upload received routes (one selected connection)…",
        location=BOTH_LOCATIONS,
    )
    def upload_received_routes(self, request, queryset):
        """Replace one connection's received routes with an uploaded JSON-lines file (or pasted
        lines), through `peering.services.routes`: nothing is imported if any line is wrong."""
        connections = self._selected_connections(queryset)
        if len(connections) != 1:
            self.message_user(
                request,
                "Upload received routes for one connection at a time: "
                f"{_plural(len(connections), 'connection')} were selected.",
                messages.WARNING,
            )
            return None
        connection = connections[0]
        label = _connection_label(connection)
        form = ReceivedRoutesForm(
            request.POST if "post" in request.POST else None,
            request.FILES if "post" in request.POST else None,
        )
        if form.is_valid():
            field = form.cleaned_data["routes_field"]
            try:
                result = self._import_routes(
                    connection, form.cleaned_data["routes_text"], request.user
                )
            except PermissionDenied as exc:
                self.message_user(
                    request,
                    f"{label}: no routes were imported: {_refusal_text(exc)}",
                    messages.ERROR,
                )
                return None
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(field, message)
            except DataError:
                form.add_error(
                    field, "The routes hold text the database cannot store; nothing was imported."
                )
            else:
                self.message_user(
                    request,
                    f"{label}: imported {_plural(result.routes, 'route')}: "
                    f"{len(result.announced)} announced, {len(result.withdrawn)} withdrawn, "
                    f"{_plural(len(result.origin_changed), 'origin change')}; "
                    f"{_plural(result.events, 'prefix event')} recorded, "
                    f"{result.revalidated} Peering Service "
                    f"prefix{'' if result.revalidated == 1 else 'es'} queued for validation "
                    "again.",
                    messages.SUCCESS,
                )
                return None
        current = connection.received_routes.count()
        return self._action_page(
            request,
            action_name="upload_received_routes",
            title="Upload received routes",
            intro=(
                "The routes Microsoft receives on this connection are replaced by these: "
                "JSON lines, one route per line (docs/received-routes.md). A line may name "
                "this connection's identifier or none; nothing is imported if any line is "
                "wrong. Announcements, withdrawals and origin changes of Peering Service "
                "prefixes are recorded as prefix events and those prefixes validated again."
            ),
            columns=["Connection", "Identifier", "Connection state", "Received routes now"],
            rows=[
                (
                    connection.pk,
                    "",
                    [label, connection.connection_identifier, connection.connection_state, current],
                )
            ],
            form=form,
            submit_label="Upload and replace the routes",
        )

    @staticmethod
    def _import_routes(connection, text: str, operator):
        """Parse, check every line names this connection (or none), then import the set."""
        groups = parse_jsonl(text)
        own = {"", str(connection.connection_identifier).lower()}
        others = sorted(identifier for identifier in groups if identifier not in own)
        if others:
            raise ValidationError(
                f"Lines name other connections ({', '.join(o[:40] for o in others[:5])}): "
                "upload those routes on their own connection, or leave `connection` out."
            )
        routes = [route for routes in groups.values() for route in routes]
        return received_routes_import(connection=connection, routes=routes, operator=operator)

    @staticmethod
    def _pool_text(connection) -> str:
        facility = connection.direct_facility
        if facility is None:
            return "— (exchange)"
        pool = getattr(facility, "address_pool", None)
        if pool is None:
            return f"{facility.name} has no pool"
        return ", ".join(p for p in (pool.ipv4_pool, pool.ipv6_pool) if p)


@admin.register(ConnectionTransition)
class ConnectionTransitionAdmin(ReadOnlyModelAdmin):
    """Every connection state change: the audit trail behind each connection's timeline."""

    list_display = ["created_at", "connection", "from_state", "to_state", "actor", "user", "note"]
    list_filter = ["to_state", "from_state", "actor"]
    search_fields = ["connection__peering__name", "note", "user__username", "=connection__pk"]
    list_select_related = [
        "connection__peering",
        "connection__direct_facility",
        "connection__exchange",
        "user",
    ]
    date_hierarchy = "created_at"
    readonly_fields = [
        "connection",
        "from_state",
        "to_state",
        "actor",
        "user",
        "note",
        "created_at",
    ]
    fields = readonly_fields


# --- Deprovisioning -------------------------------------------------------------------------


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        max_length=2000,
        help_text=(
            "Shown to the peer and emailed to the Peer ASN's contacts, e.g. “Customers still "
            "use this peering's registered ASNs; move them first.”"
        ),
    )


@admin.register(DeprovisionRequest)
class DeprovisionRequestAdmin(IntermediatePageMixin, ReadOnlyModelAdmin):
    """Peers' requests to remove a peering; decided only through the actions, which call
    `deprovision_accept` / `deprovision_decline` / `deprovision_complete`."""

    list_display = [
        "peering_name",
        "subscription",
        "state",
        "requested_by",
        "requested_at",
        "reason_short",
        "customers_confirmed",
    ]
    list_filter = ["state", "requested_at"]
    search_fields = ["peering_name", "resource_id", "subscription__display_name", "reason"]
    list_select_related = ["subscription", "requested_by"]
    date_hierarchy = "requested_at"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "peering_name",
                    "peering",
                    "resource_id",
                    "subscription",
                    "reason",
                    "customers_confirmed",
                    "requested_by",
                    "requested_at",
                ]
            },
        ),
        (
            "Decision",
            {
                "description": "Decide with the Accept / Decline… / Complete actions above.",
                "fields": ["state", "decided_by", "decided_at", "decline_reason", "completed_at"],
            },
        ),
    ]
    actions = ["accept_selected", "decline_selected", "complete_selected"]

    def get_readonly_fields(self, request, obj=None):
        return [f for _, options in self.fieldsets for f in options["fields"]]

    def get_ordering(self, request):
        open_first = Case(
            When(state=DeprovisionRequest.State.REQUESTED, then=Value(0)),
            When(state=DeprovisionRequest.State.ACCEPTED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return [open_first.asc(), "requested_at", "pk"]

    def has_decide_permission(self, request, obj=None):
        return request.user.is_staff and request.user.has_perm("peering.change_deprovisionrequest")

    @admin.display(description="Reason")
    def reason_short(self, obj):
        return obj.reason if len(obj.reason) <= 80 else obj.reason[:79] + "…"

    def _decide_each(self, request, queryset, service, *, verb: str, done_text: str, **kwargs):
        decided = []
        for deprovision in queryset.order_by("pk"):
            try:
                service(operator=request.user, request=deprovision, **kwargs)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(
                    request,
                    f"The request for {deprovision.peering_name} was not {verb}: "
                    f"{_refusal_text(exc)}",
                    _level(exc),
                )
            except ObjectDoesNotExist:
                self.message_user(
                    request,
                    f"The request for {deprovision.peering_name} was not {verb}: its peering "
                    "no longer exists.",
                    messages.ERROR,
                )
            else:
                decided.append(deprovision.peering_name)
        if decided:
            self.message_user(
                request,
                f"{verb.capitalize()} {_plural(len(decided), 'deprovisioning request')}: "
                f"{', '.join(decided)}. {done_text}",
                messages.SUCCESS,
            )

    @admin.action(
        permissions=["decide"],
        description="Accept",
        description_plural="Accept selected deprovisioning requests",
        location=BOTH_LOCATIONS,
    )
    def accept_selected(self, request, queryset):
        self._decide_each(
            request,
            queryset,
            deprovision_accept,
            verb="accepted",
            done_text="Their connections are PendingRemove.",
        )

    @admin.action(
        permissions=["decide"],
        description="Complete (remove the peering)",
        description_plural="Complete selected deprovisioning requests (remove the peerings)",
        location=BOTH_LOCATIONS,
    )
    def complete_selected(self, request, queryset):
        self._decide_each(
            request,
            queryset,
            deprovision_complete,
            verb="completed",
            done_text="The peerings were removed; the peers are told.",
        )

    @admin.action(
        permissions=["decide"],
        description="Decline…",
        description_plural="Decline selected deprovisioning requests…",
        location=BOTH_LOCATIONS,
    )
    def decline_selected(self, request, queryset):
        requests = list(queryset.select_related("subscription").order_by("pk"))
        form = DeclineForm(request.POST if "post" in request.POST else None)
        if form.is_valid():
            declined = []
            for deprovision in requests:
                try:
                    deprovision_decline(
                        operator=request.user,
                        request=deprovision,
                        reason=form.cleaned_data["reason"],
                    )
                except (ValidationError, PermissionDenied) as exc:
                    reason_errors = _field_errors(exc, "reason")
                    if reason_errors and not declined:
                        for message in reason_errors:
                            form.add_error("reason", message)
                        break
                    self.message_user(
                        request,
                        f"The request for {deprovision.peering_name} was not declined: "
                        f"{_refusal_text(exc)}",
                        _level(exc),
                    )
                else:
                    declined.append(deprovision.peering_name)
            else:
                if declined:
                    self.message_user(
                        request,
                        f"Declined {_plural(len(declined), 'deprovisioning request')}: "
                        f"{', '.join(declined)}. The peers are told the reason.",
                        messages.SUCCESS,
                    )
                return None
        return self._action_page(
            request,
            action_name="decline_selected",
            title="Decline deprovisioning",
            intro="The selected requests will be declined; the peering stays. The reason is "
            "shown to the peer and emailed to the Peer ASN's contacts.",
            columns=["Peering", "Subscription", "State", "Reason given by the peer"],
            rows=[
                (r.pk, "", [r.peering_name, r.subscription.display_name, r.state, r.reason])
                for r in requests
            ],
            form=form,
            submit_label=f"Decline ({_plural(len(requests), 'request')})",
        )


@admin.register(FacilityAddressPool)
class FacilityAddressPoolAdmin(admin.ModelAdmin):
    """Where Microsoft-provided session addresses come from; also editable on the facility."""

    form = FacilityAddressPoolForm
    list_display = ["direct_facility", "ipv4_pool", "ipv6_pool"]
    search_fields = ["direct_facility__name", "ipv4_pool", "ipv6_pool"]
    list_select_related = ["direct_facility__location"]
    autocomplete_fields = ["direct_facility"]


# --- Peering Service ------------------------------------------------------------------------
#
# Registered ASNs and prefixes, Peering Services and their prefixes are tenant resources written
# by `peering.services.peering_service`; operators look at them and may queue a prefix's
# validation again. A customer's prefix key is never shown (only its last four characters, on
# the prefix's page); a registered ASN's or prefix's key is shown on its own page only.


def _key_hint(key: str) -> str:
    key = str(key or "")
    if len(key) < 12:
        return "(hidden)" if key else "—"
    return f"…{key[-4:]}"


def _queue_validation(model, ids: list[int], enqueue) -> None:
    """Pending, then validate once committed (as the tenants' Re-validate does)."""
    with transaction.atomic():
        model.objects.filter(pk__in=ids).update(validation_state=PrefixValidationState.PENDING)
        enqueue(ids)


class RevalidateMixin:
    """A "Re-validate" action for staff holding the model's change permission."""

    def has_revalidate_permission(self, request, obj=None):
        opts = self.opts
        return request.user.is_staff and request.user.has_perm(
            f"{opts.app_label}.change_{opts.model_name}"
        )

    def _revalidate(self, request, queryset, enqueue, noun: str):
        rows = list(queryset.order_by("pk"))
        _queue_validation(self.model, [row.pk for row in rows], enqueue)
        names = ", ".join(str(row) for row in rows[:20]) + (" …" if len(rows) > 20 else "")
        self.message_user(
            request,
            f"Queued validation of {len(rows)} {noun}{'' if len(rows) == 1 else 'es'}: {names}. "
            "Each is Pending until the check has run.",
            messages.SUCCESS,
        )


class RegisteredAsnOfPeeringInline(PeerContactInline):
    model = RegisteredAsn
    fields = ["name", "asn", "created_at", "key_rotated_at"]
    readonly_fields = fields
    show_change_link = True
    verbose_name = "registered ASN"
    verbose_name_plural = "registered ASNs"


class RegisteredPrefixOfPeeringInline(PeerContactInline):
    model = RegisteredPrefix
    fields = ["name", "prefix", "validation_state", "validated_at"]
    readonly_fields = fields
    show_change_link = True
    verbose_name = "registered prefix"
    verbose_name_plural = "registered prefixes"


PeeringAdmin.inlines = [
    *PeeringAdmin.inlines,
    RegisteredAsnOfPeeringInline,
    RegisteredPrefixOfPeeringInline,
]


class PeeringLinkMixin:
    @admin.display(description="Peering", ordering="peering__name")
    def peering_link(self, obj):
        url = reverse("admin:peering_peering_change", args=[obj.peering_id])
        return format_html('<a href="{}">{}</a>', url, obj.peering.name)

    @admin.display(description="Subscription", ordering="peering__subscription__display_name")
    def subscription(self, obj):
        return obj.peering.subscription.display_name

    @admin.display(description="Resource ID")
    def resource_id(self, obj):
        return obj.resource_id


@admin.register(RegisteredAsn)
class RegisteredAsnAdmin(PeeringLinkMixin, ReadOnlyModelAdmin):
    """Customer ASNs registered by route-server providers (`registered_asn_add`); read-only."""

    list_display = [
        "name",
        "asn",
        "peering_link",
        "subscription",
        "customer_prefixes",
        "created_at",
    ]
    list_filter = ["created_at", ("key_rotated_at", admin.EmptyFieldListFilter)]
    search_fields = [
        "name",
        "=asn",
        "peering__name",
        "peering__subscription__display_name",
        "=peering__peer_asn__peer_asn",
    ]
    list_select_related = ["peering__subscription"]
    date_hierarchy = "created_at"
    fields = [
        "name",
        "asn",
        "peering",
        "subscription",
        "resource_id",
        "prefix_key",
        "key_rotated_at",
        "customer_prefixes",
        "created_at",
        "created_by",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(customer_prefix_count=Count("prefixes"))

    @admin.display(description="Customer prefixes", ordering="customer_prefix_count")
    def customer_prefixes(self, obj):
        count = obj.customer_prefix_count
        if not count:
            return "0"
        url = reverse("admin:peering_peeringserviceprefix_changelist")
        return format_html('<a href="{}?registered_asn__id__exact={}">{}</a>', url, obj.pk, count)


@admin.register(RegisteredPrefix)
class RegisteredPrefixAdmin(RevalidateMixin, PeeringLinkMixin, ReadOnlyModelAdmin):
    """Prefixes registered by ISP partners (`registered_prefix_add`); read-only except for
    queueing validation again."""

    list_display = [
        "name",
        "prefix",
        "peering_link",
        "subscription",
        "validation_state",
        "validated_at",
        "created_at",
    ]
    list_filter = ["validation_state", "validated_at", "created_at"]
    search_fields = ["name", "prefix", "peering__name", "peering__subscription__display_name"]
    list_select_related = ["peering__subscription"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["name", "prefix", "peering", "subscription", "resource_id"]}),
        ("Prefix key", {"fields": ["prefix_key"]}),
        (
            "Validation",
            {
                "description": "Queue the checks again with the “Re-validate” action above.",
                "fields": ["validation_state", "error_message", "validated_at"],
            },
        ),
        ("History", {"fields": ["created_at", "created_by"]}),
    ]
    actions = ["revalidate"]

    def get_readonly_fields(self, request, obj=None):
        return [f for _, options in self.fieldsets for f in options["fields"]]

    @admin.action(
        permissions=["revalidate"],
        description="Re-validate",
        description_plural="Re-validate selected registered prefixes",
        location=BOTH_LOCATIONS,
    )
    def revalidate(self, request, queryset):
        self._revalidate(
            request, queryset, enqueue_registered_prefix_validation, "registered prefix"
        )


class PeeringServicePrefixInline(admin.TabularInline):
    """A Peering Service's prefixes, without their keys."""

    model = PeeringServicePrefix
    extra = 0
    fields = ["name", "prefix", "validation_state", "learned_type", "validated_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PeeringService)
class PeeringServiceAdmin(ReadOnlyModelAdmin):
    """Customers' Peering Services (`peering_service_create`); read-only."""

    list_display = [
        "name",
        "subscription",
        "resource_group",
        "provider",
        "location",
        "primary_location",
        "backup_location",
        "prefix_count",
        "created_at",
    ]
    list_filter = ["provider", "primary_location", "provisioning_state", "created_at"]
    search_fields = [
        "name",
        "subscription__display_name",
        "resource_group__name",
        "provider__name",
        "primary_location",
        "backup_location",
    ]
    list_select_related = ["subscription", "resource_group", "provider", "location"]
    date_hierarchy = "created_at"
    fields = [
        "name",
        "resource_id",
        "subscription",
        "resource_group",
        "region",
        "location",
        "provider",
        "primary_location",
        "backup_location",
        "tags",
        "provisioning_state",
        "created_at",
        "created_by",
    ]
    readonly_fields = fields
    inlines = [PeeringServicePrefixInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(prefix_total=Count("prefixes"))

    @admin.display(description="Prefixes", ordering="prefix_total")
    def prefix_count(self, obj):
        return obj.prefix_total

    @admin.display(description="Resource ID")
    def resource_id(self, obj):
        return obj.resource_id


@admin.register(PeeringServicePrefix)
class PeeringServicePrefixAdmin(RevalidateMixin, ReadOnlyModelAdmin):
    """Customers' prefixes (`peering_service_prefix_add`); read-only except for queueing the
    validation again. The prefix key is the customer's secret: never listed, never searched,
    only its last four characters on the prefix's page."""

    list_display = [
        "name",
        "prefix",
        "peering_service",
        "subscription",
        "provider",
        "validation_state",
        "learned_type",
        "validated_at",
    ]
    list_filter = [
        "validation_state",
        "learned_type",
        "peering_service__provider",
        "validated_at",
    ]
    search_fields = [
        "name",
        "prefix",
        "peering_service__name",
        "peering_service__subscription__display_name",
    ]
    list_select_related = ["peering_service__subscription", "peering_service__provider"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "prefix",
                    "peering_service",
                    "subscription",
                    "provider",
                    "resource_id",
                    "prefix_key_hint",
                ]
            },
        ),
        (
            "Validation",
            {
                "description": "Queue the checks again with the “Re-validate” action above.",
                "fields": [
                    "validation_state",
                    "learned_type",
                    "error_message",
                    "validated_at",
                    "registered_asn",
                    "registered_prefix",
                    "events",
                ],
            },
        ),
        ("History", {"fields": ["created_at", "created_by"]}),
    ]
    actions = ["revalidate"]

    def get_readonly_fields(self, request, obj=None):
        return [f for _, options in self.fieldsets for f in options["fields"]]

    @admin.display(
        description="Subscription", ordering="peering_service__subscription__display_name"
    )
    def subscription(self, obj):
        return obj.peering_service.subscription.display_name

    @admin.display(description="Provider", ordering="peering_service__provider__name")
    def provider(self, obj):
        return obj.peering_service.provider.name

    @admin.display(description="Resource ID")
    def resource_id(self, obj):
        return obj.resource_id

    @admin.display(description="Prefix key")
    def prefix_key_hint(self, obj):
        return _key_hint(obj.prefix_key)

    @admin.display(description="Prefix events")
    def events(self, obj):
        count = obj.events.count()
        if not count:
            return "None."
        url = reverse("admin:peering_prefixevent_changelist")
        return format_html(
            '<a href="{}?prefix__id__exact={}">{}</a>', url, obj.pk, _plural(count, "event")
        )

    @admin.action(
        permissions=["revalidate"],
        description="Re-validate",
        description_plural="Re-validate selected Peering Service prefixes",
        location=BOTH_LOCATIONS,
    )
    def revalidate(self, request, queryset):
        self._revalidate(request, queryset, enqueue_prefix_validation, "Peering Service prefix")


@admin.register(PrefixEvent)
class PrefixEventAdmin(ReadOnlyModelAdmin):
    """What happened to Peering Service prefixes' routes, derived from route imports."""

    list_display = [
        "timestamp",
        "prefix",
        "peering_service",
        "event_type",
        "event_level",
        "summary",
    ]
    list_filter = ["event_level", "event_type", "timestamp"]
    search_fields = [
        "summary",
        "prefix__prefix",
        "prefix__name",
        "prefix__peering_service__name",
    ]
    list_select_related = ["prefix__peering_service"]
    date_hierarchy = "timestamp"
    fields = [
        "timestamp",
        "prefix",
        "event_type",
        "event_level",
        "summary",
        "description",
    ]
    readonly_fields = fields

    @admin.display(description="Peering Service", ordering="prefix__peering_service__name")
    def peering_service(self, obj):
        return obj.prefix.peering_service.name


@admin.register(ReceivedRoute)
class ReceivedRouteAdmin(ReadOnlyModelAdmin):
    """Routes Microsoft receives, as loaded with “Upload received routes…” on a connection or
    `manage.py import_received_routes`."""

    list_display = [
        "prefix",
        "next_hop",
        "as_path",
        "origin_as",
        "rpki_validation_state",
        "origin_as_validation_state",
        "connection",
        "peering",
        "received_at",
    ]
    list_filter = [
        "rpki_validation_state",
        "origin_as_validation_state",
        "connection__peering__peering_location",
    ]
    search_fields = [
        "prefix",
        "as_path",
        "=origin_as",
        "connection__peering__name",
        "=connection__connection_identifier",
    ]
    list_select_related = [
        "connection__peering",
        "connection__direct_facility",
        "connection__exchange",
    ]
    date_hierarchy = "received_at"
    fields = [
        "connection",
        "peering",
        "prefix",
        "next_hop",
        "as_path",
        "origin_as",
        "communities",
        "origin_as_validation_state",
        "rpki_validation_state",
        "trust_anchor",
        "received_at",
    ]
    readonly_fields = fields

    @admin.display(description="Peering", ordering="connection__peering__name")
    def peering(self, obj):
        return obj.connection.peering.name


@admin.register(PrefixKeyAttempt)
class PrefixKeyAttemptAdmin(ReadOnlyModelAdmin):
    """Wrong prefix keys typed by users; deleting a user's attempts lifts their throttle."""

    list_display = ["user", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    fields = ["user", "created_at"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        # Deleting the attempts (e.g. with “Delete selected”) lifts the throttle.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)
