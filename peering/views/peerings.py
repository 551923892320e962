"""Peering blades: the list of peerings and the read-only Overview with its connections."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from peering.enums import ConnectionState
from peering.forms import PeeringListFilterForm
from peering.selectors import connection_state_summary, peering_for_user, peerings_for_user
from peering.views.common import paginate
from portal.models import ResourceGroup
from portal.selectors import subscriptions_for_user
from portal.views_util import current_subscription, render_page


@login_required
@require_GET
def peering_list(request: HttpRequest) -> HttpResponse:
    """Peerings of the user's subscriptions (the switcher's one if chosen), filtered by resource
    group and kind, with each one's connection states summarised by one aggregate query."""
    subscription = current_subscription(request)
    groups = ResourceGroup.objects.filter(
        subscription__in=subscriptions_for_user(user=request.user)
    )
    if subscription is not None:
        groups = groups.filter(subscription=subscription)
    group_names = sorted(set(groups.values_list("name", flat=True)), key=str.lower)
    form = PeeringListFilterForm(request.GET or None, resource_group_names=group_names)
    filters = form.cleaned_data if form.is_valid() else {}
    peerings = peerings_for_user(
        user=request.user,
        subscription=subscription,
        resource_group=filters.get("resource_group", ""),
        kind=filters.get("kind", ""),
    )
    page = paginate(request, peerings)
    summary = connection_state_summary(peering_ids=[peering.pk for peering in page])
    for peering in page:
        peering.state_summary = summary.get(peering.pk, [])
    context = {
        "active_nav": "peerings",
        "form": form,
        "page": page,
        "filtered": bool(filters.get("resource_group") or filters.get("kind")),
        "subscription": subscription,
    }
    return render_page(request, "peering/peering_list.html", context, partial="results")


@login_required
@require_GET
def peering_detail(
    request: HttpRequest, subscription_id, resource_group: str, name: str
) -> HttpResponse:
    """Peering Overview (read-only): Essentials and the Connections table with the connection
    and BGP session states."""
    peering = peering_for_user(
        user=request.user,
        subscription_id=subscription_id,
        resource_group=resource_group,
        name=name,
    )
    connections = list(peering.connections.all())
    context = {
        "active_nav": "peerings",
        "peering": peering,
        "connections": connections,
        "active_count": sum(
            1 for conn in connections if conn.connection_state == ConnectionState.ACTIVE
        ),
    }
    return render_page(request, "peering/peering_detail.html", context)
