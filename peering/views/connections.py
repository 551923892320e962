"""A peering's blades after Create (product.md §3.4–3.6): ASN information, Connections (grid,
detail pane with the timeline, Add / Edit / Delete connection, Use for Peering Service), Tags,
Activity log and Deprovision.

Thin views: the selectors read with the tenancy check (404 for another tenant), the services in
`peering.services.connections` / `deprovision` decide every write (403 for a Reader), and their
messages go back next to the fields they name. Every page works as plain HTML forms; htmx only
swaps fragments in place.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from peering.enums import SessionAddressProvider
from peering.forms.common import errors_of, service_accepts
from peering.forms.connections import DeleteConnectionForm, EditConnectionForm
from peering.forms.wizard import ConnectionForm, form_with_errors, values_from
from peering.models import Actor, Peering, PeeringConnection
from peering.selectors.connections import (
    connection_of,
    connection_requested_by,
    connection_timeline,
)
from peering.selectors.telemetry import connections_changing, live_context
from peering.services.connections import (
    configuration_of,
    connection_add,
    connection_delete,
    connection_delete_refusal,
    connection_edit_refusal,
    connection_request_peering_service,
    connection_update,
    peering_service_request_refusal,
)
from peering.services.lifecycle import REMOVAL_BLOCKED, next_step
from peering.services.peerings import (
    DIRECT,
    DIRECT_PEERING_SERVICE,
    ROUTE_SERVER,
    fixed_provider_reason,
    route_server_prefill,
)
from peering.views.peerings import blade_context, blade_url, connection_url, peering_view
from portal.htmx import render_page

CONNECTIONS_TEMPLATE = "peering/peering/connections.jinja"


CONNECTION_FIELDS = tuple(ConnectionForm.base_fields)


LEGACY_NOTE = "read-only (converted legacy connection)"


def next_step_shown(state: str, *, kind: str) -> dict | None:
    """Who acts next in `state` ("You" or "Microsoft"), what they do and the usual wait."""
    step = next_step(state, kind=kind)
    if step is None:
        return None
    who = {Actor.PEER: "You", Actor.OPERATOR: "Microsoft"}.get(step.actor, "")
    return {"who": who, "action": step.action, "wait": step.usual_wait, "actor": step.actor}


def _next_step(connection: PeeringConnection) -> dict | None:
    return next_step_shown(connection.connection_state, kind=connection.peering.kind)


def _connections_context(request, peering: Peering, selected: PeeringConnection | None) -> dict:
    connections = list(peering.connections.all())
    for connection in connections:
        connection.url = connection_url(peering, connection)
    context = blade_context(request, peering, "connections")
    context.update(
        connections=connections,
        selected=selected,
        add_url=blade_url(peering, "peering:peering_connection_add"),
        **live_context(changing=connections_changing(connections), url=request.path),
    )
    if selected is not None:
        modifiable = context["can_write"] and not selected.is_legacy
        context.update(
            timeline=connection_timeline(connection=selected),
            requested_by=connection_requested_by(connection=selected),
            next_step=_next_step(selected),
            modifiable=modifiable,
            edit_url=connection_url(peering, selected, "peering:peering_connection_edit"),
            delete_url=connection_url(peering, selected, "peering:peering_connection_delete"),
            peering_service_url=connection_url(
                peering, selected, "peering:peering_connection_peering_service"
            ),
            edit_reason=connection_edit_refusal(selected),
            peering_service_reason=peering_service_request_refusal(selected),
            delete_reason=connection_delete_refusal(
                selected, other_connections=len(connections) - 1
            ),
            legacy_note=LEGACY_NOTE,
        )
    return context


@peering_view("GET")
def peering_connections(request: HttpRequest, peering: Peering) -> HttpResponse:
    """Connections: the grid of every connection with its states; a row opens its detail."""
    context = _connections_context(request, peering, None)
    return render_page(
        request,
        CONNECTIONS_TEMPLATE,
        context,
        fragments={"connections-grid": "grid"},
        partial="pane",
    )


@peering_view("GET")
def peering_connection(request: HttpRequest, peering: Peering, connection_id) -> HttpResponse:
    """One connection below the grid: Configuration, IPv4 address, IPv6 address and the
    timeline ending with who acts next. htmx loads only the detail pane."""
    connection = connection_of(peering=peering, connection_identifier=connection_id)
    context = _connections_context(request, peering, connection)
    return render_page(
        request,
        CONNECTIONS_TEMPLATE,
        context,
        fragments={"connection-detail": "detail_swap", "connections-grid": "grid"},
        partial="pane",
    )


def _add_form(peering: Peering, configuration, values: dict, errors: dict | None):
    variant = configuration.variant
    return form_with_errors(
        ConnectionForm,
        values,
        errors,
        "",
        places=list(configuration.places.values()),
        exchange=variant.is_exchange,
        fixed_provider=variant.session_address_provider,
        fixed_provider_reason=fixed_provider_reason(variant),
        agreement_signed=peering.subscription.peering_service_agreement_signed,
    )


@peering_view("GET", "POST", write=True)
def peering_connection_add(request: HttpRequest, peering: Peering) -> HttpResponse:
    """+ Add connections: the wizard's connection form for this peering's configuration; the
    new connection starts PendingApproval."""
    context = blade_context(request, peering, "connections")
    connections_url = context["connections_url"]
    if request.method == "POST" and "cancel" in request.POST:
        return redirect(connections_url)
    try:
        configuration = configuration_of(peering)
    except ValidationError as exc:
        context.update(refusal=" ".join(exc.messages))
        return render_page(request, "peering/peering/connection_add.html", context, partial="pane")
    variant = configuration.variant
    errors = None
    if request.method == "POST":
        values = values_from(request.POST, CONNECTION_FIELDS)
        try:
            connection = connection_add(user=request.user, peering=peering, row=values)
        except ValidationError as exc:
            errors = errors_of(exc)
        else:
            messages.success(
                request,
                f"Connection at {connection.facility_name} requested: it is PendingApproval "
                "while Microsoft's peering team reviews it.",
            )
            return redirect(connection_url(peering, connection))
    else:
        values = {}
        places = list(configuration.places.values())
        if len(places) == 1:
            values["facility"] = str(places[0].pk)
        if not variant.is_exchange:
            values["bandwidth_mbps"] = "10000"
            values["session_address_provider"] = (
                variant.session_address_provider or SessionAddressProvider.PEER
            )
        if variant is ROUTE_SERVER:
            values.update(route_server_prefill(configuration.lans))
    form = _add_form(peering, configuration, values, errors)
    context.update(
        form=form,
        has_errors=bool(errors),
        variant=variant,
        metro=configuration.metro,
        is_exchange=variant.is_exchange,
        exchanges=list(configuration.places.values())
        if variant.is_exchange
        else (configuration.lans if variant is ROUTE_SERVER else []),
        microsoft_allocates=variant.session_address_provider == SessionAddressProvider.MICROSOFT,
        derived=variant in (DIRECT, DIRECT_PEERING_SERVICE),
        route_server=variant is ROUTE_SERVER,
        action_url=blade_url(peering, "peering:peering_connection_add"),
        title="Exchange Peering Connection" if variant.is_exchange else "Direct Peering Connection",
    )
    return render_page(
        request,
        "peering/peering/connection_add.html",
        context,
        partial="pane",
    )


def _connection_page(request, peering: Peering, connection_id):
    """A write page of one connection (Edit, Delete): the peering and the connection (403 for
    a Reader), and the blade's context with the connection's detail URL."""
    connection = connection_of(peering=peering, connection_identifier=connection_id)
    context = blade_context(request, peering, "connections")
    context.update(
        connection=connection,
        detail_url=connection_url(peering, connection),
        legacy_note=LEGACY_NOTE,
    )
    return connection, context


@peering_view("GET", "POST", write=True)
def peering_connection_edit(request: HttpRequest, peering: Peering, connection_id) -> HttpResponse:
    """Edit connection (Active only): add an IPv4 or IPv6 session, change max prefixes,
    upgrade bandwidth (Direct)."""
    connection, context = _connection_page(request, peering, connection_id)
    detail_url = context["detail_url"]
    if request.method == "POST" and "cancel" in request.POST:
        return redirect(detail_url)
    if request.method == "POST":
        form = EditConnectionForm(request.POST, connection=connection)
        if service_accepts(
            form,
            lambda _: connection_update(
                user=request.user, connection=connection, data=form.data_for_service()
            ),
        ):
            messages.success(request, f"Connection at {connection.facility_name} updated.")
            return redirect(detail_url)
    else:
        form = EditConnectionForm(connection=connection)
    context.update(
        form=form,
        edit_refusal=connection_edit_refusal(connection),
        action_url=connection_url(peering, connection, "peering:peering_connection_edit"),
    )
    return render_page(request, "peering/peering/connection_edit.html", context, partial="pane")


@peering_view("GET", "POST", write=True)
def peering_connection_delete(
    request: HttpRequest, peering: Peering, connection_id
) -> HttpResponse:
    """Confirm delete: the user types the peering's resource ID, shown on the page."""
    connection, context = _connection_page(request, peering, connection_id)
    if request.method == "POST" and "cancel" in request.POST:
        return redirect(context["detail_url"])
    if request.method == "POST":
        form = DeleteConnectionForm(request.POST)
        if service_accepts(
            form,
            lambda cleaned: connection_delete(
                user=request.user, connection=connection, confirm=cleaned.get("confirm", "")
            ),
        ):
            messages.success(
                request,
                f"Connection {connection.connection_identifier} at {connection.facility_name} "
                "was deleted.",
            )
            return redirect(context["connections_url"])
    else:
        form = DeleteConnectionForm()
    context.update(
        form=form,
        removal_blocked=connection.connection_state in REMOVAL_BLOCKED,
        action_url=connection_url(peering, connection, "peering:peering_connection_delete"),
    )
    return render_page(request, "peering/peering/connection_delete.html", context, partial="pane")


@peering_view("POST", write=True)
def peering_connection_peering_service(
    request: HttpRequest, peering: Peering, connection_id
) -> HttpResponse:
    """Use for Peering Service: a request Microsoft approves (TypeChangeRequested →
    TypeChangeInProgress → Active)."""
    connection = connection_of(peering=peering, connection_identifier=connection_id)
    try:
        connection_request_peering_service(user=request.user, connection=connection)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            "Use for Peering Service requested: the connection is TypeChangeRequested until "
            "Microsoft reviews it.",
        )
    return redirect(connection_url(peering, connection))
