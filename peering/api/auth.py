"""`Authorization: Bearer <token>` with a personal API token, then the api-version check.

ARM checks who is calling before anything else: a missing, wrong, expired or revoked token is a
401 whatever else is wrong with the request. The token's user then acts with their own roles;
a token limited to one subscription sees no other (404, as if it did not exist).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from peering.api.errors import ArmError
from portal.services import ApiTokenRefused, api_token_authenticate

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="peering-portal", error="invalid_token"'}


def authenticate(request: HttpRequest):
    """The request's live token, set as `request.api_token` (its user as `request.user`)."""
    cached = getattr(request, "api_token", None)
    if cached is not None:
        return cached
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise ArmError(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing or is not "
            "'Bearer <token>'. Create a token on the portal's API tokens page.",
            headers=CHALLENGE,
        )
    try:
        token = api_token_authenticate(raw=raw)
    except ApiTokenRefused as refused:
        raise ArmError(401, refused.code, refused.message, headers=CHALLENGE) from None
    request.api_token = token
    request.user = token.user
    return token


def check_api_version(request: HttpRequest, versions: Iterable[str]) -> None:
    versions = tuple(versions)
    given = request.GET.get("api-version")
    if given is None or not given.strip():
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests. "
            f"Supported: {', '.join(versions)}.",
            target="api-version",
        )
    if given not in versions:
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{given[:40]}' is invalid. The supported versions are "
            f"'{', '.join(versions)}'.",
            target="api-version",
        )


def check_token_scope(request: HttpRequest) -> None:
    """A token limited to one subscription answers 404 for any other, like a missing one."""
    token = request.api_token
    match = getattr(request, "resolver_match", None)
    wanted = (match.kwargs.get("subscription_id") if match else None) or ""
    if token.subscription_id and wanted and wanted.lower() != str(token.subscription_id):
        raise ArmError(
            404,
            "SubscriptionNotFound",
            f"The subscription '{wanted[:64]}' could not be found.",
        )


class ArmAuth:
    """The API's auth callable: bearer token, token scope, then api-version."""

    def __init__(self, versions: Iterable[str]) -> None:
        self.versions = tuple(versions)

    def __call__(self, request: HttpRequest):
        token = authenticate(request)
        check_token_scope(request)
        check_api_version(request, self.versions)
        return token
