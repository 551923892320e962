"""Peer ASN blades: the list, Associate a Peer ASN, the Overview and Delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from peering.enums import ValidationState
from peering.forms.common import apply_service_errors
from peering.forms.peer_asns import ContactGrid, PeerAsnForm, PeerAsnListFilterForm
from peering.selectors.peer_asns import (
    peer_asn_for_user,
    peer_asn_list_rows,
    peerings_using_peer_asn,
)
from peering.services.peer_asns import MAX_CONTACTS
from peering.services.peer_asns import peer_asn_create as service_peer_asn_create
from peering.services.peer_asns import peer_asn_delete as service_peer_asn_delete
from portal.htmx import render_page
from portal.permissions import can_write
from portal.selectors import (
    creatable_subscriptions_for_user,
    current_subscription,
    refuse_read_only_subscription,
    writable_subscriptions_for_user,
)
from portal.tables import paginate, sort_columns

CREATED_MESSAGE = "Peer ASN association submitted. Microsoft validates it, usually within 12 hours."
NO_WRITE_ROLE = (
    "Associating a Peer ASN needs the Owner or Contributor role on a subscription; "
    "your roles only allow reading."
)
STATE_MEANINGS = {
    ValidationState.NONE: "Not yet submitted for validation.",
    ValidationState.PENDING: "Microsoft is validating this ASN; usually within 12 hours.",
    ValidationState.APPROVED: "You can request peerings with this ASN.",
    ValidationState.FAILED: "Microsoft could not validate this ASN.",
}
LIST_COLUMNS = [
    ("Name", "name"),
    ("Validation state", "state"),
    ("Peer ASN", "asn"),
    ("Peer name", "peer_name"),
    ("Subscription", "subscription"),
    ("Contacts", "contacts"),
    ("Peerings", "peerings"),
]


def _detail_url(peer_asn) -> str:
    return reverse("peering:peer_asn_detail", args=[peer_asn.subscription_id, peer_asn.name])


@login_required
@require_GET
def peer_asn_list(request: HttpRequest) -> HttpResponse:
    """Peer ASNs of the user's subscriptions (the switcher's one if chosen), validation state
    first. Filter, sort and page re-render only the results for htmx; plain GET works too."""
    subscription = current_subscription(request)
    form = PeerAsnListFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    peer_asns = peer_asn_list_rows(
        user=request.user,
        subscription=subscription,
        search=filters.get("q", ""),
        validation_state=filters.get("state", ""),
        ordering=form.ordering(),
    )
    page = paginate(request, peer_asns)
    context = {
        "active_nav": "peer_asns",
        "form": form,
        "page": page,
        "columns": sort_columns(filters.get("sort", ""), LIST_COLUMNS),
        "filtered": bool(filters.get("q") or filters.get("state")),
        "subscription": subscription,
        "can_create": writable_subscriptions_for_user(user=request.user).exists(),
    }
    return render_page(request, "peering/peer_asn_list.jinja", context, partial="results")


def _writable_subscriptions(request: HttpRequest) -> list:
    return creatable_subscriptions_for_user(user=request.user, refusal=NO_WRITE_ROLE)


def _refuse_read_only_subscription(request: HttpRequest, form: PeerAsnForm) -> None:
    """A subscription the user can read but not write is a 403; one they cannot see at all
    stays a plain field error, so its existence is never revealed."""
    refuse_read_only_subscription(
        user=request.user, subscription_id=form.data.get("subscription", "")
    )


@login_required
@require_http_methods(["GET", "POST"])
def peer_asn_create(request: HttpRequest) -> HttpResponse:
    """Associate a Peer ASN: Project details, Instance details and the Contact grid.

    "+ Add contact" and "Remove" work without JavaScript (submit buttons that re-display every
    typed value); with htmx the row is fetched or the grid re-rendered in place. The service
    validates; its errors land on the fields and rows they name.
    """
    subscriptions = _writable_subscriptions(request)
    template = "peering/peer_asn_create.html"
    context = {"active_nav": "peer_asns", "max_contacts": MAX_CONTACTS}

    if request.method == "GET":
        current = current_subscription(request)
        writable_ids = {sub.pk for sub in subscriptions}
        initial_sub = current if current is not None and current.pk in writable_ids else None
        form = PeerAsnForm(
            subscriptions=subscriptions,
            initial={"subscription": str((initial_sub or subscriptions[0]).pk)},
        )
        context.update(form=form, grid=ContactGrid.initial())
        return render_page(request, template, context)

    add = "add_contact" in request.POST
    remove = request.POST.get("remove_contact")
    if add or remove is not None:
        # Only the grid changes: re-display what was typed, without judging it yet.
        form = PeerAsnForm(subscriptions=subscriptions, initial=request.POST.dict())
        grid = ContactGrid.from_post(request.POST, bind=False, add=add, remove=remove)
        context.update(form=form, grid=grid)
        return render_page(request, template, context, partial="contacts")

    form = PeerAsnForm(request.POST, subscriptions=subscriptions)
    grid = ContactGrid.from_post(request.POST, bind=True)
    form_valid = form.is_valid()
    grid_valid = grid.is_valid()
    if "subscription" in form.errors:
        _refuse_read_only_subscription(request, form)
    if form_valid and grid_valid:
        try:
            peer_asn = service_peer_asn_create(
                user=request.user,
                subscription=form.chosen_subscription(),
                name=form.cleaned_data["name"],
                peer_asn=form.cleaned_data["peer_asn"],
                peer_name=form.cleaned_data["peer_name"],
                contacts=grid.values(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, grid=grid)
        else:
            messages.success(request, CREATED_MESSAGE)
            return redirect(_detail_url(peer_asn))
    context.update(form=form, grid=grid, has_errors=True)
    return render_page(request, template, context)


@login_required
@require_GET
def peer_asn_contact_row(request: HttpRequest) -> HttpResponse:
    """One empty Contact row for the Associate form (htmx appends it to the grid). The index
    follows the highest `contact_index` the page sent, so rows never collide."""
    _writable_subscriptions(request)
    grid = ContactGrid.from_post(request.GET, bind=False, add=True)
    context = {"row_index": grid.rows[-1][0], "row": grid.rows[-1][1], "grid": grid}
    if grid.errors:
        return render_page(
            request, "peering/peer_asn_create.html", context, partial="contact_limit"
        )
    return render_page(request, "peering/peer_asn_create.html", context, partial="contact_row")


@login_required
@require_GET
def peer_asn_detail(request: HttpRequest, subscription_id, name: str) -> HttpResponse:
    """Peer ASN Overview: Essentials with the validation state and what it means, the
    contacts, and the peerings that use it. Delete appears for Owners and Contributors."""
    peer_asn = peer_asn_for_user(user=request.user, subscription_id=subscription_id, name=name)
    state = peer_asn.validation_state
    meaning = STATE_MEANINGS.get(state, "")
    if state == ValidationState.FAILED and peer_asn.error_message:
        meaning = peer_asn.error_message
    context = {
        "active_nav": "peer_asns",
        "peer_asn": peer_asn,
        "state_meaning": meaning,
        "peerings": peerings_using_peer_asn(peer_asn=peer_asn),
        "can_write": can_write(peer_asn.subscription),
    }
    return render_page(request, "peering/peer_asn_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def peer_asn_delete(request: HttpRequest, subscription_id, name: str) -> HttpResponse:
    """Delete a Peer ASN: GET asks to confirm, POST deletes. The service refuses while a
    peering uses it; the refusal is shown on the Overview and nothing is deleted."""
    peer_asn = peer_asn_for_user(
        user=request.user, subscription_id=subscription_id, name=name, write=True
    )
    if request.method == "GET":
        context = {
            "active_nav": "peer_asns",
            "peer_asn": peer_asn,
            "peerings": peerings_using_peer_asn(peer_asn=peer_asn),
        }
        return render_page(request, "peering/peer_asn_delete.html", context)
    try:
        service_peer_asn_delete(user=request.user, peer_asn=peer_asn)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(_detail_url(peer_asn))
    messages.success(request, f"Peer ASN {peer_asn.name} (AS{peer_asn.peer_asn}) was deleted.")
    return redirect("peering:peer_asn_list")
