"""Helpers every portal view uses: htmx-aware rendering and the current subscription."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from portal.models import Subscription
from portal.selectors import subscriptions_for_user

SESSION_SUBSCRIPTION_KEY = "current_subscription_id"


def render_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    partial: str = "main",
    status: int = 200,
) -> HttpResponse:
    """Render the full page, or only its `{% partialdef partial %}` for an htmx request that
    targets a fragment (sorting, filtering, paging). Boosted navigation gets the full page."""
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        template = f"{template}#{partial}"
    response = render(request, template, context, status=status)
    # The same URL answers a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def current_subscription(request: HttpRequest) -> Subscription | None:
    """The subscription chosen in the top-bar switcher, if the user still holds a role on it."""
    sub_id = request.session.get(SESSION_SUBSCRIPTION_KEY)
    if not sub_id:
        return None
    return subscriptions_for_user(user=request.user).filter(pk=sub_id).first()
