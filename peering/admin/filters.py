"""List filters of the connection console: who acts next (the operators' queue by default) and
the metro."""

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Q

from peering.models import Actor
from peering.selectors.reference import metro_choices
from peering.services.lifecycle import NEXT_STEPS, awaiting_operator_states


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
        return metro_choices()

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not str(value).isdigit():
            return queryset.none()
        return queryset.filter(
            Q(direct_facility__location_id=value) | Q(exchange__location_id=value)
        )
