"""The real azure-mgmt-peering SDK pointed at Django's live server under /arm.

The SDK's default ARM policy refuses bearer tokens over plain HTTP, so the client gets a custom
authentication policy that sets `Authorization: Bearer <token>` (arm-api-facts.md §5, option D).
"""

import pytest
from azure.core.credentials import AccessToken
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.peering import PeeringManagementClient

from portal import services


class BearerToken(SansIOHTTPPolicy):
    def __init__(self, token: str) -> None:
        self.token = token

    def on_request(self, request):
        request.http_request.headers["Authorization"] = f"Bearer {self.token}"


class UnusedCredential:
    """The client wants a credential; the policy above replaces what it would do."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("unused", 0)


def make_client(base_url: str, token: str, subscription_id) -> PeeringManagementClient:
    return PeeringManagementClient(
        UnusedCredential(),
        str(subscription_id),
        base_url=f"{base_url}/arm",
        authentication_policy=BearerToken(token),
        retry_total=0,
    )


def token_for(user, **kwargs) -> str:
    kwargs.setdefault("name", "automation")
    kwargs.setdefault("expires_in_days", 30)
    return services.api_token_create(user=user, **kwargs)[1]


@pytest.fixture
def owner_token(owner):
    return token_for(owner)


@pytest.fixture
def reader_token(reader):
    return token_for(reader)


@pytest.fixture
def outsider_token(outsider):
    return token_for(outsider)


@pytest.fixture
def sdk(live_server, owner_token, subscription):
    """The SDK as the subscription's Owner."""
    return make_client(live_server.url, owner_token, subscription.pk)


@pytest.fixture
def reader_sdk(live_server, reader_token, subscription):
    return make_client(live_server.url, reader_token, subscription.pk)


@pytest.fixture
def outsider_sdk(live_server, outsider_token, subscription):
    """Another tenant's Owner aiming at `subscription`."""
    return make_client(live_server.url, outsider_token, subscription.pk)


@pytest.fixture
def arm(client, owner_token):
    """Django's test client calling /arm with the owner's token (for what the SDK can't send)."""

    def call(method: str, path: str, *, token: str | None = owner_token, query="", **kwargs):
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        sep = "&" if "?" in path else "?"
        url = f"/arm{path}{sep}{query}" if query else f"/arm{path}"
        return getattr(client, method.lower())(url, headers=headers, **kwargs)

    return call
