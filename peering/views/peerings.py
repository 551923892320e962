"""Peering blades: the list of peerings, and the frame every blade of one peering shares (its
resource menu) with the Overview. The other blades are in `peering.views.lifecycle`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from peering.enums import ConnectionState, DirectPeeringType, SkuName
from peering.forms_lifecycle import PeeringListForm
from peering.models import Peering, PeeringConnection
from peering.selectors import (
    connection_state_summary,
    deprovision_requests_of,
    open_deprovision_request,
    peering_for_user,
    peering_list_for_user,
)
from peering.views.common import paginate
from portal.models import WRITE_ROLES, ResourceGroup
from portal.selectors import subscriptions_for_user, writable_subscriptions_for_user
from portal.views_util import current_subscription, render_page

# The resource menu of a peering: (key, label, URL name).
MENU = [
    ("overview", "Overview", "peering:peering_detail"),
    ("asn", "ASN information", "peering:peering_asn"),
    ("connections", "Connections", "peering:peering_connections"),
    ("tags", "Tags", "peering:peering_tags"),
    ("activity", "Activity log", "peering:peering_activity"),
    ("deprovision", "Deprovision", "peering:peering_deprovision"),
]


@login_required
@require_GET
def peering_list(request: HttpRequest) -> HttpResponse:
    """Peerings of the user's subscriptions (the switcher's one if chosen), filtered by resource
    group, kind, direct peering type and connection state, sortable and paged. htmx re-renders
    only the results; each row's connection states come from one aggregate query."""
    subscription = current_subscription(request)
    groups = ResourceGroup.objects.filter(
        subscription__in=subscriptions_for_user(user=request.user)
    )
    if subscription is not None:
        groups = groups.filter(subscription=subscription)
    group_names = sorted(set(groups.values_list("name", flat=True)), key=str.lower)
    form = PeeringListForm(request.GET or None, resource_group_names=group_names)
    filters = form.filters()
    peerings = peering_list_for_user(user=request.user, subscription=subscription, **filters)
    page = paginate(request, peerings)
    summary = connection_state_summary(peering_ids=[peering.pk for peering in page])
    for peering in page:
        peering.state_summary = summary.get(peering.pk, [])
    context = {
        "active_nav": "peerings",
        "form": form,
        "page": page,
        "sort": filters["sort"],
        "filtered": any(value for key, value in filters.items() if key != "sort"),
        "subscription": subscription,
        "can_create": writable_subscriptions_for_user(user=request.user).exists(),
    }
    return render_page(request, "peering/peering_list.html", context, partial="results")


# --- the frame of one peering's blades ----------------------------------------------------------


def peering_args(peering: Peering) -> list:
    return [peering.subscription_id, peering.resource_group.name, peering.name]


def blade_url(peering: Peering, name: str) -> str:
    return reverse(name, args=peering_args(peering))


def connection_url(peering: Peering, connection: PeeringConnection, name: str = "") -> str:
    return reverse(
        name or "peering:peering_connection",
        args=[*peering_args(peering), connection.connection_identifier],
    )


def get_peering(
    request: HttpRequest, subscription_id, resource_group: str, name: str, *, write=False
):
    """The peering (404 for another tenant); with write=True a Reader gets 403."""
    return peering_for_user(
        user=request.user,
        subscription_id=subscription_id,
        resource_group=resource_group,
        name=name,
        write=write,
    )


def can_write(peering: Peering) -> bool:
    return getattr(peering.subscription, "user_role", None) in WRITE_ROLES


def settings_menu(peering: Peering) -> list[dict]:
    """The menu's Settings group: the Peering Service blades that apply to this peering
    (they live in the `registered` namespace and have their own frame, so plain links)."""
    items = []
    if peering.direct_peering_type == DirectPeeringType.IX_RS:
        items.append(("Registered ASNs", "registered:asn_list"))
    if peering.sku_name == SkuName.PREMIUM_DIRECT_FREE and peering.direct_peering_type in (
        DirectPeeringType.EDGE,
        DirectPeeringType.VOICE,
    ):
        items.append(("Registered prefixes", "registered:prefix_list"))
    items.append(("Received routes", "registered:routes"))
    menu = []
    for label, url_name in items:
        try:
            menu.append({"label": label, "url": blade_url(peering, url_name)})
        except NoReverseMatch:  # that blade is not installed
            continue
    return menu


def blade_context(request: HttpRequest, peering: Peering, blade: str) -> dict:
    """What every blade of a peering shows: the resource menu, and whether to offer writes."""
    return {
        "active_nav": "peerings",
        "peering": peering,
        "blade": blade,
        "blade_label": next(label for key, label, _ in MENU if key == blade),
        "menu": [
            {"key": key, "label": label, "url": blade_url(peering, url_name)}
            for key, label, url_name in MENU
        ],
        "settings_menu": settings_menu(peering),
        "can_write": can_write(peering),
        "overview_url": blade_url(peering, "peering:peering_detail"),
        "connections_url": blade_url(peering, "peering:peering_connections"),
    }


def render_blade(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    fragments: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The full page; for htmx the blade pane (menu navigation), or the fragment that the
    request's HX-Target names (e.g. the connection detail pane below the grid)."""
    partial = "pane"
    htmx = getattr(request, "htmx", None)
    if htmx and fragments and htmx.target in fragments:
        partial = fragments[htmx.target]
    return render_page(request, template, context, partial=partial, status=status)


@login_required
@require_GET
def peering_detail(
    request: HttpRequest, subscription_id, resource_group: str, name: str
) -> HttpResponse:
    """Overview: Essentials, a summary of the connections, and any open deprovisioning
    request."""
    peering = get_peering(request, subscription_id, resource_group, name)
    connections = list(peering.connections.all())
    for connection in connections:
        connection.url = connection_url(peering, connection)
    counts: dict[str, int] = {}
    for connection in connections:
        counts[connection.connection_state] = counts.get(connection.connection_state, 0) + 1
    order = {value: index for index, value in enumerate(ConnectionState.values)}
    context = blade_context(request, peering, "overview")
    context.update(
        connections=connections,
        state_counts=sorted(counts.items(), key=lambda item: order.get(item[0], 99)),
        active_count=counts.get(ConnectionState.ACTIVE, 0),
        open_request=open_deprovision_request(deprovision_requests_of(peering=peering)),
        deprovision_url=blade_url(peering, "peering:peering_deprovision"),
        tags=sorted(peering.tags.items()) if isinstance(peering.tags, dict) else [],
    )
    return render_blade(request, "peering/peering_detail.html", context)
