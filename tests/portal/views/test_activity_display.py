"""The Activity log and the notifications show times one way (relative + absolute UTC with
seconds); the log prints only failed operations in the error colour."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from portal.models import ActivityLog, ActivityStatus, Notification
from tests import factories

pytestmark = pytest.mark.django_db


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr>.*?</tr>", html, flags=re.S)


@pytest.fixture
def entries(subscription):
    ok = factories.ActivityLogFactory(
        subscription=subscription,
        operation_display="Add connection",
        message="Connection 2 requested (PendingApproval).",
        status=ActivityStatus.SUCCEEDED,
    )
    bad = factories.ActivityLogFactory(
        subscription=subscription,
        operation_display="Delete connection",
        message="The connection is Active.",
        status=ActivityStatus.FAILED,
    )
    at = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    ActivityLog.objects.filter(pk=ok.pk).update(timestamp=at)
    ActivityLog.objects.filter(pk=bad.pk).update(timestamp=at + dt.timedelta(seconds=1))
    return ok, bad


def test_success_message_is_not_in_the_error_colour(client, owner, entries):
    client.force_login(owner)
    html = client.get(reverse("portal:activity_log") + "?timespan=all").content.decode()
    (failed_row,) = [row for row in _rows(html) if "Delete connection" in row]
    (ok_row,) = [row for row in _rows(html) if "Add connection" in row]
    assert "operation-message-failed" in failed_row
    assert "operation-message-failed" not in ok_row
    assert "operation-message-succeeded" in ok_row


def test_times_show_absolute_utc_with_seconds_beside_relative(client, owner, entries):
    client.force_login(owner)
    html = client.get(reverse("portal:activity_log") + "?timespan=all").content.decode()
    assert '<span class="time-abs">2026-03-04 05:06:07 UTC</span>' in html
    assert '<span class="time-abs">2026-03-04 05:06:08 UTC</span>' in html
    assert "ago" in html


def test_notifications_show_absolute_utc_with_seconds(client, owner, subscription):
    note = factories.NotificationFactory(user=owner, subscription=subscription, title="Approved")
    at = dt.datetime(2026, 3, 4, 5, 6, 9, tzinfo=dt.UTC)
    Notification.objects.filter(pk=note.pk).update(created_at=at)
    client.force_login(owner)
    html = client.get(reverse("portal:notifications")).content.decode()
    assert '<span class="time-abs">2026-03-04 05:06:09 UTC</span>' in html
