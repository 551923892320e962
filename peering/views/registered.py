"""A peering's Settings blades for Peering Service (product.md §3.7, §3.8, §3.11):
Registered ASNs (route-server peerings), Registered prefixes (Direct Peering Service peerings)
and Received routes.

Thin views: `views.peerings.peering_view` reads the peering with the tenancy check (404 for another
tenant; 403 for a Reader asking to write), `peering.selectors.registered` reads the rows, and
the services in `peering.services.peering_services` decide every write; their messages go back
next to the fields they name with what was typed. Prefix keys are shown to everyone with a role
on the provider's subscription (Readers too); only Owners and Contributors get write controls.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import redirect

from peering.forms.common import apply_service_errors
from peering.forms.registered import (
    ReceivedRouteFilterForm,
    RegisteredAsnForm,
    RegisteredPrefixForm,
)
from peering.models import Peering, RegisteredAsn, RegisteredPrefix
from peering.selectors.registered import (
    received_routes_of,
    registered_asn_keys,
    registered_asn_of,
    registered_asn_page,
    registered_asn_rows,
    registered_prefix_of,
    registered_prefixes_of,
)
from peering.selectors.telemetry import key_providers
from peering.services.registered import (
    registered_asn_add,
    registered_asn_delete,
    registered_asn_rotate_key,
    registered_asn_unavailable_reason,
    registered_prefix_add,
    registered_prefix_delete,
    registered_prefix_revalidate,
    registered_prefix_unavailable_reason,
)
from peering.views.peerings import MENU, blade_url, peering_args, peering_view, settings_menu
from portal.htmx import render_page
from portal.links import fast_reverser
from portal.permissions import can_write
from portal.tables import KeyedRows, paginate, search, sort_by, sort_key, table_context

BLADES = {
    "asns": ("Registered ASNs", "registered:asn_list"),
    "prefixes": ("Registered prefixes", "registered:prefix_list"),
    "routes": ("Received routes", "registered:routes"),
}
ROUTES_RESULTS = "routes-results"
# Received routes' sortable columns: `?sort=<key>` (or `-<key>`, descending) → the ordering
# (ties by connection, then id).
# The filters and the sort are in the URL, so a view of the routes can be shared.
ROUTE_SORTS = {
    "prefix": ("prefix", "connection_id"),
    "next_hop": ("next_hop", "connection_id"),
    "origin_as": ("origin_as", "connection_id"),
    "rpki": ("rpki_validation_state", "connection_id"),
    "received": ("received_at", "connection_id"),
}
# Registered ASNs: filtered by name or ASN (`?q=`), sortable the same way.
ASN_SORTS = {
    "name": ("name",),
    "asn": ("asn",),
    "created": ("created_at",),
    "used": ("used_by_prefixes",),
}
# Registered prefixes: filtered by name or prefix (`?q=`).
PREFIX_SORTS = {
    "name": ("name",),
    "prefix": ("prefix",),
    "state": ("validation_state",),
    "created": ("created_at",),
}
ASN_QUERY = re.compile(r"^(?:AS)?(\d{1,10})$", re.IGNORECASE)


def _asn_match(query: str) -> Q | None:
    """ "AS8100" or "8100" also finds the registered ASN 8100."""
    asn = ASN_QUERY.match(query)
    return Q(asn=int(asn.group(1))) if asn else None


# --- shared helpers -------------------------------------------------------------------------------


def _asn_urls(peering: Peering, registered: RegisteredAsn) -> None:
    registered.rotate_url = blade_url(peering, "registered:asn_rotate", registered.name)
    registered.delete_url = blade_url(peering, "registered:asn_delete", registered.name)


def _prefix_urls(peering: Peering, registered: RegisteredPrefix) -> None:
    registered.detail_url = blade_url(peering, "registered:prefix_detail", registered.name)
    registered.revalidate_url = blade_url(peering, "registered:prefix_revalidate", registered.name)
    registered.delete_url = blade_url(peering, "registered:prefix_delete", registered.name)


def _context(peering: Peering, blade: str, *crumbs: tuple[str, str | None]) -> dict:
    """What every page here shows: the breadcrumbs Home › Peerings › <peering> › <blade> [›
    …], the blade's URLs and whether to offer writes."""
    label, url_name = BLADES[blade]
    url = blade_url(peering, url_name)
    trail = [(label, url if crumbs else None), *crumbs]
    return {
        "active_nav": "peerings",
        "peering": peering,
        "blade": blade,
        "blade_label": label,
        "blade_url": url,
        "page_label": trail[-1][0],
        "crumbs": trail,
        "overview_url": blade_url(peering, "peering:peering_detail"),
        # The peering's resource menu, as on its other blades (issue 12 item 6).
        "menu": [{"key": k, "label": text, "url": blade_url(peering, u)} for k, text, u in MENU],
        "settings_menu": settings_menu(peering),
        "can_write": can_write(peering.subscription),
    }


def _cancelled(request: HttpRequest) -> bool:
    return request.method == "POST" and "cancel" in request.POST


def _used_by(registered) -> str:
    count = registered.used_by_prefixes
    if not count:
        return "no customer prefixes"
    subs = registered.used_by_subscriptions
    return (
        f"{count} customer prefix{'es' if count != 1 else ''} in "
        f"{subs} subscription{'s' if subs != 1 else ''}"
    )


@dataclass(frozen=True)
class ListBlade:
    """A registered blade with a list and an add page (Registered ASNs, Registered prefixes):
    its `item` (`asn`, `prefix`), which names its templates (the list a Jinja2 page, the add
    page a Django one), the add page's URL and the list's results element; the add page's
    crumb, and what adding does: the form, the service (called with the form's fields), why
    it is unavailable, the message and where to go."""

    item: str
    add_crumb: str
    form_class: type[forms.Form]
    add: Callable[..., RegisteredAsn | RegisteredPrefix]
    unavailable_reason: Callable[[Peering], str]
    added_message: str
    added_url: Callable[[Peering, RegisteredAsn | RegisteredPrefix], str]

    # Named by `item` (see BLADE_NAMES).
    list_template: str = field(init=False)
    add_template: str = field(init=False)
    add_url_name: str = field(init=False)
    results_id: str = field(init=False)

    def __post_init__(self):
        for attribute, pattern in BLADE_NAMES.items():
            object.__setattr__(self, attribute, pattern.format(item=self.item))


# How a list blade's templates, add URL and results element are named after its item.
BLADE_NAMES = {
    "list_template": "peering/registered/{item}_list.jinja",
    "add_template": "peering/registered/{item}_add.html",
    "add_url_name": "registered:{item}_add",
    "results_id": "{item}-results",
}


LIST_BLADES = {
    "asns": ListBlade(
        item="asn",
        add_crumb="Add registered ASN",
        form_class=RegisteredAsnForm,
        add=registered_asn_add,
        unavailable_reason=registered_asn_unavailable_reason,
        added_message="Registered ASN {0.name} (AS{0.asn}) added. Give its prefix key to the "
        "customer: they enter it when they add prefixes to their Peering Service.",
        # Back to the list, on the page that holds it.
        added_url=lambda peering, registered: (
            f"{blade_url(peering, 'registered:asn_list')}?added={registered.name}"
        ),
    ),
    "prefixes": ListBlade(
        item="prefix",
        add_crumb="Add registered prefix",
        form_class=RegisteredPrefixForm,
        add=registered_prefix_add,
        unavailable_reason=registered_prefix_unavailable_reason,
        added_message="Registered prefix {0.name} ({0.prefix}) added. It is validated in the "
        "background; its prefix key is on its page.",
        added_url=lambda peering, registered: blade_url(
            peering, "registered:prefix_detail", registered.name
        ),
    ),
}


def _list_page(request: HttpRequest, peering: Peering, blade: str, page, query, sort, **extra):
    """A list blade's page: the table (htmx replaces only its results), + Add (disabled with
    the reason)."""
    spec = LIST_BLADES[blade]
    context = _context(peering, blade)
    context.update(
        table_context(page, query, sort),
        rows=page.object_list,
        add_reason=spec.unavailable_reason(peering),
        add_url=blade_url(peering, spec.add_url_name),
        **extra,
    )
    return render_page(
        request,
        spec.list_template,
        context,
        partial="pane",
        fragments={spec.results_id: "results"},
    )


def _add_page(request: HttpRequest, peering: Peering, blade: str):
    """An add page: the form (GET), then the service with the form's fields on POST; its
    errors go next to the fields (400)."""
    spec = LIST_BLADES[blade]
    context = _context(peering, blade, (spec.add_crumb, None))
    if _cancelled(request):
        return redirect(context["blade_url"])
    status = 200
    if request.method == "POST":
        form = spec.form_class(request.POST)
        if form.is_valid():
            try:
                registered = spec.add(user=request.user, peering=peering, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, spec.added_message.format(registered))
                return redirect(spec.added_url(peering, registered))
        status = 400
    else:
        form = spec.form_class()
    context.update(
        form=form,
        add_reason=spec.unavailable_reason(peering),
        action_url=blade_url(peering, spec.add_url_name),
    )
    return render_page(request, spec.add_template, context, status=status, partial="pane")


# --- Registered ASNs ------------------------------------------------------------------------------


@peering_view("GET")
def asn_list(request: HttpRequest, peering: Peering):
    """Registered ASNs: Name, ASN, Prefix key (copy), Created, Used by; + Add registered ASN
    (disabled with the reason until a connection is Active); Rotate key and Delete per row."""
    by_use = sort_key(request, ASN_SORTS, "name").removeprefix("-") == "used"
    keys = registered_asn_keys(peering=peering, by_use=by_use)
    keys, query = search(request, keys, "name", also=_asn_match)
    keys, sort = sort_by(request, keys, ASN_SORTS, "name")
    # Paged on the keys (a count is computed for every row skipped only when sorting by it);
    # the page's 50 rows then read with their counts and key usage, as plain values.
    page = paginate(
        request,
        KeyedRows(keys, lambda page_keys: registered_asn_rows(peering=peering, keys=page_keys)),
        # Just added: open the page that holds it (in the default order).
        number=registered_asn_page(peering=peering, name=request.GET.get("added", ""))
        if not query and sort == "name"
        else None,
    )
    rotate_url = fast_reverser("registered:asn_rotate", *peering_args(peering))
    delete_url = fast_reverser("registered:asn_delete", *peering_args(peering))
    for row in page:
        row.rotate_url = rotate_url(row.name)
        row.delete_url = delete_url(row.name)
    # The provider rides in the rows' own query; an empty page asks for it alone.
    rows_on_page = page.object_list
    if rows_on_page:
        providers = [rows_on_page[0].key_provider] if rows_on_page[0].key_provider else []
    else:
        providers = [p.name for p in key_providers(peering=peering)]
    return _list_page(request, peering, "asns", page, query, sort, key_providers=providers)


@peering_view("GET", "POST", write=True)
def asn_add(request: HttpRequest, peering: Peering):
    """Register an ASN: Name (the customer) and ASN. Saved with a new prefix key."""
    return _add_page(request, peering, "asns")


def _asn_confirm(request, peering: Peering, asn_name: str, *, action: str):
    registered = registered_asn_of(peering=peering, name=asn_name)
    _asn_urls(peering, registered)
    label = "Rotate key" if action == "rotate" else "Delete"
    context = _context(peering, "asns", (registered.name, None), (label, None))
    if _cancelled(request):
        return redirect(context["blade_url"])
    error = ""
    if request.method == "POST":
        try:
            if action == "rotate":
                registered_asn_rotate_key(user=request.user, registered=registered)
                messages.success(
                    request,
                    f"A new prefix key was issued for {registered.name} (AS{registered.asn}). "
                    "The old key no longer works: give the customer the new one.",
                )
            else:
                registered_asn_delete(user=request.user, registered=registered)
                messages.success(
                    request,
                    f"Registered ASN {registered.name} (AS{registered.asn}) was deleted.",
                )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        except RegisteredAsn.DoesNotExist:
            error = "This registered ASN no longer exists."
        else:
            return redirect(context["blade_url"])
    context.update(
        registered=registered,
        used_by=_used_by(registered),
        error=error,
        action=action,
        action_url=registered.rotate_url if action == "rotate" else registered.delete_url,
    )
    return render_page(
        request,
        "peering/registered/asn_confirm.html",
        context,
        status=400 if error else 200,
        partial="pane",
    )


@peering_view("GET", "POST", write=True)
def asn_rotate(request: HttpRequest, peering: Peering, asn_name):
    """Rotate key: the confirmation page (GET), then a new prefix key (POST). The old key stops
    working at once; customers' prefixes fail validation until they use the new one."""
    return _asn_confirm(request, peering, asn_name, action="rotate")


@peering_view("GET", "POST", write=True)
def asn_delete(request: HttpRequest, peering: Peering, asn_name):
    """Delete a registered ASN: confirmation (GET), then delete (POST)."""
    return _asn_confirm(request, peering, asn_name, action="delete")


# --- Registered prefixes --------------------------------------------------------------------------


@peering_view("GET")
def prefix_list(request: HttpRequest, peering: Peering):
    """Registered prefixes: Name, Prefix, Validation state and message, Prefix key (copy);
    + Add registered prefix (disabled with the reason); Re-validate and Delete per row.
    Filtered by name or prefix (`?q=`), sortable and paged on the server like Registered ASNs."""
    rows, query = search(request, registered_prefixes_of(peering=peering), "name", "prefix")
    rows, sort = sort_by(request, rows, PREFIX_SORTS, "name")
    page = paginate(request, rows)
    for row in page:
        _prefix_urls(peering, row)
    return _list_page(request, peering, "prefixes", page, query, sort)


@peering_view("GET", "POST", write=True)
def prefix_add(request: HttpRequest, peering: Peering):
    """Add registered prefix: Name and IPv4 prefix; queued for validation (Pending)."""
    return _add_page(request, peering, "prefixes")


@peering_view("GET")
def prefix_detail(request: HttpRequest, peering: Peering, prefix_name):
    """One registered prefix: its prefix key (copy), validation state and message."""
    registered = registered_prefix_of(peering=peering, name=prefix_name)
    _prefix_urls(peering, registered)
    context = _context(peering, "prefixes", (registered.name, None))
    context.update(registered=registered, used_by=_used_by(registered))
    return render_page(request, "peering/registered/prefix_detail.html", context, partial="pane")


@peering_view("POST", write=True)
def prefix_revalidate(request: HttpRequest, peering: Peering, prefix_name):
    """Re-validate: queue validation again (Pending until it has run)."""
    registered = registered_prefix_of(peering=peering, name=prefix_name)
    registered_prefix_revalidate(user=request.user, registered=registered)
    messages.success(
        request, f"Validation of {registered.name} ({registered.prefix}) was queued again."
    )
    if request.POST.get("return") == "list":
        return redirect(blade_url(peering, "registered:prefix_list"))
    return redirect(blade_url(peering, "registered:prefix_detail", registered.name))


@peering_view("GET", "POST", write=True)
def prefix_delete(request: HttpRequest, peering: Peering, prefix_name):
    """Delete a registered prefix: confirmation (GET), then delete (POST)."""
    registered = registered_prefix_of(peering=peering, name=prefix_name)
    _prefix_urls(peering, registered)
    context = _context(peering, "prefixes", (registered.name, registered.detail_url))
    context["crumbs"].append(("Delete", None))
    context["page_label"] = "Delete"
    if _cancelled(request):
        return redirect(context["blade_url"])
    error = ""
    if request.method == "POST":
        try:
            registered_prefix_delete(user=request.user, registered=registered)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request, f"Registered prefix {registered.name} ({registered.prefix}) was deleted."
            )
            return redirect(context["blade_url"])
    context.update(registered=registered, used_by=_used_by(registered), error=error)
    return render_page(
        request,
        "peering/registered/prefix_delete.html",
        context,
        status=400 if error else 200,
        partial="pane",
    )


# --- Received routes ------------------------------------------------------------------------------


@peering_view("GET")
def routes(request: HttpRequest, peering: Peering):
    """Received routes: the routes Microsoft receives on the peering's connections, filtered by
    prefix (contains or exact), AS path, connection and validation states, 50 a page. htmx
    replaces only the results; the query count does not grow with the rows."""
    connections = list(peering.connections.all())
    form = ReceivedRouteFilterForm(request.GET or None, connections=connections)
    filters = form.filters()
    routes_qs, sort = sort_by(
        request, received_routes_of(peering=peering, filters=filters), ROUTE_SORTS, "prefix"
    )
    page = paginate(request, routes_qs)
    context = _context(peering, "routes")
    context.update(
        form=form,
        page=page,
        sort=sort,
        filtered=filters.active,
        connections=connections,
        results_id=ROUTES_RESULTS,
    )
    return render_page(
        request,
        "peering/registered/routes.html",
        context,
        fragments={ROUTES_RESULTS: "results"},
        partial="pane",
    )
