"""Peering blades: the list of peerings, and the frame every blade of one peering shares (its
resource menu) with the Overview. The other blades are in `peering.views.connections`."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch
from django.views.decorators.http import require_GET, require_http_methods

from peering.enums import ConnectionState, DirectPeeringType, SkuName
from peering.forms.common import service_accepts
from peering.forms.peerings import DeprovisionForm, PeeringListForm, TagGrid
from peering.models import Peering, PeeringConnection
from peering.selectors.peerings import (
    deprovision_requests_of,
    open_deprovision_request,
    peer_asn_with_contacts,
    peering_activity,
    peering_for_user,
    peering_list_for_user,
)
from peering.selectors.telemetry import (
    connections_changing,
    live_context,
    received_route_counts,
)
from peering.services.connections import (
    peering_tags_update,
)
from peering.services.deprovision import customers_using, deprovision_request
from peering.services.lifecycle import REMOVAL_BLOCKED
from portal.htmx import is_fragment_request, render_page
from portal.links import fast_reverse, fast_reverser
from portal.permissions import can_write
from portal.selectors import (
    current_subscription,
    resource_at_path,
    resource_group_names_for_user,
    writable_subscriptions_for_user,
)
from portal.tables import paginate, search, sort_by, table_context

# The resource menu of a peering: (key, label, URL name).
MENU = [
    ("overview", "Overview", "peering:peering_detail"),
    ("asn", "ASN information", "peering:peering_asn"),
    ("connections", "Connections", "peering:peering_connections"),
    ("tags", "Tags", "peering:peering_tags"),
    ("activity", "Activity log", "peering:peering_activity"),
    ("deprovision", "Deprovision", "peering:peering_deprovision"),
]

# The Activity log blade's sortable columns (ties by id); newest first unless asked.
ACTIVITY_SORTS = {
    "operation": ("operation_display",),
    "status": ("status",),
    "time": ("timestamp",),
    "caller": ("caller",),
}


@login_required
@require_GET
def peering_list(request: HttpRequest) -> HttpResponse:
    """Peerings of the user's subscriptions (the switcher's one if chosen), filtered by resource
    group, kind, direct peering type and connection state, sortable and paged. htmx re-renders
    only the results; a page's rows are one query, their connections' states a second."""
    subscription = current_subscription(request)
    # The resource groups are the filter bar's choices and what a chosen group is checked
    # against: a fragment (the results alone) without that filter shows neither.
    group_names = (
        resource_group_names_for_user(user=request.user, subscription=subscription)
        if request.GET.get("resource_group") or not is_fragment_request(request)
        else []
    )
    form = PeeringListForm(request.GET or None, resource_group_names=group_names)
    filters = form.filters()
    peerings = peering_list_for_user(user=request.user, subscription=subscription, **filters)
    page = paginate(request, peerings)
    detail_url = fast_reverser("peering:peering_detail")
    peer_asn_url = fast_reverser("peering:peer_asn_detail")
    for row in page:
        row.detail_url = detail_url(row.subscription_id, row.resource_group_name, row.name)
        row.peer_asn_url = peer_asn_url(row.subscription_id, row.peer_asn_name)
    context = {
        "active_nav": "peerings",
        "form": form,
        "page": page,
        "sort": filters["sort"],
        "filtered": any(value for key, value in filters.items() if key != "sort"),
        "subscription": subscription,
        "can_create": writable_subscriptions_for_user(user=request.user).exists(),
    }
    return render_page(request, "peering/peering_list.jinja", context, partial="results")


def peering_args(peering: Peering) -> list:
    return [peering.subscription_id, peering.resource_group.name, peering.name]


def blade_url(peering: Peering, name: str, *extra) -> str:
    """The URL of one of the peering's blades (`extra`: the child's name, e.g. a registered ASN)."""
    return fast_reverse(name, *peering_args(peering), *extra)


def connection_url(peering: Peering, connection: PeeringConnection, name: str = "") -> str:
    return fast_reverse(
        name or "peering:peering_connection",
        *peering_args(peering),
        connection.connection_identifier,
    )


def get_peering(
    request: HttpRequest, subscription_id, resource_group: str, name: str, *, write=False
):
    """The peering at the URL's ARM path (404 for another tenant); with write=True a Reader
    gets 403. Every view of a peering's blades (here, `connections`, `registered`) reads its
    peering through this."""
    return resource_at_path(
        peering_for_user, request, subscription_id, resource_group, name, write=write
    )


def resource_view(selector, *methods: str, write: bool | None = None):
    """A view of one tenant resource: sign-in required, only `methods` (405 otherwise), and the
    resource at the URL's ARM path, read through `selector` (`resource_at_path`: 404 for
    another tenant), passed to the view in place of the path's subscription, resource group
    and name. A Reader gets 403 when `write` is True, or by default on a POST."""

    def decorate(view):
        @login_required
        @require_http_methods(list(methods))
        @wraps(view)
        def wrapper(request, subscription_id, resource_group: str, name: str, **rest):
            writes = request.method == "POST" if write is None else write
            resource = resource_at_path(
                selector, request, subscription_id, resource_group, name, write=writes
            )
            return view(request, resource, **rest)

        return wrapper

    return decorate


def peering_view(*methods: str, write: bool | None = None):
    """A view of one peering (its blades, connections, registered ASNs and prefixes, received
    routes): `resource_view` with the peering read by `peering_for_user`."""
    return resource_view(peering_for_user, *methods, write=write)


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
        "can_write": can_write(peering.subscription),
        "overview_url": blade_url(peering, "peering:peering_detail"),
        "connections_url": blade_url(peering, "peering:peering_connections"),
    }


@peering_view("GET")
def peering_detail(request: HttpRequest, peering: Peering) -> HttpResponse:
    """Overview: Essentials, a summary of the connections, and any open deprovisioning
    request."""
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
        route_counts=received_route_counts(peering=peering),
        **live_context(changing=connections_changing(connections), url=request.path),
    )
    return render_page(
        request,
        "peering/peering_detail.jinja",
        context,
        fragments={"live-overview": "live"},
        partial="pane",
    )


@peering_view("GET")
def peering_asn(request: HttpRequest, peering: Peering) -> HttpResponse:
    """ASN information: what was submitted with the Peer ASN, and its validation state."""
    context = blade_context(request, peering, "asn")
    context["peer_asn"] = peer_asn_with_contacts(peering=peering)
    return render_page(request, "peering/peering/asn.html", context, partial="pane")


@peering_view("GET", "POST")
def peering_tags(request: HttpRequest, peering: Peering) -> HttpResponse:
    """Tags: name/value rows. "+ Add tag" and "Delete" work without JavaScript (submit
    buttons that keep every typed value); Save replaces the tags through the service."""
    context = blade_context(request, peering, "tags")
    url = blade_url(peering, "peering:peering_tags")
    context["action_url"] = url
    if request.method == "GET":
        grid = TagGrid.from_tags(peering.tags if isinstance(peering.tags, dict) else {})
    else:
        add = "add_tag" in request.POST
        remove = request.POST.get("remove_tag")
        grid = TagGrid.from_post(request.POST, add=add, remove=remove)
        if not add and remove is None:
            tags, used = grid.tags()
            if not grid.has_errors:
                try:
                    peering_tags_update(user=request.user, peering=peering, tags=tags)
                except ValidationError as exc:
                    grid.apply(exc, used)
                else:
                    messages.success(request, "Tags saved.")
                    return redirect(url)
    context["grid"] = grid
    return render_page(
        request,
        "peering/peering/tags.html",
        context,
        fragments={"tag-grid": "tag_grid"},
        partial="pane",
    )


@peering_view("GET")
def peering_activity_log(request: HttpRequest, peering: Peering) -> HttpResponse:
    """Activity log: the subscription's entries about this peering, newest first, paged;
    filtered by operation, status or caller (`?q=`) and sortable, both in the URL."""
    entries, query = search(
        request,
        peering_activity(peering=peering),
        "operation_display",
        "operation",
        "caller",
        also=lambda text: Q(status__iexact=text),
    )
    entries, sort = sort_by(request, entries, ACTIVITY_SORTS, "-time")
    context = blade_context(request, peering, "activity")
    context.update(
        table_context(paginate(request, entries), query, sort),
        blade_url=blade_url(peering, "peering:peering_activity"),
    )
    return render_page(
        request,
        "peering/peering/activity.html",
        context,
        fragments={"activity-results": "results"},
        partial="pane",
    )


@peering_view("GET", "POST")
def peering_deprovision(request: HttpRequest, peering: Peering) -> HttpResponse:
    """Deprovision: how it works, what blocks it now, the customers it cuts off, the request
    form (writers) and the history of requests."""
    context = blade_context(request, peering, "deprovision")
    url = blade_url(peering, "peering:peering_deprovision")
    customers = customers_using(peering)
    if request.method == "POST":
        form = DeprovisionForm(request.POST, customers=customers)
        if service_accepts(
            form,
            lambda cleaned: deprovision_request(
                user=request.user,
                peering=peering,
                reason=cleaned.get("reason", ""),
                confirm_customers=bool(cleaned.get("confirm_customers")),
            ),
        ):
            messages.success(
                request,
                "Deprovisioning requested. Microsoft's peering team reviews the request; you "
                "are notified when it is accepted.",
            )
            return redirect(url)
    else:
        form = DeprovisionForm(customers=customers)
    requests = deprovision_requests_of(peering=peering)
    connections = list(peering.connections.all())
    for connection in connections:
        connection.url = connection_url(peering, connection)
    context.update(
        form=form,
        customers=customers,
        requests=requests,
        open_request=open_deprovision_request(requests),
        blocking=[c for c in connections if c.connection_state in REMOVAL_BLOCKED],
        blocked_states=[state for state in ConnectionState.values if state in REMOVAL_BLOCKED],
        action_url=url,
    )
    return render_page(request, "peering/peering/deprovision.html", context, partial="pane")
