"""The tenancy matrix for every URL the portal serves, walked from the resolver.

Every pattern of the root URLconf is requested with real objects (factories): anonymous →
redirect to sign-in, another tenant's owner → 404 on any URL naming a subscription, a Reader →
403 on writes (POST). The REST API under /arm/ authenticates by bearer token instead of the
session: no token → 401, another tenant's token → 404 (tests/api covers each operation's
Reader → 403 with real bodies).
A new view is covered the moment its pattern is added: the test builds its
URL from the pattern, and fails with a clear message when it does not know how to fill one of the
pattern's parts (teach `ARM_SEGMENTS` or `KWARG_VALUES` the new part).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver

from portal.models import Role
from tests import factories

# Left out on purpose, each for its reason:
EXCLUDED_PREFIXES = (
    "admin/",  # the operators' console: staff only, tested in tests/peering/admin/
    "static/",  # files, no tenancy
)
EXCLUDED_NAMES = {
    "portal:healthz",  # the load balancer's probe: public by design
    "login",  # signing in is what anonymous visitors do
    "logout",  # POST-only, harmless for anyone
}
# Writes a person makes about themselves, not about a subscription's resources: any signed-in
# user may make them, Readers too.
PERSONAL_WRITES = {
    "portal:switch_subscription",  # the top bar's subscription switcher (kept in the session)
    "portal:notifications",  # marking one's own notifications read
    "password_change",  # one's own password
    "portal:api_tokens",  # one's own API tokens
    "portal:api_token_revoke",
}


@dataclass(frozen=True)
class Route:
    route: str  # the pattern as written, e.g. "subscriptions/<uuid:subscription_id>/…"
    name: str  # "namespace:name"

    @property
    def kwargs(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)

    @property
    def is_tenant_scoped(self) -> bool:
        return "subscription_id" in self.kwargs


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            child_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, route, child_ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            yield Route(route=route, name=name)


def _routes() -> list[Route]:
    routes = []
    for route in _walk(get_resolver().url_patterns):
        if route.route.startswith(EXCLUDED_PREFIXES) or route.name in EXCLUDED_NAMES:
            continue
        routes.append(route)
    return routes


ROUTES = _routes()

# The value of `<…:name>` (and friends) comes from the ARM segment just before it.
ARM_SEGMENTS = {
    "peerAsns": "peer_asn",
    "peerings": "peering",
    "peeringServices": "peering_service",
    "resourceGroups": "resource_group",
    "resourcegroups": "resource_group",
    "connectionMonitorTests": "peering",
    "registeredAsns": "registered_asn",
    "registeredPrefixes": "registered_prefix",
    "prefixes": "service_prefix",
    "connections": "connection",
}


@dataclass
class World:
    """One tenant's resources of every kind, and the three people of the matrix."""

    objects: dict
    owner: object
    reader: object
    outsider: object


def _value(world: World, route: Route, kwarg: str) -> str:
    # The segment before this kwarg in the route, e.g. "peerings" before "<str:name>".
    match = re.search(rf"([A-Za-z]+)/<(?:\w+:)?{kwarg}>", route.route)
    segment = match.group(1) if match else ""
    o = world.objects
    if kwarg == "subscription_id":
        return str(o["peering"].subscription_id)
    if kwarg == "resource_group" or segment in ("resourceGroups", "resourcegroups"):
        return o["resource_group"].name
    if segment in ARM_SEGMENTS:
        obj = o[ARM_SEGMENTS[segment]]
        if kwarg == "connection_id":
            return str(obj.connection_identifier)
        return obj.name
    if kwarg in KWARG_VALUES:
        return KWARG_VALUES[kwarg](o)
    raise AssertionError(
        f"The URL matrix does not know how to fill <{kwarg}> in {route.name} ({route.route}): "
        "add it to ARM_SEGMENTS or KWARG_VALUES in tests/test_url_matrix.py."
    )


# Parts of a route that are not an ARM resource name.
KWARG_VALUES = {
    "tab": lambda o: "basics",  # a Create a Peering tab
    "index": lambda o: "0",  # the first connection row of the wizard's draft
    "name": lambda o: o["peering"].name,  # the wizard's deployment page names a peering
    "token_id": lambda o: str(o["api_token"].pk),  # the Reader's own API token
}


def url_of(world: World, route: Route) -> str:
    def fill(match):
        return _value(world, route, match.group(1))

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route.route)


@pytest.fixture
def world(tenant, subscription, other_subscription) -> World:
    owner = factories.UserFactory(username="matrix-owner")
    factories.RoleAssignmentFactory(user=owner, subscription=subscription, role=Role.OWNER)
    reader = factories.UserFactory(username="matrix-reader")
    factories.RoleAssignmentFactory(user=reader, subscription=subscription, role=Role.READER)
    outsider = factories.UserFactory(username="matrix-outsider")
    factories.RoleAssignmentFactory(user=outsider, subscription=other_subscription, role=Role.OWNER)
    objects = {**tenant, "api_token": factories.ApiTokenFactory(user=reader)}
    return World(objects=objects, owner=owner, reader=reader, outsider=outsider)


def test_the_matrix_walks_every_pattern():
    """The walk reaches every app's patterns (a resolver change that hid them would show)."""
    names = {route.name for route in ROUTES}
    for expected in (
        "portal:home",
        "peering:peer_asn_detail",
        "peering:peering_connection_edit",
        "wizard:tab",
        "registered:prefix_delete",
        "peering_services:prefix_revalidate",
    ):
        assert expected in names
    assert len(ROUTES) >= 50
    assert sum(route.is_tenant_scoped for route in ROUTES) >= 30


API_PREFIX = "arm/"
PORTAL_ROUTES = [r for r in ROUTES if not r.route.startswith(API_PREFIX)]
# The API's description is public, like Azure's published REST specification; the catch-all
# route answers an ARM "no such operation" error for any other path (tests/api/test_framework).
API_PUBLIC = {"arm:openapi-json", "arm:openapi-view", "arm:api-root", ""}
API_ROUTES = [r for r in ROUTES if r.route.startswith(API_PREFIX) and r.name not in API_PUBLIC]


def _api_version(url: str) -> str:
    # Microsoft.Resources (subscriptions, resource groups) and Microsoft.Peering versions.
    return "2025-05-01" if "/providers/Microsoft.Peering" in url else "2021-04-01"


@pytest.mark.parametrize("route", API_ROUTES, ids=[f"{r.name}:{r.route}" for r in API_ROUTES])
def test_api_matrix(client, world, route):
    from portal.services import api_token_create

    url = url_of(world, route)
    query = {"api-version": _api_version(url)}
    unauthenticated = set()
    for method in ("get", "put", "patch", "delete", "post"):
        response = getattr(client, method)(f"{url}?api-version={query['api-version']}")
        # 405: a method the operation does not have is refused before anything else.
        assert response.status_code in (401, 405), f"no token: {method} {url}"
        assert response.json()["error"]["code"], response.content
        unauthenticated.add(response.status_code)
    assert 401 in unauthenticated, f"{url} answered without a token"

    if route.is_tenant_scoped:
        # Another tenant's token learns nothing: 404 as for a missing subscription, or a 400 for
        # the request itself (a required parameter, an operation the portal does not offer).
        _token, raw = api_token_create(user=world.outsider, name="matrix", expires_in_days=1)
        auth = {"Authorization": f"Bearer {raw}"}
        response = client.get(f"{url}?api-version={query['api-version']}", headers=auth)
        if response.status_code == 405:  # a POST operation (validate, availability …)
            response = client.post(
                f"{url}?api-version={query['api-version']}",
                data="{}",
                content_type="application/json",
                headers=auth,
            )
        assert response.status_code in (400, 404), f"outsider on {url}: {response.status_code}"
        assert response.json()["error"]["code"], response.content


@pytest.mark.parametrize("route", PORTAL_ROUTES, ids=[f"{r.name}:{r.route}" for r in PORTAL_ROUTES])
def test_matrix(client, world, route):
    url = url_of(world, route)
    login = resolve_url(settings.LOGIN_URL)

    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, f"anonymous {method.__name__} {url}"
        assert response["Location"].startswith(login), response["Location"]

    if route.is_tenant_scoped:
        client.force_login(world.outsider)
        statuses = {client.get(url).status_code, client.post(url).status_code}
        assert statuses <= {404, 405} and 404 in statuses, f"outsider on {url}: {statuses}"
        client.logout()

    client.force_login(world.reader)
    get_status = client.get(url).status_code
    assert get_status in (200, 302, 403, 405), f"Reader GET {url}: {get_status}"
    post_status = client.post(url).status_code
    if route.name in PERSONAL_WRITES:
        # 400: the personal form re-displayed with its errors (nothing was posted).
        assert post_status in (200, 302, 400, 405), f"Reader POST {url}: {post_status}"
    else:
        assert post_status in (403, 405), f"Reader POST {url}: {post_status}"
