"""Views of the portal shell: Home, the subscription switcher, notifications, resource groups
and the activity log.

Every view requires a signed-in user and reads through `portal.selectors`, so a subscription the
user holds no role on does not exist for them (404) and a Reader's write is refused (403) no
matter what the template showed. Writes go through `portal.services`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from peering.selectors.peerings import peerings_for_user, recent_resources_for_user
from portal import services
from portal.forms import (
    TIMESPANS,
    ActivityFilterForm,
    ResourceGroupCreateForm,
    ResourceGroupFilterForm,
)
from portal.htmx import render_page
from portal.links import fast_reverse
from portal.models import WRITE_ROLES
from portal.selectors import (
    SESSION_SUBSCRIPTION_KEY,
    activity_for_user,
    api_token_for_user,
    api_tokens_for_user,
    current_subscription,
    notifications_for_user,
    resource_group_for_user,
    resource_group_list_rows,
    role_assignments_for_user,
    subscription_for_user,
    writable_subscriptions_for_user,
)
from portal.tables import paginate

NOTIFICATIONS_PER_PAGE = 25
RECENT_RESOURCES = 10

# Sort keys the resource group list accepts, mapped to a stable ordering (name breaks ties).
# The Resource groups list's sorts (SQL of `resource_group_list_rows`; ties by id).
RESOURCE_GROUP_SORTS = {
    "name": ("g.name",),
    "subscription": ("g_subscription.display_name", "g.name"),
    "location": ("g_region.display_name", "g.name"),
}


def _safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` the form carried if it points back into this site, else the fallback."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _parse_id(value: str) -> int | None:
    """A primary key from user input, or None; bounded so the database never overflows."""
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


def _recent_resources(user) -> list[dict]:
    """The newest Peer ASNs and peerings across the user's subscriptions, newest first.

    Two bounded queries (each capped at RECENT_RESOURCES), merged in Python, so Home costs the
    same however many resources a subscription holds.
    """
    peer_asns, peerings = recent_resources_for_user(user=user, limit=RECENT_RESOURCES)
    rows = [
        {
            "name": item.name,
            "type": "Peer ASN",
            "url": fast_reverse("peering:peer_asn_detail", item.subscription_id, item.name),
            "subscription": item.subscription,
            "state": item.validation_state,
            "created_at": item.created_at,
        }
        for item in peer_asns
    ]
    rows += [
        {
            "name": item.name,
            "type": "Peering",
            "url": fast_reverse(
                "peering:peering_detail", item.subscription_id, item.resource_group.name, item.name
            ),
            "subscription": item.subscription,
            "state": item.provisioning_state,
            "created_at": item.created_at,
        }
        for item in peerings
    ]
    rows.sort(key=lambda row: row["created_at"], reverse=True)
    return rows[:RECENT_RESOURCES]


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Home: the user's subscriptions with their role, recent resources and quick links."""
    assignments = list(role_assignments_for_user(user=request.user))
    return render_page(
        request,
        "portal/home.jinja",
        {
            "active_nav": "home",
            "assignments": assignments,
            # Readers only: the "Associate a Peer ASN" tile would lead to 403 (no extra query).
            "can_write": any(a.role in WRITE_ROLES for a in assignments),
            "recent_resources": _recent_resources(request.user),
            "current_subscription": current_subscription(request),
        },
    )


@login_required
@require_POST
def switch_subscription(request: HttpRequest) -> HttpResponse:
    """Set (or clear, with an empty value) the session's current subscription.

    The id is checked through the selector: one the user holds no role on answers 404, exactly
    like a URL to another tenant's resource.
    """
    value = request.POST.get("subscription", "").strip()
    if value:
        subscription = subscription_for_user(user=request.user, subscription_id=value)
        request.session[SESSION_SUBSCRIPTION_KEY] = str(subscription.pk)
    else:
        request.session.pop(SESSION_SUBSCRIPTION_KEY, None)
    return redirect(_safe_next(request, reverse("portal:home")))


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; POST marks all of them (or one `id`) read.

    Notifications belong to one user, so marking them read needs no role: the service only
    touches the caller's own rows, and a foreign id simply matches nothing.
    """
    if request.method == "POST":
        raw_id = request.POST.get("id", "").strip()
        if raw_id:
            notification_id = _parse_id(raw_id)
            if notification_id is None:
                return HttpResponseBadRequest("Invalid notification id.")
            services.notifications_mark_read(user=request.user, notification_ids=[notification_id])
        else:
            count = services.notifications_mark_read(user=request.user)
            if not request.htmx:
                messages.success(request, f"Marked {count} notification(s) as read.")
        if not request.htmx:
            return redirect(_safe_next(request, reverse("portal:notifications")))
        # htmx falls through and gets the refreshed list fragment in place.

    queryset = (
        notifications_for_user(user=request.user)
        .select_related("subscription")
        .order_by("-created_at", "-id")
    )
    page = paginate(request, queryset, NOTIFICATIONS_PER_PAGE)
    host = request.get_host()
    for notification in page:
        # Links are written by services, but only ever follow one that stays on this site.
        notification.safe_link = (
            notification.link
            if notification.link
            and url_has_allowed_host_and_scheme(notification.link, allowed_hosts={host})
            else ""
        )
    return render_page(
        request,
        "portal/notifications.html",
        {"active_nav": "", "page_obj": page},
    )


@login_required
@require_GET
@vary_on_headers("HX-Request")
def resource_group_list(request: HttpRequest) -> HttpResponse:
    """Resource groups in the user's subscriptions (or the switcher's one), filterable by name,
    sortable by name, subscription or location; the table re-renders in place under htmx."""
    form = ResourceGroupFilterForm(request.GET)
    filters = form.cleaned_or_default()
    query, sort = filters["q"], filters["sort"]
    subscription = current_subscription(request)

    direction = " DESC" if sort.startswith("-") else ""
    order_by = ", ".join(
        f"{column}{direction}" for column in (*RESOURCE_GROUP_SORTS[sort.lstrip("-")], "g.id")
    )
    groups = resource_group_list_rows(
        user=request.user, subscription=subscription, query=query, order_by=order_by
    )

    page = paginate(request, groups)
    return render_page(
        request,
        "portal/resource_group_list.jinja",
        {
            "active_nav": "resource_groups",
            "form": form,
            "page_obj": page,
            "query": query,
            "sort": sort,
            "current_subscription": subscription,
            # The "+ Create" command is offered only to someone who could use it; the create
            # view checks again, so hiding it is a courtesy, not the protection.
            "can_create": writable_subscriptions_for_user(user=request.user).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def resource_group_create(request: HttpRequest) -> HttpResponse:
    """Create a resource group in a subscription the user may write to (403 without one)."""
    writable = writable_subscriptions_for_user(user=request.user).order_by("display_name")
    if not writable.exists():
        raise PermissionDenied(
            "Your role does not allow creating resource groups in any subscription."
        )

    if request.method == "POST":
        submitted = request.POST.get("subscription", "").strip()
        if submitted:
            # The select only ever offers writable subscriptions, so anything else is forged:
            # the selector answers 404 for a foreign one and 403 for a Reader's.
            subscription_for_user(user=request.user, subscription_id=submitted, write=True)
        form = ResourceGroupCreateForm(request.POST, subscriptions=writable)
        if form.is_valid():
            try:
                group = services.resource_group_create(
                    user=request.user,
                    subscription=form.cleaned_data["subscription"],
                    name=form.cleaned_data["name"],
                    region=form.cleaned_data["region"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Resource group '{group.name}' was created.")
                return redirect(
                    "portal:resource_group_detail",
                    subscription_id=group.subscription_id,
                    name=group.name,
                )
    else:
        initial = {}
        selected = current_subscription(request)
        if selected is not None and writable.filter(pk=selected.pk).exists():
            initial["subscription"] = selected.pk
        form = ResourceGroupCreateForm(initial=initial, subscriptions=writable)

    return render_page(
        request,
        "portal/resource_group_create.html",
        {"active_nav": "resource_groups", "form": form},
    )


@login_required
@require_GET
def resource_group_detail(request: HttpRequest, subscription_id, name: str) -> HttpResponse:
    """A resource group's Overview: Essentials and the resources (peerings) it contains."""
    group = resource_group_for_user(user=request.user, subscription_id=subscription_id, name=name)
    peerings = peerings_for_user(
        user=request.user, subscription=group.subscription, resource_group=group.name
    ).select_related("region")
    return render_page(
        request,
        "portal/resource_group_detail.html",
        {"active_nav": "resource_groups", "group": group, "peerings": list(peerings)},
    )


@login_required
@require_GET
@vary_on_headers("HX-Request")
def activity_log(request: HttpRequest) -> HttpResponse:
    """The Azure-style activity log of the user's subscriptions (or the switcher's one), with
    Timespan, Status, Operation and Resource filters; re-renders in place under htmx."""
    form = ActivityFilterForm(request.GET)
    filters = form.cleaned_or_default()
    delta = TIMESPANS[filters["timespan"]][1]
    subscription = current_subscription(request)
    entries = activity_for_user(
        user=request.user,
        subscription=subscription,
        status=filters["status"],
        operation=filters["operation"],
        resource=filters["resource"],
        since=timezone.now() - delta if delta is not None else None,
    )
    page = paginate(request, entries)
    return render_page(
        request,
        "portal/activity_log.jinja",
        {
            "active_nav": "activity",
            "form": form,
            "filters": filters,
            "timespan_label": TIMESPANS[filters["timespan"]][0],
            "page_obj": page,
            "current_subscription": subscription,
        },
    )


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe: answers without touching the database. Benchmarks use it as the
    trivial view every page's cost is compared with."""
    return HttpResponse("ok", content_type="text/plain")


API_TOKEN_EXPIRY_CHOICES = (30, 90, 180, 366)


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """API tokens: create one (shown once), list them with their last use, revoke one.

    A token acts as its user with the user's roles (optionally in one subscription only), so
    nothing here needs a role: people manage only their own tokens."""
    errors: dict[str, list[str]] = {}
    created = None
    raw_token = ""
    values = {"name": "", "expires_in_days": "90", "subscription": ""}
    if request.method == "POST":
        values = {key: request.POST.get(key, "").strip() for key in values}
        subscription = None
        if values["subscription"]:
            subscription = subscription_for_user(
                user=request.user, subscription_id=values["subscription"]
            )
        try:
            created, raw_token = services.api_token_create(
                user=request.user,
                name=values["name"],
                expires_in_days=values["expires_in_days"],
                subscription=subscription,
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            values = {"name": "", "expires_in_days": "90", "subscription": ""}
    response = render_page(
        request,
        "portal/api_tokens.html",
        {
            "active_nav": "",
            "tokens": list(api_tokens_for_user(user=request.user)),
            "subscriptions": list(role_assignments_for_user(user=request.user)),
            "expiry_choices": API_TOKEN_EXPIRY_CHOICES,
            "values": values,
            "errors": errors,
            "created": created,
            "raw_token": raw_token,
            "now": timezone.now(),
        },
        status=400 if errors else 200,
    )
    # The page may carry a secret shown once: never keep it in a cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the caller's tokens (another person's answers 404)."""
    token = api_token_for_user(user=request.user, token_id=token_id)
    services.api_token_revoke(user=request.user, token=token)
    messages.success(request, f"Token '{token.name}' was revoked; it no longer works.")
    return redirect("portal:api_tokens")
