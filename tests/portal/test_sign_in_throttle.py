"""Issue 10, defect 8: sign-in is throttled per username and per address (django-axes), with a
clear message and how long it lasts; it is logged; an operator unlocks in admin; the admin's
own sign-in is covered too."""

import logging

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from django.urls import reverse

from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("axes_on")]

LIMIT = 3


@pytest.fixture
def axes_on():
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=LIMIT):
        yield


def fail(client, username="owner", ip="198.51.100.7", path=None):
    return client.post(
        path or reverse("login"),
        {"username": username, "password": "wrong-password"},
        REMOTE_ADDR=ip,
    )


def test_wrong_passwords_lock_the_username_with_the_time_it_lasts(client, owner, caplog):
    for _ in range(LIMIT - 1):
        assert fail(client).status_code == 200
    with caplog.at_level(logging.WARNING, logger="axes"):
        response = fail(client)
    assert response.status_code == 429
    page = response.content.decode()
    assert 'data-testid="locked-out"' in page and "locked for 15 minutes" in page
    assert any("lock" in r.getMessage().lower() for r in caplog.records)
    # Even the right password is refused while locked, from another address too.
    right = client.post(
        reverse("login"),
        {"username": "owner", "password": factories.PASSWORD},
        REMOTE_ADDR="203.0.113.9",
    )
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_address_trying_many_usernames_is_locked(client, owner):
    for n in range(LIMIT):
        fail(client, username=f"guess{n}")
    response = client.post(
        reverse("login"),
        {"username": "owner", "password": factories.PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 429
    # The owner can still sign in from elsewhere: the address is locked, not the user.
    other = client.post(
        reverse("login"),
        {"username": "owner", "password": factories.PASSWORD},
        REMOTE_ADDR="203.0.113.9",
    )
    assert other.status_code == 302


def test_admin_sign_in_is_covered_and_an_operator_unlocks(client, operator):
    admin_login = reverse("admin:login")
    for _ in range(LIMIT):
        response = fail(client, username=operator.username, path=admin_login)
    assert response.status_code == 429
    assert AccessAttempt.objects.filter(username=operator.username).exists()

    # Another operator deletes the attempts in admin (Axes → Access attempts).
    unlocker = factories.UserFactory(username="unlocker", is_staff=True, is_superuser=True)
    client.force_login(unlocker)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert client.get(changelist).status_code == 200
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert not AccessAttempt.objects.exists()
    client.logout()
    ok = client.post(
        admin_login,
        {"username": operator.username, "password": factories.PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    assert ok.status_code == 302


def test_a_good_sign_in_resets_the_count(client, owner):
    for _ in range(LIMIT - 1):
        fail(client)
    assert (
        client.post(
            reverse("login"),
            {"username": "owner", "password": factories.PASSWORD},
            REMOTE_ADDR="198.51.100.7",
        ).status_code
        == 302
    )
    client.logout()
    assert fail(client).status_code == 200  # counting starts again
