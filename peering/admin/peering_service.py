"""Peering Service data: registered ASNs and prefixes, Peering Services and their prefixes
(keys never listed), prefix events, received routes and wrong-key attempts."""

from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from peering.admin.common import (
    TRACKED_RESOURCE_FIELDS,
    PeeringLinkMixin,
    ReadOnlyInline,
    ReadOnlyModelAdmin,
    ResourceIdMixin,
    _plural,
    operator_action,
    related_column,
)
from peering.admin.peerings import PeeringAdmin
from peering.models import (
    PeeringService,
    PeeringServicePrefix,
    PrefixEvent,
    PrefixKeyAttempt,
    ReceivedRoute,
    RegisteredAsn,
    RegisteredPrefix,
)
from peering.services.registered import prefixes_revalidate

# --- Peering Service ------------------------------------------------------------------------
#
# Registered ASNs and prefixes, Peering Services and their prefixes are tenant resources written
# by `peering.services.peering_services`; operators look at them and may queue a prefix's
# validation again. A customer's prefix key is never shown (only its last four characters, on
# the prefix's page); a registered ASN's or prefix's key is shown on its own page only.


def _key_hint(key: str) -> str:
    key = str(key or "")
    if len(key) < 12:
        return "(hidden)" if key else "—"
    return f"…{key[-4:]}"


class RevalidateMixin:
    """A "Re-validate" action for staff holding the model's change permission."""

    def has_revalidate_permission(self, request, obj=None):
        opts = self.opts
        return request.user.is_staff and request.user.has_perm(
            f"{opts.app_label}.change_{opts.model_name}"
        )

    def _revalidate(self, request, queryset, noun: str):
        rows = list(queryset.order_by("pk"))
        prefixes_revalidate(queryset.model, [row.pk for row in rows])
        names = ", ".join(str(row) for row in rows[:20]) + (" …" if len(rows) > 20 else "")
        self.message_user(
            request,
            f"Queued validation of {len(rows)} {noun}{'' if len(rows) == 1 else 'es'}: {names}. "
            "Each is Pending until the check has run.",
            messages.SUCCESS,
        )


class RegisteredAsnOfPeeringInline(ReadOnlyInline):
    model = RegisteredAsn
    fields = ["name", "asn", "created_at", "key_rotated_at"]
    show_change_link = True


class RegisteredPrefixOfPeeringInline(ReadOnlyInline):
    model = RegisteredPrefix
    fields = ["name", "prefix", "validation_state", "validated_at"]
    show_change_link = True


PeeringAdmin.inlines = [
    *PeeringAdmin.inlines,
    RegisteredAsnOfPeeringInline,
    RegisteredPrefixOfPeeringInline,
]


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

    @operator_action("revalidate", "Re-validate", "Re-validate selected registered prefixes")
    def revalidate(self, request, queryset):
        self._revalidate(request, queryset, "registered prefix")


class PeeringServicePrefixInline(ReadOnlyInline):
    """A Peering Service's prefixes, without their keys."""

    model = PeeringServicePrefix
    fields = ["name", "prefix", "validation_state", "learned_type", "validated_at"]
    show_change_link = True


@admin.register(PeeringService)
class PeeringServiceAdmin(ResourceIdMixin, ReadOnlyModelAdmin):
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
        *TRACKED_RESOURCE_FIELDS,
        "location",
        "provider",
        "primary_location",
        "backup_location",
        "tags",
        "provisioning_state",
        "created_at",
        "created_by",
    ]
    inlines = [PeeringServicePrefixInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(prefix_total=Count("prefixes"))

    @admin.display(description="Prefixes", ordering="prefix_total")
    def prefix_count(self, obj):
        return obj.prefix_total


@admin.register(PeeringServicePrefix)
class PeeringServicePrefixAdmin(ResourceIdMixin, RevalidateMixin, ReadOnlyModelAdmin):
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

    subscription = related_column("peering_service__subscription__display_name", "Subscription")

    provider = related_column("peering_service__provider__name", "Provider")

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

    @operator_action("revalidate", "Re-validate", "Re-validate selected Peering Service prefixes")
    def revalidate(self, request, queryset):
        self._revalidate(request, queryset, "Peering Service prefix")


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

    peering_service = related_column("prefix__peering_service__name", "Peering Service")


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

    peering = related_column("connection__peering__name", "Peering")


@admin.register(PrefixKeyAttempt)
class PrefixKeyAttemptAdmin(ReadOnlyModelAdmin):
    """Wrong prefix keys typed by users; deleting a user's attempts lifts their throttle."""

    list_display = ["user", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    fields = ["user", "created_at"]

    def has_delete_permission(self, request, obj=None):
        # Deleting the attempts (e.g. with “Delete selected”) lifts the throttle.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)
