"""Peering Service blades (the customer's side): the list, "Create a peering service
connection", the Overview, the Prefixes blade with each prefix's events, and Delete.

Every form is a plain POST that works without JavaScript; htmx swaps the changed part in place.
Reads go through `peering.selectors.peering_services` (404 outside the user's subscriptions,
403 for a Reader's write); every rule is the service's (`peering.services.peering_services`).
Typed prefix keys are form data only: the views that receive them hide their POST from error
reports and are never cached.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from peering.forms.peering_services import (
    MAIN_FIELDS,
    MAX_ROW_INDEX,
    PREFIX_FIELDS,
    TAB_KEYS,
    TAB_LABELS,
    TABS,
    CheckResult,
    DeleteConfirmForm,
    PeeringServiceForm,
    PrefixAddForm,
    PrefixRowForm,
    draft_rows,
    draft_values,
    posted_values,
    prefix_row_errors,
    row_is_blank,
    rows_from,
    service_errors,
    service_input,
    tab_of,
)
from peering.models import PeeringService, PeeringServicePrefix
from peering.selectors.peering_services import (
    azure_region,
    azure_regions,
    having_prefix_like,
    peering_service_for_user,
    peering_service_keys_for_user,
    peering_service_page,
    prefix_events,
    prefix_of,
    prefix_state_summary,
    prefixes_of,
    provider_location_names,
    resource_group_in,
    service_countries,
    service_location,
    service_provider,
    service_providers,
    service_states,
    session_availability,
)
from peering.selectors.telemetry import live_context, prefix_event_history, prefixes_changing
from peering.services.peering_services import MAX_PREFIXES_PER_REQUEST
from peering.services.peering_services import peering_service_create as service_create
from peering.services.peering_services import peering_service_delete as service_delete
from peering.services.peering_services import (
    peering_service_draft_discard as service_draft_discard,
)
from peering.services.peering_services import peering_service_draft_get as service_draft_get
from peering.services.peering_services import peering_service_draft_save as service_draft_save
from peering.services.peering_services import peering_service_prefix_add as service_prefix_add
from peering.services.peering_services import peering_service_prefix_delete as service_prefix_delete
from peering.services.peering_services import (
    peering_service_prefix_revalidate as service_prefix_revalidate,
)
from peering.services.peering_services import peering_service_validate as service_validate
from peering.views.peerings import resource_view
from peering.views.wizard import discard_draft
from portal.htmx import client_redirect, htmx_target, is_fragment_request, render_page
from portal.models import WRITE_ROLES
from portal.selectors import (
    creatable_subscriptions_for_user,
    current_subscription,
    refuse_read_only_subscription,
    resource_groups_for_user,
    writable_subscriptions_for_user,
)
from portal.tables import paginate, search, sort_by, table_context

ACTIVE_NAV = "peering_services"
NO_WRITE_ROLE = (
    "Creating a Peering Service needs the Owner or Contributor role on a subscription; your "
    "roles only allow reading."
)
# The list's and the Prefixes blade's sortable columns (`?sort=<key>` or `-<key>`), with the
# filter (`?q=`) in the URL so a view can be shared; ties by name, then id.
LIST_SORTS = {
    "name": ("name",),
    "resource_group": ("resource_group__name", "name"),
    "location": ("location__country", "location__state", "name"),
    "provider": ("provider__name", "name"),
    "subscription": ("subscription__display_name", "resource_group__name", "name"),
}
PREFIX_SORTS = {
    "name": ("name",),
    "prefix": ("prefix",),
    "state": ("validation_state", "name"),
    "validated": ("validated_at", "name"),
}
PENDING_NOTE = "Its state is Pending until the background validation has run."


def peering_service_view(*methods: str, write: bool | None = None):
    """A view of one Peering Service (its blades and prefixes): `resource_view` with the
    service read by `peering_service_for_user`."""
    return resource_view(peering_service_for_user, *methods, write=write)


def _service_args(service: PeeringService) -> list:
    return [service.subscription_id, service.resource_group.name, service.name]


def _service_url(service: PeeringService, view: str = "detail") -> str:
    return reverse(f"peering_services:{view}", args=_service_args(service))


def _prefix_url(prefix: PeeringServicePrefix, view: str = "prefix_detail") -> str:
    return reverse(
        f"peering_services:{view}", args=[*_service_args(prefix.peering_service), prefix.name]
    )


def _table_query(request: HttpRequest) -> str:
    """The request's query string (the table's filter, sort and page) as `?…`, or ""."""
    query = request.GET.urlencode()
    return f"?{query}" if query else ""


def _can_write(service: PeeringService) -> bool:
    return getattr(service.subscription, "user_role", None) in WRITE_ROLES


def mask_key(key: str) -> str:
    """A prefix key as the portal shows it: only its last four characters."""
    key = str(key or "")
    return f"••••••••{key[-4:]}" if len(key) > 4 else "••••"


# --- List ------------------------------------------------------------------------------------


@login_required
@require_GET
def peering_service_list(request: HttpRequest) -> HttpResponse:
    """Peering Services of the user's subscriptions (the switcher's one if chosen), with the
    prefix count per validation state from the same query."""
    subscription = current_subscription(request)
    services = peering_service_keys_for_user(user=request.user, subscription=subscription)
    # Its name, resource group or provider, or one of its prefixes.
    services, query = search(
        request,
        services,
        "name",
        "resource_group__name",
        "provider__name",
        also=having_prefix_like,
    )
    services, sort = sort_by(request, services, LIST_SORTS, "subscription")
    page = paginate(request, peering_service_page(services))
    context = {
        **table_context(page, query, sort),
        "active_nav": ACTIVE_NAV,
        "rows": [(service, service.state_counts) for service in page],
        "list_url": reverse("peering_services:list"),
        "subscription": subscription,
        "can_create": writable_subscriptions_for_user(user=request.user).exists(),
    }
    return render_page(request, "peering/peering_service/list.jinja", context, partial="results")


# --- Create a peering service connection ---------------------------------------------------


@dataclass
class _Chosen:
    """The objects the create form's values name (None where a value names nothing)."""

    subscription: object
    resource_group: object
    new_resource_group: str
    region: object
    location: object
    provider: object


def _writable(request: HttpRequest) -> list:
    return creatable_subscriptions_for_user(user=request.user, refusal=NO_WRITE_ROLE)


def _choose(values: dict[str, str], subscriptions: list) -> _Chosen:
    wanted = values["subscription"].lower()
    subscription = next((s for s in subscriptions if str(s.pk) == wanted), None)
    new_group = values["new_resource_group"]
    group = None
    if subscription is not None and not new_group:
        group = resource_group_in(subscription=subscription, name=values["resource_group"])
    return _Chosen(
        subscription=subscription,
        resource_group=group,
        new_resource_group=new_group,
        region=azure_region(values["region"]) if group is None else None,
        location=service_location(country=values["country"], state=values["state"]),
        provider=service_provider(values["provider"]),
    )


def _refuse_read_only(request: HttpRequest, values: dict[str, str], subscriptions) -> None:
    """A readable but not writable subscription is a 403; one the user cannot see stays a field
    error, so its existence is never revealed."""
    raw = values["subscription"]
    if not raw or any(str(s.pk) == raw.lower() for s in subscriptions):
        return
    refuse_read_only_subscription(user=request.user, subscription_id=raw)


def _review_errors(request, chosen: _Chosen, values, rows) -> dict[str, list[str]]:
    """Review + create: `peering_service_validate` judges Basics and Configuration (writing
    nothing); the prefix rows get the checks that need no key (keys are matched, and wrong
    ones counted, only when Create is selected)."""
    errors = prefix_row_errors(rows)
    if chosen.subscription is None:
        errors["subscription"] = [
            "Select one of your subscriptions where you are Owner or Contributor."
        ]
        return errors
    _, found = service_validate(
        user=request.user,
        subscription=chosen.subscription,
        data=service_input(values, rows, provider=chosen.provider, with_prefixes=False),
    )
    errors.update(service_errors(ValidationError(found), []) if found else {})
    return errors


def _create_errors(request, chosen: _Chosen, values, rows):
    """Create: (service, {}) or (None, errors keyed by form field)."""
    local = prefix_row_errors(rows)
    if chosen.subscription is None:
        local["subscription"] = [
            "Select one of your subscriptions where you are Owner or Contributor."
        ]
        return None, local
    try:
        service = service_create(
            user=request.user,
            subscription=chosen.subscription,
            data=service_input(values, rows, provider=chosen.provider, with_prefixes=True),
        )
    except ValidationError as exc:
        return None, {**local, **service_errors(exc, rows)}
    return service, {}


def _error_label(key: str, form: PeeringServiceForm, rows) -> str:
    if key in form.fields:
        return str(form.fields[key].label)
    if key.startswith("prefix-"):
        _, index, field = key.split("-", 2)
        position = next((n for n, (i, _) in enumerate(rows) if str(i) == index), 0)
        label = PrefixRowForm.base_fields[field].label if field in PREFIX_FIELDS else field
        return f"Prefix row {position + 1}: {label}"
    if key == "prefixes":
        return "Prefixes"
    return ""


def _error_order(key: str) -> tuple[int, int]:
    """Errors listed tab by tab, each tab's in the order of its fields."""
    position = MAIN_FIELDS.index(key) if key in MAIN_FIELDS else 0
    return TAB_KEYS.index(tab_of(key)), position


def _render_create(
    request: HttpRequest,
    *,
    subscriptions: list,
    tab: str,
    values: dict[str, str],
    rows: list[tuple[int, dict[str, str]]],
    check: CheckResult,
    focus: str = "",
    create_failed: bool = False,
    draft_exists: bool = False,
    moved: bool = True,
) -> HttpResponse:
    """The wizard at `tab`. After a move (`moved`) the focus goes to the tab's heading, or to
    its error summary when the tab has errors; a field named by `focus` takes it instead; a
    refresh on change leaves it where it is."""
    chosen = _choose(values, subscriptions)
    errors = check.current(values, rows)
    groups = (
        list(resource_groups_for_user(user=request.user, subscription=chosen.subscription))
        if chosen.subscription is not None
        else []
    )
    form = PeeringServiceForm(
        values=values,
        subscriptions=subscriptions,
        resource_groups=groups,
        regions=azure_regions(),
        countries=service_countries(),
        states=service_states(values["country"]),
        providers=service_providers(),
        provider_locations=provider_location_names(chosen.provider),
        errors=errors,
        focus=focus,
    )
    form.refresh_on_change(url=reverse("peering_services:create"), tab=tab)
    row_forms = [
        PrefixRowForm(index=index, values=row, errors=errors, focus=focus) for index, row in rows
    ]
    summary = [
        {
            "tab": tab_of(key),
            "tab_label": TAB_LABELS[tab_of(key)],
            "label": _error_label(key, form, rows),
            "messages": messages_,
            "goto": f"{tab_of(key)}:{key}",
            "key": key,
        }
        for key, messages_ in sorted(errors.items(), key=lambda item: _error_order(item[0]))
    ]
    tabs_with_errors = {item["tab"] for item in summary}
    fields_by_name = {bound.html_name: bound for bound in form}
    for row in row_forms:
        fields_by_name.update({bound.html_name: bound for bound in row})
    for item in summary:
        bound = fields_by_name.get(item["key"])
        item["href"] = f"#{bound.id_for_label or bound.auto_id + '_0'}" if bound else ""
    position = TAB_KEYS.index(tab)
    has_errors_here = (tab in tabs_with_errors) if tab != "review" else bool(errors)
    focus_step = ""
    if moved and not focus:
        shown = has_errors_here and (tab != "review" or check.checked)
        focus_step = "summary" if shown else "heading"
    context = {
        "active_nav": ACTIVE_NAV,
        "tab": tab,
        "tabs": [
            {"key": key, "label": label, "has_errors": key in tabs_with_errors}
            for key, label in TABS
        ],
        "prev_tab": TAB_KEYS[position - 1] if position else "",
        "next_tab": TAB_KEYS[position + 1] if position + 1 < len(TAB_KEYS) else "",
        "next_label": TAB_LABELS.get(TAB_KEYS[min(position + 1, len(TAB_KEYS) - 1)]),
        "form": form,
        "row_forms": row_forms,
        "max_prefixes": MAX_PREFIXES_PER_REQUEST,
        "draft_exists": draft_exists,
        "errors": errors,
        "error_summary": summary,
        "tab_has_errors": tab in tabs_with_errors,
        "focus_step": focus_step,
        "tab_label": TAB_LABELS[tab],
        "checked": check.checked,
        "validation_passed": check.checked and not errors,
        "create_failed": create_failed,
        "chosen": chosen,
        "fixed_group": chosen.resource_group,
        "review_rows": [
            {**row, "masked_key": mask_key(row["prefix_key"])}
            for _, row in rows
            if not row_is_blank(row)
        ],
        "location_text": f"{values['state']}, {values['country']}"
        if values["state"] and values["country"]
        else "",
    }
    return render_page(request, "peering/peering_service/create.html", context)


@login_required
@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def peering_service_create(request: HttpRequest) -> HttpResponse:
    """Create a peering service connection: Basics → Configuration → Prefixes → Review + create.

    Tabs are buttons of one form; moving re-displays every value. Review + create asks the
    service (in a rolled-back transaction) and lists each error with a button to its field;
    Create calls the service for real. Changing the subscription, resource group, country or
    provider re-renders the tab (htmx on change; the "Update" button without JavaScript).
    """
    subscriptions = _writable(request)
    user = request.user
    draft = service_draft_get(user=user)
    stored = draft.data
    values = draft_values(stored.get("values"))
    if not values["subscription"]:
        current = current_subscription(request)
        initial = current if current is not None and current in subscriptions else subscriptions[0]
        values["subscription"] = str(initial.pk)
    rows = draft_rows(stored.get("rows")) or [(0, dict.fromkeys(PREFIX_FIELDS, ""))]
    check = CheckResult.load(stored.get("check"))
    focus, create_failed, moved = "", False, True
    if request.method == "GET":
        tab = stored.get("tab") if stored.get("tab") in TAB_KEYS else "basics"
        draft_exists = draft.pk is not None
    else:
        data = request.POST
        # Only the current tab's fields are posted: the others come from the draft.
        posted = posted_values(data)
        # A subscription posted now that the user may read but not write is a 403 (one kept in
        # the draft from before a role change is just not offered, like any other).
        _refuse_read_only(request, {"subscription": posted.get("subscription", "")}, subscriptions)
        values.update(posted)
        if "prefix_index" in data:
            rows = rows_from(data)
        tab = data.get("tab", "basics")
        tab = tab if tab in TAB_KEYS else "basics"
        goto = data.get("goto", "")
        posted_tab = tab

        if "add_prefix" in data:
            tab = "prefixes"
            if len(rows) < MAX_PREFIXES_PER_REQUEST:
                index = min(max((i for i, _ in rows), default=-1) + 1, MAX_ROW_INDEX)
                if all(i != index for i, _ in rows):
                    rows.append((index, dict.fromkeys(PREFIX_FIELDS, "")))
                    focus = f"prefix-{index}-name"
        elif "remove_prefix" in data:
            tab = "prefixes"
            removed = data.get("remove_prefix", "").strip()
            rows = [(i, row) for i, row in rows if str(i) != removed]
            if not rows:
                rows = [(0, dict.fromkeys(PREFIX_FIELDS, ""))]
        elif goto == "create":
            chosen = _choose(values, subscriptions)
            service, errors = _create_errors(request, chosen, values, rows)
            if service is not None:
                service_draft_discard(user=user)
                messages.success(
                    request,
                    f"Peering Service {service.name} was created. Its prefixes are validated in "
                    "the background: see Prefixes.",
                )
                return client_redirect(request, _service_url(service))
            check = CheckResult.of(errors, values, rows)
            tab, create_failed = "review", True
        elif goto:
            wanted, _, focus = goto.partition(":")
            tab = wanted if wanted in TAB_KEYS else tab
            if tab == "review":
                chosen = _choose(values, subscriptions)
                check = CheckResult.of(_review_errors(request, chosen, values, rows), values, rows)
        service_draft_save(user=user, values=values, rows=rows, tab=tab, check=check.dump())
        draft_exists = True
        # A removed row takes its Remove button with it: the focus goes to the heading.
        moved = tab != posted_tab or goto in ("review", "create") or "remove_prefix" in data
    return _render_create(
        request,
        subscriptions=subscriptions,
        tab=tab,
        values=values,
        rows=rows,
        check=check,
        focus=focus,
        create_failed=create_failed,
        draft_exists=draft_exists,
        moved=moved,
    )


@login_required
@require_http_methods(["GET", "POST"])
def peering_service_create_discard(request: HttpRequest) -> HttpResponse:
    """Discard draft: asks first, like Create a peering's."""
    return discard_draft(
        request,
        "Create a peering service connection",
        service_draft_discard,
        back="peering_services:create",
        then="peering_services:list",
        active_nav=ACTIVE_NAV,
    )


# --- Overview -----------------------------------------------------------------------------


def _menu(service: PeeringService) -> list[dict]:
    return [
        {"key": "overview", "label": "Overview", "url": _service_url(service)},
        {"key": "prefixes", "label": "Prefixes", "url": _service_url(service, "prefixes")},
    ]


def _blade_context(service: PeeringService, blade: str, label: str) -> dict:
    return {
        "active_nav": ACTIVE_NAV,
        "service": service,
        "blade": blade,
        "blade_label": label,
        "menu": _menu(service),
        "overview_url": _service_url(service),
        "prefixes_url": _service_url(service, "prefixes"),
        "can_write": _can_write(service),
    }


@peering_service_view("GET")
def peering_service_detail(request: HttpRequest, service: PeeringService) -> HttpResponse:
    """Overview: Essentials with the session availability at the provider's primary and backup
    peering locations, and the prefixes per validation state."""
    primary, backup = session_availability(service=service)
    context = _blade_context(service, "overview", "Overview")
    context.update(
        primary_availability=primary,
        backup_availability=backup,
        prefix_states=prefix_state_summary(service=service),
    )
    return render_page(request, "peering/peering_service/overview.html", context)


# --- Prefixes blade ------------------------------------------------------------------------


def _render_prefixes(
    request: HttpRequest,
    service: PeeringService,
    *,
    add_form: PrefixAddForm | None = None,
    add_open: bool = False,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    rows, query = search(request, prefixes_of(service=service), "name", "prefix")
    rows, sort = sort_by(request, rows, PREFIX_SORTS, "name")
    page = paginate(request, rows)
    prefixes = list(page.object_list)
    for prefix in prefixes:
        prefix.peering_service = service
    context = _blade_context(service, "prefixes", "Prefixes")
    context.update(
        table_context(page, query, sort),
        # Polling and the rows' htmx actions send it on, so the table they re-render is the
        # one shown (its filter, sort and page).
        table_query=_table_query(request),
        prefixes=prefixes,
        any_pending=prefixes_changing(prefixes),
        add_form=add_form or PrefixAddForm(),
        add_open=add_open,
        notice=notice,
    )
    context.update(
        live_context(
            changing=context["any_pending"], url=context["prefixes_url"] + context["table_query"]
        ),
        live_what="prefix",
    )
    partial = {"ps-prefix-table": "prefix_table", "ps-prefixes": "prefixes_section"}.get(
        htmx_target(request), "main"
    )
    return render_page(
        request, "peering/peering_service/prefixes.html", context, partial=partial, status=status
    )


@peering_service_view("GET")
def peering_service_prefixes(request: HttpRequest, service: PeeringService) -> HttpResponse:
    """Prefixes: each prefix's validation state with the message, learned type and when it was
    last validated; Re-validate and Delete per prefix; "+ Add prefix" for writers."""
    return _render_prefixes(request, service)


@never_cache
@sensitive_post_parameters()
@peering_service_view("GET", "POST", write=True)
def peering_service_prefix_add(request: HttpRequest, service: PeeringService) -> HttpResponse:
    """+ Add prefix: Name, Prefix, Prefix key. GET opens the form on the Prefixes blade."""
    if request.method == "GET":
        return _render_prefixes(request, service, add_open=True)
    form = PrefixAddForm(request.POST)
    if form.is_valid():
        row = {field: form.cleaned_data[field] for field in PREFIX_FIELDS}
        try:
            created = service_prefix_add(user=request.user, service=service, rows=[row])
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            text = ", ".join(f"{p.name} ({p.prefix})" for p in created)
            notice = f"Prefix {text} was added. {PENDING_NOTE}"
            if is_fragment_request(request):
                return _render_prefixes(request, service, notice=notice)
            messages.success(request, notice)
            return redirect(_service_url(service, "prefixes"))
    return _render_prefixes(request, service, add_form=form, add_open=True)


@peering_service_view("GET")
def peering_service_prefix_detail(
    request: HttpRequest, service: PeeringService, prefix_name: str
) -> HttpResponse:
    """One prefix: its state and message, learned type, and its events newest first."""
    prefix = prefix_of(service=service, name=prefix_name)
    service = prefix.peering_service
    context = _blade_context(service, "prefixes", prefix.name)
    context.update(
        prefix=prefix,
        masked_key=mask_key(prefix.prefix_key),
        events=list(prefix_events(prefix=prefix)),
        event_history=prefix_event_history(prefix=prefix),
        live_what="prefix",
        **live_context(changing=prefixes_changing([prefix]), url=request.path),
    )
    return render_page(
        request,
        "peering/peering_service/prefix_detail.html",
        context,
        fragments={"live-prefix": "live"},
    )


@peering_service_view("POST", write=True)
def peering_service_prefix_revalidate(
    request: HttpRequest, service: PeeringService, prefix_name: str
) -> HttpResponse:
    """Re-validate: the prefix is Pending again until the background validation has run."""
    prefix = prefix_of(service=service, name=prefix_name)
    service_prefix_revalidate(user=request.user, prefix=prefix)
    notice = f"Re-validation of {prefix.name} ({prefix.prefix}) was queued. {PENDING_NOTE}"
    if is_fragment_request(request):
        return _render_prefixes(request, prefix.peering_service, notice=notice)
    messages.success(request, notice)
    if request.POST.get("next") == "prefix":
        return redirect(_prefix_url(prefix))
    return redirect(_service_url(prefix.peering_service, "prefixes"))


@peering_service_view("GET", "POST", write=True)
def peering_service_prefix_delete(
    request: HttpRequest, service: PeeringService, prefix_name: str
) -> HttpResponse:
    """Delete a prefix: GET asks to confirm, POST deletes (prefixes cannot be edited: delete
    and add again)."""
    prefix = prefix_of(service=service, name=prefix_name)
    service = prefix.peering_service
    if request.method == "GET":
        context = _blade_context(service, "prefixes", f"Delete {prefix.name}")
        context["prefix"] = prefix
        return render_page(request, "peering/peering_service/prefix_delete.html", context)
    label = f"{prefix.name} ({prefix.prefix})"
    service_prefix_delete(user=request.user, prefix=prefix)
    notice = f"Prefix {label} was deleted."
    if is_fragment_request(request):
        return _render_prefixes(request, service, notice=notice)
    messages.success(request, notice)
    return redirect(_service_url(service, "prefixes"))


# --- Delete the Peering Service ------------------------------------------------------------


@peering_service_view("GET", "POST", write=True)
def peering_service_delete(request: HttpRequest, service: PeeringService) -> HttpResponse:
    """Delete the Peering Service and its prefixes once the user has typed "yes"."""
    form = DeleteConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service_delete(user=request.user, service=service, confirm=form.cleaned_data["confirm"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, f"Peering Service {service.name} was deleted.")
            return client_redirect(request, reverse("peering_services:list"))
    context = _blade_context(service, "overview", "Delete")
    context.update(form=form, prefix_count=service.prefixes.count())
    return render_page(request, "peering/peering_service/delete.html", context)
