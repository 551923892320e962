"""The API tokens page: create (shown once, with a copy button), list with last use, revoke."""

import pytest
from django.urls import reverse

from portal import services
from portal.models import ApiToken

pytestmark = pytest.mark.django_db

URL = "/api-tokens/"


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_user_menu_links_to_the_page(client, owner):
    client.force_login(owner)
    page = client.get(reverse("portal:home")).content.decode()
    assert f'href="{URL}"' in page and "API tokens" in page
    assert "tokens" in URL


def test_create_shows_the_token_once(client, owner, subscription):
    client.force_login(owner)
    response = client.post(
        URL, {"name": "ci", "expires_in_days": "30", "subscription": str(subscription.pk)}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=owner, name="ci")
    assert token.subscription == subscription
    page = response.content.decode()
    raw = page.split('id="new-token-value">')[1].split("<")[0]
    assert services.api_token_digest(raw) == token.token_hash
    assert f'data-copy="{raw}"' in page
    again = client.get(URL).content.decode()
    assert raw not in again
    assert token.prefix in again and "Never" in again


def test_bad_input_is_shown_next_to_its_field(client, owner):
    client.force_login(owner)
    response = client.post(URL, {"name": "no spaces", "expires_in_days": "30"})
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_foreign_subscription_is_404(client, owner, other_subscription):
    client.force_login(owner)
    response = client.post(
        URL, {"name": "x", "expires_in_days": "30", "subscription": str(other_subscription.pk)}
    )
    assert response.status_code == 404
    assert not ApiToken.objects.exists()


def test_revoke_own_token(client, owner):
    token, _raw = services.api_token_create(user=owner, name="ci", expires_in_days=30)
    client.force_login(owner)
    response = client.post(reverse("portal:api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in client.get(URL).content.decode()


def test_cannot_revoke_or_see_someone_elses_token(client, owner, outsider):
    token, _raw = services.api_token_create(user=outsider, name="theirs", expires_in_days=30)
    client.force_login(owner)
    assert client.post(reverse("portal:api_token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "theirs" not in client.get(URL).content.decode()
