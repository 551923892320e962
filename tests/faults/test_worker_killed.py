"""Issue 10, faults: the worker killed (SIGKILL) in the middle of a prefix validation and of a
route import. After a restart the work completes; nothing is half-written; nothing is
validated twice into a wrong state. PostgreSQL: a killed client's transaction is rolled back
by the server, which is what these tests rely on and prove."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from peering.enums import ConnectionState
from peering.models import PrefixEvent, ReceivedRoute
from peering.models.peering_service import PrefixValidationState as V
from peering.services.routes import received_routes_import_text
from portal.models import Notification
from tests import factories
from tests.factories import CUSTOMER_ASN, CUSTOMER_PREFIX, PROVIDER_ASN

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="killing a worker mid-transaction: PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(settings.BASE_DIR)
WORKER = "portal-worker"


def _env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "1",
        "DJANGO_TASKS_BACKEND": "database",
        "DJANGO_EMAIL_BACKEND": "locmem",
    }


def _start_paused(script: str, marker: Path) -> subprocess.Popen:
    """Run `script` in a new Django process; it writes `marker` where it pauses."""
    process = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, env=_env(), start_new_session=True
    )
    deadline = time.monotonic() + 90
    try:
        while not marker.exists():
            assert process.poll() is None, "the worker ended before reaching the pause"
            assert time.monotonic() < deadline, "the worker never reached the pause"
            time.sleep(0.2)
    except AssertionError:
        # Never leave a worker behind holding the test database (it would break later tests).
        _kill(process)
        raise
    return process


def _kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    # The server notices the dead client and rolls its transaction back.
    time.sleep(0.5)


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=_env(), check=True)


def test_worker_killed_in_a_prefix_validation_completes_once_after_restart(tmp_path):
    world = factories.provider_world()
    customer = factories.SubscriptionFactory(display_name="Fabrikam")
    factories.RoleAssignmentFactory(subscription=customer, user=factories.UserFactory())
    service = factories.PeeringServiceFactory(
        subscription=customer,
        provider=world.provider,
        primary_location="Seattle",
        backup_location="Ashburn",
    )
    prefix = factories.PeeringServicePrefixFactory(
        peering_service=service,
        prefix=CUSTOMER_PREFIX,
        prefix_key=str(world.registered.prefix_key),
        validation_state=V.PENDING,
    )
    marker = tmp_path / "paused"
    script = f"""
import time, django
django.setup()
import peering.services.prefix_validation as pv
real = pv._write_outcomes
def paused(*args, **kwargs):
    # The checks ran; the outcome is about to be written inside the batch's transaction.
    open({str(marker)!r}, "w").close()
    time.sleep(300)
    return real(*args, **kwargs)
pv._write_outcomes = paused
from peering.tasks import validate_prefix
validate_prefix.enqueue(prefix_id={prefix.pk})
from django.core.management import call_command
call_command("db_worker", "--worker-id", {WORKER!r}, "--interval", "0.2", "--no-reload")
"""
    _kill(_start_paused(script, marker))

    prefix.refresh_from_db()
    assert prefix.validation_state == V.PENDING  # nothing half-written
    assert prefix.validated_at is None
    task = DBTaskResult.objects.get()
    assert task.status == TaskResultStatus.RUNNING  # what django-tasks-db leaves behind
    assert not Notification.objects.filter(subscription=customer).exists()

    # The restart: requeue what the dead worker held, then a worker drains the queue.
    _manage("requeue_abandoned_tasks", "--worker-id", WORKER)
    _manage("db_worker", "--worker-id", WORKER, "--batch", "--interval", "0")

    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    prefix.refresh_from_db()
    assert prefix.validation_state == V.VERIFIED, prefix.error_message
    assert prefix.registered_asn == world.registered
    # Validated once: one Verified notification, not two.
    assert (
        Notification.objects.filter(subscription=customer, title__contains="Verified").count() == 1
    )


def _routes_text(connection_id, prefixes) -> str:
    return "\n".join(
        json.dumps(
            {
                "connection": str(connection_id),
                "prefix": p,
                "next_hop": "206.81.199.10",
                "as_path": f"{PROVIDER_ASN} {CUSTOMER_ASN}",
                "communities": ["8075:8007"],
            }
        )
        for p in prefixes
    )


def test_route_import_killed_midway_leaves_the_old_routes_then_completes(tmp_path, operator):
    world = factories.provider_world()
    conn = world.primary_connections[0]
    assert conn.connection_state == ConnectionState.ACTIVE
    old = ["45.60.10.0/24"]
    received_routes_import_text(
        text=_routes_text(conn.connection_identifier, old), operator=operator
    )
    before_routes = sorted(conn.received_routes.values_list("prefix", flat=True))
    before_events = PrefixEvent.objects.count()
    new = ["45.60.10.0/24", "45.60.11.0/24", "45.60.12.0/24"]
    marker = tmp_path / "paused"
    text_file = tmp_path / "routes.jsonl"
    text_file.write_text(_routes_text(conn.connection_identifier, new))
    script = f"""
import time, django
django.setup()
import peering.services.routes as routes
real = routes._write_routes
def paused(*args, **kwargs):
    written = real(*args, **kwargs)
    # The new generation of routes is written (COPY), inside the import's transaction.
    open({str(marker)!r}, "w").close()
    time.sleep(300)
    return written
routes._write_routes = paused
from django.contrib.auth import get_user_model
operator = get_user_model().objects.get(pk={operator.pk})
routes.received_routes_import_text(text=open({str(text_file)!r}).read(), operator=operator)
"""
    _kill(_start_paused(script, marker))

    # Nothing half-written: the connection still has exactly its old routes and events.
    assert sorted(conn.received_routes.values_list("prefix", flat=True)) == before_routes
    assert PrefixEvent.objects.count() == before_events

    # The restart: the same import again completes, and importing it once more changes nothing.
    received_routes_import_text(text=text_file.read_text(), operator=operator)
    assert sorted(conn.received_routes.values_list("prefix", flat=True)) == sorted(new)
    after_events = PrefixEvent.objects.count()
    received_routes_import_text(text=text_file.read_text(), operator=operator)
    assert ReceivedRoute.objects.filter(connection=conn).count() == len(new)
    assert PrefixEvent.objects.count() == after_events
