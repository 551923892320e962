"""Peer ASNs: read-only, validated only through the Approve and Reject actions."""

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation
from django.db.models import Case, IntegerField, Value, When
from django.template.response import TemplateResponse

from peering.admin.common import (
    ReadOnlyInline,
    ReadOnlyModelAdmin,
    ResourceIdMixin,
    act_on_each,
    operator_action,
)
from peering.admin.forms import ReasonForm
from peering.enums import (
    ValidationState,
)
from peering.models import (
    PeerAsn,
    PeerContact,
    Peering,
)
from peering.services.peer_asns import peer_asn_approve, peer_asn_reject

# --- Peer ASNs -----------------------------------------------------------------------------


REJECT_HELP = (
    "Shown to the peer as the Peer ASN's error message and emailed to its contacts, "
    "e.g. “AS59999 is registered to another organisation in PeeringDB.”"
)


def _named(peer_asn: PeerAsn) -> str:
    return f"{peer_asn.name} (AS{peer_asn.peer_asn})"


class PeerContactInline(ReadOnlyInline):
    """Contacts are given by the peer and checked by `peer_asn_create`; shown read-only."""

    model = PeerContact
    fields = ["role", "email", "phone"]


class PeeringOfPeerAsnInline(ReadOnlyInline):
    model = Peering
    fields = ["name", "kind", "peering_location", "resource_group"]
    show_change_link = True
    verbose_name = "peering using this ASN"
    verbose_name_plural = "peerings using this ASN"


@admin.register(PeerAsn)
class PeerAsnAdmin(ResourceIdMixin, ReadOnlyModelAdmin):
    """Peer ASNs awaiting Microsoft's validation; decided only through the actions.

    Peers associate their ASN in the portal or the API (`peer_asn_create` checks it) and
    delete it there (`peer_asn_delete`); operators reject instead. Every field is read-only
    (the change permission is off): the validation state and error
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

    def has_validate_permission(self, request, obj=None):
        """Who may approve or reject: staff holding the model's change permission."""
        return request.user.is_staff and request.user.has_perm("peering.change_peerasn")

    @operator_action("validate", "Approve this Peer ASN", "Approve selected Peer ASNs")
    def approve_selected(self, request, queryset):
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda peer_asn: peer_asn_approve(peer_asn=peer_asn, operator=request.user),
            name=_named,
            noun="Peer ASN",
            refused="{name} was not approved",
            done="Approved {count}: {names}. The contacts will be emailed.",
        )

    @operator_action("validate", "Reject this Peer ASN…", "Reject selected Peer ASNs…")
    def reject_selected(self, request, queryset):
        """Ask for the reason on an intermediate page, then reject each selected ASN."""
        queryset = queryset.order_by("pk")
        form = ReasonForm(request.POST if "post" in request.POST else None, help_text=REJECT_HELP)
        if form.is_valid() and act_on_each(
            self,
            request,
            queryset,
            lambda peer_asn: peer_asn_reject(
                peer_asn=peer_asn, operator=request.user, reason=form.cleaned_data["reason"]
            ),
            name=_named,
            noun="Peer ASN",
            refused="{name} was not rejected",
            done="Rejected {count}: {names}. The contacts will be emailed the reason.",
            form=form,
            field="reason",
        ):
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


@admin.register(PeerContact)
class PeerContactAdmin(ReadOnlyModelAdmin):
    """Read-only: contacts are given by the peer and checked by the Peer ASN service."""

    list_display = ["email", "role", "phone", "peer_asn"]
    list_filter = ["role"]
    search_fields = ["email", "phone", "peer_asn__name", "=peer_asn__peer_asn"]
    list_select_related = ["peer_asn"]
