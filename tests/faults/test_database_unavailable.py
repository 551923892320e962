"""Issue 10, faults: the database going away for a moment mid-request answers a clear 503
page (portal.middleware.DatabaseUnavailableMiddleware), not a traceback, and the next request
works."""

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

import portal.views

pytestmark = pytest.mark.django_db(transaction=True)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="terminating a backend needs PostgreSQL"
)


@on_postgresql
def test_connection_killed_mid_request_answers_503_then_recovers(client, owner, monkeypatch):
    client.force_login(owner)
    real = portal.views.role_assignments_for_user
    killed = []

    def kill_then_read(*, user):
        if not killed:
            killed.append(True)
            with connection.cursor() as cursor:
                # The server drops this very connection, as a restart or failover would.
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return real(user=user)

    monkeypatch.setattr(portal.views, "role_assignments_for_user", kill_then_read)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 503
    page = response.content.decode()
    assert 'data-testid="service-unavailable"' in page and "Traceback" not in page
    assert response["Retry-After"]

    again = client.get(reverse("portal:home"))
    assert again.status_code == 200


def test_a_lost_connection_is_503_on_every_database(client, owner, monkeypatch):
    """The same answer on any database (simulated: the query fails and the connection no
    longer answers)."""
    client.force_login(owner)

    def lost(*, user):
        monkeypatch.setattr(connection, "is_usable", lambda: False)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(portal.views, "role_assignments_for_user", lost)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 503
    assert 'data-testid="service-unavailable"' in response.content.decode()
    monkeypatch.undo()
    assert client.get(reverse("portal:home")).status_code == 200


def test_an_ordinary_database_error_is_not_disguised(client, owner, monkeypatch):
    """A query error on a healthy connection is a real bug: it stays a 500, not a 503."""
    client.force_login(owner)

    def broken(*, user):
        raise OperationalError("no such column: x")

    monkeypatch.setattr(portal.views, "role_assignments_for_user", broken)
    client.raise_request_exception = False
    assert client.get(reverse("portal:home")).status_code == 500


def test_a_connection_lost_after_the_view_is_503_too(client, owner, monkeypatch):
    """The session is saved by its middleware after the view has answered: the database lost
    there answers the same 503 (handler500), not the generic error page."""
    from django.contrib.sessions.backends.db import SessionStore

    client.force_login(owner)
    subscription = owner.role_assignments.first().subscription

    def lost(self, must_create=False):
        monkeypatch.setattr(connection, "is_usable", lambda: False)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionStore, "save", lost)
    client.raise_request_exception = False
    response = client.post(
        reverse("portal:switch_subscription"), {"subscription": str(subscription.pk)}
    )
    assert response.status_code == 503
    assert 'data-testid="service-unavailable"' in response.content.decode()
    assert response["Retry-After"]
    monkeypatch.undo()
    assert client.get(reverse("portal:home")).status_code == 200
