"""Bearer tokens: the only way in. Missing, wrong, expired or revoked → 401 with an ARM body;
no cookie and no CSRF token needed; a token limited to one subscription sees no other."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from portal import services
from portal.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db

V = "api-version=2025-05-01"


def _peer_asns(subscription):
    return f"/subscriptions/{subscription.pk}/providers/Microsoft.Peering/peerAsns"


def test_token_is_stored_hashed_and_shown_once(owner):
    token, raw = services.api_token_create(user=owner, name="ci", expires_in_days=30)
    assert raw.startswith("pp_") and len(raw) > 40
    assert raw not in token.token_hash and token.token_hash == services.api_token_digest(raw)
    assert not ApiToken.objects.filter(token_hash=raw).exists()


def test_valid_token_authenticates_and_records_last_use(arm, owner, subscription):
    token, raw = services.api_token_create(user=owner, name="ci", expires_in_days=30)
    assert token.last_used_at is None
    response = arm("GET", _peer_asns(subscription), token=raw, query=V)
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_missing_header_is_401(arm, subscription):
    response = arm("GET", _peer_asns(subscription), token=None, query=V)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_auth_comes_before_api_version(arm, subscription):
    response = arm("GET", _peer_asns(subscription), token=None)
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer pp_wrong", "pp_x"])
def test_wrong_token_is_401(client, subscription, header):
    response = client.get(f"/arm{_peer_asns(subscription)}?{V}", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {
        "AuthenticationFailed",
        "InvalidAuthenticationToken",
    }


def test_expired_token_is_401(arm, owner, subscription):
    token, raw = services.api_token_create(user=owner, name="old", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = arm("GET", _peer_asns(subscription), token=raw, query=V)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "ExpiredAuthenticationToken"


def test_revoked_token_is_401(arm, owner, subscription):
    token, raw = services.api_token_create(user=owner, name="gone", expires_in_days=30)
    services.api_token_revoke(user=owner, token=token)
    response = arm("GET", _peer_asns(subscription), token=raw, query=V)
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_inactive_user_token_is_401(arm, owner, subscription):
    raw = services.api_token_create(user=owner, name="x", expires_in_days=30)[1]
    owner.is_active = False
    owner.save()
    assert arm("GET", _peer_asns(subscription), token=raw, query=V).status_code == 401


def test_a_signed_in_session_alone_is_not_enough(client, owner, subscription):
    client.force_login(owner)
    response = client.get(f"/arm{_peer_asns(subscription)}?{V}")
    assert response.status_code == 401


def test_token_scoped_to_one_subscription_sees_no_other(arm, owner, subscription):
    second = factories.SubscriptionFactory()
    factories.RoleAssignmentFactory(user=owner, subscription=second, role="Owner")
    raw = services.api_token_create(
        user=owner, name="one", expires_in_days=30, subscription=subscription
    )[1]
    assert arm("GET", _peer_asns(subscription), token=raw, query=V).status_code == 200
    response = arm("GET", _peer_asns(second), token=raw, query=V)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "SubscriptionNotFound"
    listed = arm("GET", "/subscriptions", token=raw, query="api-version=2021-04-01").json()
    assert [s["subscriptionId"] for s in listed["value"]] == [str(subscription.pk)]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "bad name!", "expires_in_days": 30}, "name"),
        ({"name": "ok", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": 999}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": "soon"}, "expires_in_days"),
    ],
)
def test_create_refuses_bad_input(owner, kwargs, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.api_token_create(user=owner, **kwargs)
    assert field in caught.value.message_dict


def test_create_refuses_a_foreign_subscription_and_a_duplicate_name(owner, other_subscription):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.api_token_create(
            user=owner, name="x", expires_in_days=30, subscription=other_subscription
        )
    assert "subscription" in caught.value.message_dict
    services.api_token_create(user=owner, name="dup", expires_in_days=30)
    with pytest.raises(ValidationError) as caught:
        services.api_token_create(user=owner, name="DUP", expires_in_days=30)
    assert "name" in caught.value.message_dict


def test_create_api_token_command(owner, capsys, arm, subscription):
    call_command("create_api_token", "owner", "--name", "ops", "--days", "7")
    raw = capsys.readouterr().out.strip()
    assert ApiToken.objects.get(user=owner, name="ops")
    assert arm("GET", _peer_asns(subscription), token=raw, query=V).status_code == 200


def test_create_api_token_command_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody")
