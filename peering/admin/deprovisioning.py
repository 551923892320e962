"""Deprovisioning requests: Accept, Decline with a reason, Complete."""

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Case, IntegerField, Value, When

from peering.admin.common import (
    IntermediatePageMixin,
    ReadOnlyModelAdmin,
    _plural,
    act_on_each,
    operator_action,
)
from peering.admin.forms import ReasonForm
from peering.models import (
    DeprovisionRequest,
)
from peering.services.deprovision import (
    deprovision_accept,
    deprovision_complete,
    deprovision_decline,
)

# --- Deprovisioning -------------------------------------------------------------------------


DECLINE_HELP = (
    "Shown to the peer and emailed to the Peer ASN's contacts, e.g. “Customers still "
    "use this peering's registered ASNs; move them first.”"
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

    def _decide_each(
        self, request, requests, service, *, verb: str, done_text: str, form=None, **kwargs
    ) -> bool:
        def decide(deprovision):
            try:
                service(operator=request.user, request=deprovision, **kwargs)
            except ObjectDoesNotExist as exc:
                # Removed meanwhile: an error to the operator, like a refused permission.
                raise PermissionDenied("its peering no longer exists.") from exc

        return act_on_each(
            self,
            request,
            requests,
            decide,
            name=lambda deprovision: deprovision.peering_name,
            noun="deprovisioning request",
            refused=f"The request for {{name}} was not {verb}",
            done=f"{verb.capitalize()} {{count}}: {{names}}. {done_text}",
            form=form,
            field="reason",
        )

    @operator_action("decide", "Accept", "Accept selected deprovisioning requests")
    def accept_selected(self, request, queryset):
        self._decide_each(
            request,
            queryset.order_by("pk"),
            deprovision_accept,
            verb="accepted",
            done_text="Their connections are PendingRemove.",
        )

    @operator_action(
        "decide",
        "Complete (remove the peering)",
        "Complete selected deprovisioning requests (remove the peerings)",
    )
    def complete_selected(self, request, queryset):
        self._decide_each(
            request,
            queryset.order_by("pk"),
            deprovision_complete,
            verb="completed",
            done_text="The peerings were removed; the peers are told.",
        )

    @operator_action("decide", "Decline…", "Decline selected deprovisioning requests…")
    def decline_selected(self, request, queryset):
        requests = list(queryset.select_related("subscription").order_by("pk"))
        form = ReasonForm(request.POST if "post" in request.POST else None, help_text=DECLINE_HELP)
        if form.is_valid() and self._decide_each(
            request,
            requests,
            deprovision_decline,
            verb="declined",
            done_text="The peers are told the reason.",
            form=form,
            reason=form.cleaned_data["reason"],
        ):
            return None
        return self._action_page(
            request,
            action_name="decline_selected",
            title="Decline deprovisioning",
            intro="The selected requests will be declined; the peering stays. The reason is "
            "shown to the peer and emailed to the Peer ASN's contacts.",
            objects=requests,
            columns={
                "Peering": lambda r: r.peering_name,
                "Subscription": lambda r: r.subscription.display_name,
                "State": lambda r: r.state,
                "Reason given by the peer": lambda r: r.reason,
            },
            form=form,
            submit_label=f"Decline ({_plural(len(requests), 'request')})",
        )
