"""The one place that decides "full page or fragment", and the htmx answers every view uses.

A page template wraps its swappable parts in Django 6 template partials. The fragment names in
use (keep this list true):

* `main` — the whole content column of a list page (filter, sort, page re-render it in place);
* `pane` — a blade's content beside the resource menu (menu navigation within a resource);
* a page may name more, chosen by the request's `HX-Target`: `fragments={"target-id": "name"}`
  (e.g. the connection detail pane below the Connections grid, the wizard's dialog body).

Plain requests and boosted navigation get the full page, so every URL works without JavaScript.
The response headers htmx reads are written by django-htmx's helpers, never by hand.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django_htmx.http import (
    HttpResponseClientRedirect,
    push_url,
    reswap,
    retarget,
    trigger_client_event,
)

__all__ = [
    "client_redirect",
    "htmx_target",
    "is_fragment_request",
    "push_url",
    "render_page",
    "reswap",
    "retarget",
    "trigger_client_event",
]


def is_fragment_request(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (boosted navigation wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def htmx_target(request: HttpRequest) -> str:
    """The id of the element a fragment request will be swapped into ("" for a full page)."""
    return (request.htmx.target or "") if is_fragment_request(request) else ""


def render_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    partial: str = "main",
    fragments: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the full page, or for a fragment request only `template#partial` — or the partial
    that `fragments` maps the request's HX-Target to."""
    if is_fragment_request(request):
        name = (fragments or {}).get(htmx_target(request), partial)
        template = f"{template}#{name}"
    # A Jinja2 page is asked of its own engine: the Django engine would search for it first.
    engine = "jinja2" if template.partition("#")[0].endswith(".jinja") else None
    response = render(request, template, context, status=status, using=engine)
    # The same URL answers a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def client_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows as a full navigation; a plain request gets a 302."""
    if is_fragment_request(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)
