"""Create a Peering wizard: Basics → Configuration → Review + create.

Every move between tabs is a plain form POST that first saves the tab's values into the user's
server-side draft (`peering.services.wizard`), valid or not, so nothing typed is lost. Leaving a
tab forward checks it with the same service functions `draft_create` runs; a failure keeps the
user on the tab with each message next to its field. Without JavaScript each POST redirects to
the next tab; with htmx the wizard swaps in place and the URL follows (`HX-Push-Url`), and the
Direct Peering Connection form opens in a <dialog> instead of a page of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peering.enums import ConnectionState, DirectPeeringType, Kind, SessionAddressProvider
from peering.forms.wizard import (
    BasicsForm,
    ConfigurationForm,
    ConnectionForm,
    field_label,
    form_with_errors,
    values_from,
)
from peering.models import PeerAsn
from peering.selectors.peering_services import azure_regions
from peering.selectors.peerings import peering_for_user
from peering.selectors.telemetry import connections_changing, live_context
from peering.selectors.wizard import (
    approved_peer_asn,
    peer_asns_of,
    peering_locations,
    places_by_id,
    resource_groups_of,
)
from peering.services.peerings import (
    DIRECT,
    DIRECT_PEERING_SERVICE,
    MAX_CONNECTIONS,
    ROUTE_SERVER,
    VOICE,
    Configuration,
    Errors,
    Variant,
    facilities_for,
    fixed_provider_reason,
    legacy_connections_for,
    metro_places,
    peer_asn_unusable_reason,
    route_server_prefill,
)
from peering.services.wizard import (
    CONNECTION_FIELDS,
    SECTION_FIELDS,
    TABS,
    basics_check,
    configuration_check,
    connection_row_errors,
    draft_connection_remove,
    draft_connection_save,
    draft_create,
    draft_discard,
    draft_get,
    draft_pending_clear,
    draft_pending_for,
    draft_pending_set,
    draft_rows,
    draft_save,
    draft_section,
    draft_set_tab,
    draft_validate,
    network_label,
    sku_label,
    variant_for,
)
from peering.views.connections import next_step_shown
from portal.htmx import (
    client_redirect,
    is_fragment_request,
    push_url,
    render_page,
    reswap,
    retarget,
    trigger_client_event,
)
from portal.models import Subscription
from portal.selectors import (
    creatable_subscriptions_for_user,
    current_subscription,
)
from portal.templatetags.units import gbps
from portal.templatetags.units import place as place_label

TEMPLATE = "peering/wizard/wizard.jinja"
CONNECTION_TEMPLATE = "peering/wizard/connection.jinja"
GRID_TEMPLATE = "peering/wizard/_grid.jinja"
DIALOG_TARGET = "connection-dialog-body"
TAB_LABELS = {"basics": "Basics", "configuration": "Configuration", "review": "Review + create"}
NO_WRITE_ROLE = (
    "Creating a peering needs the Owner or Contributor role on a subscription; your roles only "
    "allow reading."
)
# Fired on the dialog itself: the element that asked may have been re-rendered meanwhile.
# (event name, params) for `trigger_client_event`.
OPEN_DIALOG = ("wizard-dialog-open", {"target": "#connection-dialog"})
CLOSE_DIALOG = ("wizard-dialog-close", {"target": "#connection-dialog"})


# --- helpers ----------------------------------------------------------------------------------


def _writable(request: HttpRequest) -> list[Subscription]:
    """The subscriptions the user may create in; none at all is a 403 on every wizard URL."""
    return creatable_subscriptions_for_user(user=request.user, refusal=NO_WRITE_ROLE)


def _tab_url(tab: str, *, check: bool = False) -> str:
    url = reverse("wizard:tab", args=[tab])
    return f"{url}?check=1" if check else url


def _connection_url(index: int | None, *, check: bool = False) -> str:
    url = reverse("wizard:connection", args=[index] if index is not None else [])
    return f"{url}?check=1" if check else url


def _in_dialog(request: HttpRequest) -> bool:
    return is_fragment_request(request) and request.htmx.target == DIALOG_TARGET


def _chosen_subscription(values: dict, subscriptions: list[Subscription]) -> Subscription | None:
    wanted = str(values.get("subscription", "")).strip().lower()
    return next((s for s in subscriptions if str(s.pk) == wanted), None)


@dataclass
class _Setup:
    """What the Configuration tab and the connection form stand on."""

    subscription: Subscription | None
    peer_asn: PeerAsn | None
    configuration: Configuration | None
    places: list
    legacy: list


def _setup(
    user, draft, subscriptions: list[Subscription], config_values: dict | None = None
) -> _Setup:
    """The chosen subscription, Peer ASN and (if its values are valid) the configuration, with
    the metro's facilities and exchanges loaded once for every row that needs them."""
    basics_values = draft_section(draft, "basics")
    subscription = _chosen_subscription(basics_values, subscriptions)
    peer_asn = None
    if subscription is not None and basics_values.get("peer_asn", "").strip():
        peer_asn = approved_peer_asn(subscription=subscription, name=basics_values["peer_asn"])
    values = draft_section(draft, "configuration") if config_values is None else config_values
    configuration = configuration_check(subscription=subscription, values=values, errors=Errors())
    places, legacy = [], []
    if configuration is not None:
        metro_places(configuration.metro, "direct_facilities", "exchanges")
        places = facilities_for(configuration)
        if peer_asn is not None:
            legacy = legacy_connections_for(peer_asn=peer_asn, configuration=configuration)
    return _Setup(subscription, peer_asn, configuration, places, legacy)


def _tab_errors(user, draft, subscriptions, tab: str) -> Errors:
    """The checks of leaving `tab` forward (Basics or Configuration)."""
    errors = Errors()
    if tab == "basics":
        basics_check(user=user, values=draft_section(draft, "basics"), errors=errors)
    elif tab == "configuration":
        setup = _setup(user, draft, subscriptions)
        configuration_check(
            subscription=setup.subscription,
            values=draft_section(draft, "configuration"),
            errors=errors,
        )
        if setup.configuration is not None and not draft_rows(draft) and not setup.legacy:
            errors.add("connections", "Add at least one peering connection.")
    return errors


def _variant_explanation(variant: Variant) -> list[str]:
    """What the chosen combination creates, in the portal's words."""
    sku = sku_label(variant)
    if variant.is_exchange:
        return [
            f"{variant.label}: SKU {sku}. Each connection is at an exchange in the metro, with "
            "your router's addresses on the exchange's peering LAN.",
            "Legacy connections of your ASN in the metro are converted with the new resource.",
        ]
    provider = variant.session_address_provider or "Peer or Microsoft, chosen per connection"
    lines = [f"{variant.label}: SKU {sku}, session address provider {provider}."]
    if variant is ROUTE_SERVER:
        lines.append(
            "The session prefix is the exchange's LAN. Give one peer (route server) address and "
            "one Microsoft address per connection; Microsoft builds the BGP mesh."
        )
    elif variant is VOICE:
        lines.append("Microsoft allocates the session addresses of every connection.")
    else:
        lines.append(
            "Session prefixes are /30 or /31 (IPv6 /126 or /127): the first address is yours, "
            "the next Microsoft's."
        )
        if variant is DIRECT_PEERING_SERVICE:
            lines.append("Its connections are used for Peering Service.")
    return lines


# --- rendering --------------------------------------------------------------------------------


def _tabs_context(tab: str) -> dict:
    index = TABS.index(tab)
    prev_tab = TABS[index - 1] if index > 0 else ""
    next_tab = TABS[index + 1] if index + 1 < len(TABS) else ""
    return {
        "tab": tab,
        "tab_label": TAB_LABELS[tab],
        "tabs": [{"key": key, "label": TAB_LABELS[key]} for key in TABS],
        "prev_tab": prev_tab,
        "next_tab": next_tab,
        "next_label": TAB_LABELS.get(next_tab, ""),
        "active_nav": "peerings",
    }


def _refresh_attrs(url: str) -> dict[str, str]:
    """htmx attributes of a field whose change saves the tab and re-renders what depends on it.

    Only the dependent parts come back (out of band, see REFRESHED), never the field being
    changed nor the free-text fields, so nothing typed meanwhile is overwritten; the latest
    change waits for a refresh in flight (only the last one queues).
    """
    return {
        "hx-post": url,
        "hx-vals": json.dumps({"action": "update"}),
        "hx-swap": "none",
        "hx-trigger": "change",
        "hx-sync": "closest form:queue last",
    }


# Which partials of a tab depend on which field: `(template, partial)` pairs.
BASICS_TEMPLATE = "peering/wizard/_basics.jinja"
CONFIGURATION_TEMPLATE = "peering/wizard/_configuration.jinja"
REFRESHED = {
    "basics": {
        "subscription": (
            (BASICS_TEMPLATE, "groups"),
            (BASICS_TEMPLATE, "region"),
            (BASICS_TEMPLATE, "peer_asn"),
        ),
        "resource_group": ((BASICS_TEMPLATE, "region"),),
        "new_resource_group": ((BASICS_TEMPLATE, "region"),),
    },
    "configuration": {
        name: ((CONFIGURATION_TEMPLATE, "variant"), (CONFIGURATION_TEMPLATE, "connections"))
        for name in ("peering_type", "microsoft_network", "sku", "metro")
    },
}


def _refresh(request, tab: str, draft, subscriptions) -> HttpResponse:
    """The parts of `tab` that depend on the field that changed, as out-of-band swaps."""
    parts = REFRESHED.get(tab, {}).get(request.htmx.trigger_name or "")
    if not parts:
        return _render_tab(request, tab, draft, subscriptions, partial="panel", focus=False)
    context = _tab_context(request, tab, draft, subscriptions, errors=None)
    context["oob"] = True
    html = "".join(
        render_to_string(f"{template}#{partial}", context, request=request)
        for template, partial in parts
    )
    return HttpResponse(html)


def _basics_context(request, subscriptions, values: dict, errors) -> dict:
    values = dict(values)
    if "subscription" not in values:
        current = current_subscription(request)
        default = current if current is not None and current in subscriptions else None
        values["subscription"] = str((default or subscriptions[0]).pk)
    subscription = _chosen_subscription(values, subscriptions)
    groups = resource_groups_of(subscription=subscription) if subscription else []
    peer_asns = peer_asns_of(subscription=subscription) if subscription else []
    regions = azure_regions()
    group = None
    if not values.get("new_resource_group", "").strip():
        wanted = values.get("resource_group", "").strip().lower()
        group = next((g for g in groups if g.name.lower() == wanted), None)
    form = form_with_errors(
        BasicsForm,
        values,
        errors,
        "basics.",
        subscriptions=subscriptions,
        resource_groups=groups,
        regions=regions,
        peer_asns=peer_asns,
    )
    url = _tab_url("basics")
    for name in ("subscription", "resource_group", "new_resource_group"):
        form.fields[name].widget.attrs.update(_refresh_attrs(url))
    return {
        "form": form,
        "fixed_group": group,
        "chosen_subscription": subscription,
        "unusable_peer_asns": [
            (peer_asn, peer_asn_unusable_reason(peer_asn))
            for peer_asn in peer_asns
            if not peer_asn.is_approved
        ],
        "has_peer_asns": bool(peer_asns),
    }


def _grid_context(draft, setup: _Setup, errors=None, *, peering_type: str = "") -> dict:
    """The Peering Connections grid: each stored row as typed, with its place's name. A row
    whose place the configuration does not offer is flagged; while the configuration is
    incomplete, the places are only named."""
    variant = setup.configuration.variant if setup.configuration else None
    draft_rows_ = draft_rows(draft)
    if variant is not None:
        places = {str(p.pk): p for p in setup.places}
    else:
        wanted = {
            int(text)
            for row in draft_rows_
            if (text := row.get("facility", "").strip()).isascii()
            and text.isdigit()
            and len(text) <= 12
        }
        places = places_by_id(kind=peering_type, ids=wanted)
    rows = []
    for index, row in enumerate(draft_rows_):
        place = places.get(row.get("facility", "").strip())
        exchange = variant.is_exchange if variant is not None else peering_type == Kind.EXCHANGE
        rows.append(
            {
                "index": index,
                "number": index + 1,
                "values": row,
                "place": place,
                "place_name": place_label(place) if place else "",
                "unavailable": variant is not None and place is None,
                "is_exchange": exchange,
                "microsoft_v4": place.microsoft_ipv4_address if exchange and place else "",
                "microsoft_v6": place.microsoft_ipv6_address if exchange and place else "",
                "provider": (variant.session_address_provider if variant else "")
                or row.get("session_address_provider", ""),
                "bandwidth": _bandwidth_label(row.get("bandwidth_mbps", "")),
                "use_for_peering_service": row.get("use_for_peering_service", "").lower()
                in {"on", "true", "1", "yes"},
            }
        )
    grid_errors = []
    for key, messages_ in (errors or {}).items():
        if key == "connections":
            grid_errors.extend(messages_)
    return {
        "grid_rows": rows,
        "grid_errors": grid_errors,
        "grid_full": len(rows) >= MAX_CONNECTIONS,
        "max_connections": MAX_CONNECTIONS,
        "can_add": setup.configuration is not None,
    }


def _bandwidth_label(text: str) -> str:
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= 7:
        return gbps(int(text))
    return text


def _configuration_context(request, draft, subscriptions, values: dict, errors) -> dict:
    metros = peering_locations()
    form = form_with_errors(ConfigurationForm, values, errors, "configuration.", metros=metros)
    url = _tab_url("configuration")
    for name in ("peering_type", "microsoft_network", "sku", "metro"):
        form.fields[name].widget.attrs.update(_refresh_attrs(url))
    setup = _setup(request.user, draft, subscriptions, config_values=values)
    variant, problems = variant_for(
        peering_type=values.get("peering_type", "").strip(),
        microsoft_network=values.get("microsoft_network", "").strip(),
        sku=values.get("sku", "").strip(),
        agreement_signed=bool(
            setup.subscription and setup.subscription.peering_service_agreement_signed
        ),
    )
    return {
        "form": form,
        "is_exchange": values.get("peering_type", "").strip() == Kind.EXCHANGE,
        "variant": variant,
        "variant_lines": _variant_explanation(variant) if variant else [],
        "variant_problems": list(problems.values()),
        "setup": setup,
        "metro": setup.configuration.metro if setup.configuration else None,
        "legacy": setup.legacy,
        **_grid_context(draft, setup, errors, peering_type=values.get("peering_type", "").strip()),
    }


def _error_groups(errors: dict, rows_count: int) -> list[dict]:
    """Review + create's errors, grouped by tab, each with a link to where it is fixed."""
    groups = {
        "basics": {"label": "Basics", "url": _tab_url("basics", check=True), "items": []},
        "configuration": {
            "label": "Configuration",
            "url": _tab_url("configuration", check=True),
            "items": [],
        },
        "connections": {
            "label": "Peering connections",
            "url": _tab_url("configuration", check=True),
            "items": [],
        },
    }
    for key, messages_ in errors.items():
        parts = key.split(".")
        section = parts[0] if parts[0] in groups else "basics"
        for message in messages_:
            item = {"label": "", "message": message, "url": groups[section]["url"]}
            if section == "connections" and len(parts) >= 2 and parts[1].isdigit():
                index = int(parts[1])
                field = parts[2] if len(parts) > 2 else ""
                item["label"] = f"Connection {index + 1}" + (
                    f": {field_label(field)}" if field else ""
                )
                if index < rows_count:
                    item["url"] = _connection_url(index, check=True)
                    item["link_text"] = f"Edit connection {index + 1}"
                    item["is_row"] = True
            elif len(parts) > 1:
                item["label"] = field_label(parts[1])
            item.setdefault("link_text", f"Go to {groups[section]['label']}")
            groups[section]["items"].append(item)
    return [group for group in groups.values() if group["items"]]


def _summary_extra(errors: dict) -> list[dict]:
    """The error summary's items that are not fields of the tab's form: the connection rows
    (each linking to its Edit button) and the grid as a whole."""
    items = []
    for key, messages_ in errors.items():
        parts = key.split(".")
        if parts[0] != "connections":
            continue
        if len(parts) >= 2 and parts[1].isdigit():
            field = parts[2] if len(parts) > 2 else ""
            label = f"Connection {int(parts[1]) + 1}" + (f": {field_label(field)}" if field else "")
            href = f"#edit-connection-{parts[1]}"
        else:
            label, href = "Peering connections", "#create-connection"
        items.extend({"label": label, "message": m, "href": href} for m in messages_)
    return items


def _review_context(request, draft, errors=None) -> dict:
    if errors is None:
        validated, errors = draft_validate(user=request.user, data=draft.data)
    else:
        validated = None
    context = {"validated": validated, "validation_passed": validated is not None}
    if validated is not None:
        context["sku_label"] = sku_label(validated.configuration.variant)
        context["microsoft_network"] = network_label(validated.configuration.variant)
    else:
        context["error_groups"] = _error_groups(errors, len(draft_rows(draft)))
    return context


def _render_tab(
    request,
    tab: str,
    draft,
    subscriptions,
    *,
    errors=None,
    partial: str = "main",
    push: bool = False,
    status: int = 200,
    focus: bool = True,
) -> HttpResponse:
    """The tab; `focus` puts the focus on its heading (or its error summary) once shown."""
    context = _tab_context(request, tab, draft, subscriptions, errors=errors)
    context["focus_heading"] = focus
    response = render_page(request, TEMPLATE, context, partial=partial, status=status)
    if push and is_fragment_request(request):
        response = push_url(response, _tab_url(tab))
    return response


def _tab_context(request, tab: str, draft, subscriptions, *, errors) -> dict:
    context = _tabs_context(tab)
    context["draft_exists"] = draft.pk is not None
    if errors is not None and tab != "review":
        context["forward_failed"] = True
        context["summary_extra"] = _summary_extra(errors)
    if tab == "basics":
        context.update(
            _basics_context(request, subscriptions, draft_section(draft, "basics"), errors)
        )
    elif tab == "configuration":
        context.update(
            _configuration_context(
                request, draft, subscriptions, draft_section(draft, "configuration"), errors
            )
        )
    else:
        context.update(_review_context(request, draft, errors))
    return context


def _move(request, tab: str, draft, subscriptions) -> HttpResponse:
    """After a successful move: redirect (no JS) or render the tab in place (htmx)."""
    if is_fragment_request(request):
        return _render_tab(request, tab, draft, subscriptions, push=True)
    return redirect(_tab_url(tab))


# --- the tabs ---------------------------------------------------------------------------------


@login_required
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Create a peering: resume the user's draft at the tab they were last on."""
    subscriptions = _writable(request)
    draft = draft_get(user=request.user)
    tab = draft.data.get("tab")
    if tab not in TABS:
        tab = "basics"
    return _render_tab(request, tab, draft, subscriptions)


@login_required
@require_http_methods(["GET", "POST"])
def tab(request: HttpRequest, tab: str) -> HttpResponse:
    """One tab. GET shows it from the draft (`?check=1` also shows its errors). POST saves the
    tab's values, then: `goto=<tab>` moves (checking this tab first when moving forward);
    `action=update` re-renders dependent fields; `action=new` / `action=edit:<i>` opens the
    connection form."""
    if tab not in TABS:
        raise Http404("No such tab.")
    subscriptions = _writable(request)
    user = request.user
    if request.method == "GET":
        draft = draft_get(user=user)
        if draft.pk is not None and draft.data.get("tab") != tab:  # no write when it is already
            draft_set_tab(user=user, tab=tab)
        errors = None
        if request.GET.get("check") and tab != "review":
            errors = _tab_errors(user, draft, subscriptions, tab) or None
        return _render_tab(request, tab, draft, subscriptions, errors=errors)

    if tab in SECTION_FIELDS:
        draft = draft_save(
            user=user, section=tab, values=values_from(request.POST, SECTION_FIELDS[tab])
        )
    else:
        draft = draft_get(user=user)
    action = request.POST.get("action", "")
    goto = request.POST.get("goto", "")

    if action == "update":
        if is_fragment_request(request):
            return _refresh(request, tab, draft, subscriptions)
        return redirect(_tab_url(tab))

    if tab == "configuration" and (action == "new" or action.startswith("edit:")):
        index = None
        if action.startswith("edit:"):
            text = action.removeprefix("edit:")
            if not (text.isascii() and text.isdigit() and len(text) <= 4):
                raise Http404("No such connection.")
            index = int(text)
        return _open_connection(request, draft, subscriptions, index)

    if goto in TABS:
        if TABS.index(goto) > TABS.index(tab) and tab in SECTION_FIELDS:
            errors = _tab_errors(user, draft, subscriptions, tab)
            if errors:
                draft_set_tab(user=user, tab=tab)
                return _render_tab(request, tab, draft, subscriptions, errors=errors)
        draft_set_tab(user=user, tab=goto)
        draft.data["tab"] = goto
        return _move(request, goto, draft, subscriptions)
    return redirect(_tab_url(tab))


@login_required
@require_http_methods(["GET", "POST"])
def discard(request: HttpRequest) -> HttpResponse:
    """Discard the draft: everything typed in the wizard is forgotten."""
    return discard_draft(
        request, "Create a peering", draft_discard, back="wizard:start", then="peering:peering_list"
    )


def discard_draft(
    request: HttpRequest, wizard: str, discard, *, back: str, then: str, active_nav="peerings"
) -> HttpResponse:
    """A wizard's "Discard draft" (both wizards'): asks first. With htmx the browser asks
    (`hx-confirm`) and POSTs; without JavaScript the link opens this confirmation page, whose
    button POSTs. Then `discard(user=)` forgets the draft and the user goes to `then`; Cancel
    goes `back` to the wizard."""
    _writable(request)
    if request.method == "GET":
        context = {
            "active_nav": active_nav,
            "title": f"Discard the {wizard} draft?",
            "action_url": request.path,
            "back_url": reverse(back),
        }
        return render_page(request, "peering/discard_confirm.html", context)
    discard(user=request.user)
    messages.info(request, f"The {wizard} draft was discarded.")
    return client_redirect(request, reverse(then))


# --- connection rows --------------------------------------------------------------------------


def _connection_defaults(setup: _Setup) -> dict[str, str]:
    variant = setup.configuration.variant
    values = {name: "" for name in CONNECTION_FIELDS}
    if len(setup.places) == 1:
        values["facility"] = str(setup.places[0].pk)
    if not variant.is_exchange:
        values["bandwidth_mbps"] = "10000"
        values["session_address_provider"] = (
            variant.session_address_provider or SessionAddressProvider.PEER
        )
        signed = bool(setup.subscription and setup.subscription.peering_service_agreement_signed)
        if signed and variant in (ROUTE_SERVER, DIRECT_PEERING_SERVICE):
            values["use_for_peering_service"] = "on"
        values.update(route_server_prefill(route_server_lans(variant, setup)))
    return values


def route_server_lans(variant: Variant, setup) -> list:
    """A route-server session is on one of the metro's exchange LANs: the dialog lists them."""
    return setup.configuration.lans if variant is ROUTE_SERVER else []


def _connection_errors(setup: _Setup, rows: list[dict], index: int | None, values: dict):
    return connection_row_errors(
        configuration=setup.configuration,
        subscription=setup.subscription,
        rows=rows,
        index=index,
        values=values,
    )


def _connection_response(
    request,
    setup: _Setup,
    index: int | None,
    values: dict,
    errors=None,
    *,
    rows_count: int,
    in_dialog: bool,
) -> HttpResponse:
    variant = setup.configuration.variant
    position = index if index is not None else rows_count
    signed = bool(setup.subscription and setup.subscription.peering_service_agreement_signed)
    form = form_with_errors(
        ConnectionForm,
        values,
        errors,
        f"connections.{position}.",
        places=setup.places,
        exchange=variant.is_exchange,
        fixed_provider=variant.session_address_provider,
        fixed_provider_reason=fixed_provider_reason(variant),
        agreement_signed=signed,
    )
    context = {
        "active_nav": "peerings",
        "form": form,
        "index": index,
        "number": position + 1,
        "is_new": index is None,
        "variant": variant,
        "metro": setup.configuration.metro,
        "is_exchange": variant.is_exchange,
        "exchanges": setup.places if variant.is_exchange else route_server_lans(variant, setup),
        "microsoft_allocates": variant.session_address_provider == SessionAddressProvider.MICROSOFT,
        "derived": variant in (DIRECT, DIRECT_PEERING_SERVICE),
        "route_server": variant.direct_peering_type == DirectPeeringType.IX_RS,
        "action_url": _connection_url(index),
        "in_dialog": in_dialog,
        "has_errors": bool(errors),
        "title": "Exchange Peering Connection"
        if variant.is_exchange
        else "Direct Peering Connection",
    }
    if in_dialog:
        return render(request, f"{CONNECTION_TEMPLATE}#connection_form", context)
    return render_page(request, CONNECTION_TEMPLATE, context)


def _setup_for_connections(request, draft, subscriptions) -> _Setup | None:
    setup = _setup(request.user, draft, subscriptions)
    if setup.configuration is None or setup.subscription is None:
        return None
    return setup


def _needs_configuration(request, draft, subscriptions) -> HttpResponse:
    """The connection form needs a subscription and a valid configuration: go back there."""
    if _chosen_subscription(draft_section(draft, "basics"), subscriptions) is None:
        messages.info(request, "Start with the Basics: choose the subscription first.")
        return client_redirect(request, _tab_url("basics"))
    errors = Errors()
    setup = _setup(request.user, draft, subscriptions)
    configuration_check(
        subscription=setup.subscription,
        values=draft_section(draft, "configuration"),
        errors=errors,
    )
    errors.add(
        "connections",
        "Choose the peering type, Microsoft network, SKU and metro before adding connections.",
    )
    response = _render_tab(request, "configuration", draft, subscriptions, errors=errors)
    if is_fragment_request(request):
        response = push_url(
            reswap(retarget(response, "#wizard"), "outerHTML"), _tab_url("configuration")
        )
    return response


def _open_connection(request, draft, subscriptions, index: int | None) -> HttpResponse:
    """From the grid: `+ Create new` or `Edit` (the configuration was just saved)."""
    rows = draft_rows(draft)
    if index is not None and not 0 <= index < len(rows):
        raise Http404("No such connection.")
    setup = _setup_for_connections(request, draft, subscriptions)
    if setup is None:
        return _needs_configuration(request, draft, subscriptions)
    if index is None and len(rows) >= MAX_CONNECTIONS:
        errors = Errors()
        errors.add("connections", f"A peering can have at most {MAX_CONNECTIONS} connections.")
        response = _render_tab(request, "configuration", draft, subscriptions, errors=errors)
        if is_fragment_request(request):
            response = reswap(retarget(response, "#wizard"), "outerHTML")
        return response
    if not _in_dialog(request):
        return redirect(_connection_url(index))
    values, errors = _initial_row(draft, setup, rows, index, check=False)
    response = _connection_response(
        request, setup, index, values, errors, rows_count=len(rows), in_dialog=True
    )
    # After settling, so the dialog opens with the form in it and focuses its first field.
    return trigger_client_event(response, *OPEN_DIALOG, after="settle")


def _initial_row(draft, setup: _Setup, rows, index: int | None, *, check: bool):
    """The values a connection form opens with: a rejected row still being corrected, the
    stored row, or the defaults of a new one; with the errors when they should show."""
    pending = draft_pending_for(draft, index)
    if pending is not None:
        return pending, _connection_errors(setup, rows, index, pending)
    values = rows[index] if index is not None else _connection_defaults(setup)
    errors = _connection_errors(setup, rows, index, values) if check else None
    return values, errors


@login_required
@require_http_methods(["GET", "POST"])
def connection(request: HttpRequest, index: int | None = None) -> HttpResponse:
    """The Direct Peering Connection form for a new row or row `index`: validated on save with
    `connection_validate` and against the other rows' addresses; a rejected row comes back with
    every typed value, a valid one is stored in the draft."""
    subscriptions = _writable(request)
    user = request.user
    draft = draft_get(user=user)
    rows = draft_rows(draft)
    if index is not None and not 0 <= index < len(rows):
        raise Http404("No such connection.")
    in_dialog = _in_dialog(request)
    if request.method == "POST" and "cancel" in request.POST:
        draft_pending_clear(user=user)
        if in_dialog:
            return trigger_client_event(HttpResponse(status=204), *CLOSE_DIALOG)
        return redirect(_tab_url("configuration"))
    setup = _setup_for_connections(request, draft, subscriptions)
    if setup is None:
        return _needs_configuration(request, draft, subscriptions)
    if request.method == "GET":
        values, errors = _initial_row(
            draft, setup, rows, index, check=bool(request.GET.get("check"))
        )
        return _connection_response(
            request, setup, index, values, errors, rows_count=len(rows), in_dialog=in_dialog
        )

    values = {name: request.POST.get(name, "") for name in CONNECTION_FIELDS}
    if index is None and len(rows) >= MAX_CONNECTIONS:
        errors = Errors()
        errors.add(
            f"connections.{len(rows)}.facility",
            f"A peering can have at most {MAX_CONNECTIONS} connections.",
        )
    else:
        errors = _connection_errors(setup, rows, index, values)
    if errors:
        draft_pending_set(user=user, index=index, values=values)
        return _connection_response(
            request, setup, index, values, errors, rows_count=len(rows), in_dialog=in_dialog
        )
    draft_connection_save(user=user, index=index, values=values)
    if in_dialog:
        draft = draft_get(user=user)
        context = {**_tabs_context("configuration"), **_grid_context(draft, setup)}
        response = render(request, GRID_TEMPLATE, context)
        response = reswap(retarget(response, "#connection-grid"), "outerHTML")
        return trigger_client_event(response, *CLOSE_DIALOG)
    messages.success(
        request, f"Connection {(index if index is not None else len(rows)) + 1} saved."
    )
    return redirect(_tab_url("configuration"))


@login_required
@require_POST
def connection_remove(request: HttpRequest, index: int) -> HttpResponse:
    """Delete connection row `index` (saving the Configuration values posted with it)."""
    subscriptions = _writable(request)
    user = request.user
    values = values_from(request.POST, SECTION_FIELDS["configuration"])
    if values:
        draft_save(user=user, section="configuration", values=values)
    if not draft_connection_remove(user=user, index=index):
        raise Http404("No such connection.")
    if is_fragment_request(request):
        draft = draft_get(user=user)
        return _render_tab(request, "configuration", draft, subscriptions)
    return redirect(_tab_url("configuration"))


# --- Create -----------------------------------------------------------------------------------


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    """Create: `draft_create` validates the whole draft again and saves it atomically. On
    success the draft is deleted and the deployment page shown."""
    subscriptions = _writable(request)
    user = request.user
    draft = draft_get(user=user)
    try:
        peering = draft_create(user=user, data=draft.data)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"basics": exc.messages}
        return _render_tab(request, "review", draft, subscriptions, errors=errors, push=True)
    draft_discard(user=user)
    url = reverse(
        "wizard:deployment",
        args=[peering.subscription_id, peering.resource_group.name, peering.name],
    )
    return client_redirect(request, url)


@login_required
@require_GET
def deployment(request: HttpRequest, subscription_id, resource_group: str, name: str):
    """Your deployment is complete: the new peering, its connections and what happens next."""
    _writable(request)
    peering = peering_for_user(
        user=request.user,
        subscription_id=subscription_id,
        resource_group=resource_group,
        name=name,
    )
    created = timezone.localtime(peering.created_at)
    connections = list(peering.connections.all())
    context = {
        "active_nav": "peerings",
        "peering": peering,
        "connections": connections,
        "next_steps": deployment_next_steps(connections, kind=peering.kind),
        **live_context(changing=connections_changing(connections), url=request.path),
        "deployment_name": f"Microsoft.Peering-{created:%Y%m%d%H%M%S}",
        "created": created,
        "detail_url": reverse(
            "peering:peering_detail",
            args=[peering.subscription_id, peering.resource_group.name, peering.name],
        ),
    }
    return render_page(
        request, "peering/wizard/deployment.html", context, fragments={"live-deployment": "live"}
    )


def deployment_next_steps(connections: list, *, kind: str) -> list[dict]:
    """Next steps as the connections stand now: per state (in lifecycle order), how many are
    in it and who does what next."""
    counts: dict[str, int] = {}
    for connection in connections:
        counts[connection.connection_state] = counts.get(connection.connection_state, 0) + 1
    order = {value: index for index, value in enumerate(ConnectionState.values)}
    steps = []
    for state, count in sorted(counts.items(), key=lambda item: order.get(item[0], 99)):
        step = next_step_shown(state, kind=kind)
        if step is not None:
            steps.append({**step, "state": state, "count": count})
    return steps
