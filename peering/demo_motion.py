"""Demo motion: with settings.DEMO_MOTION on, a background worker plays Microsoft's operator and
walks each new connection to Active, one step every DEMO_MOTION_STEP_SECONDS:

    PendingApproval → Approved → ProvisioningStarted → ProvisioningCompleted → Validating → Active

Every step goes through the same services a human operator uses (`connection_transition`,
`connection_allocate_addresses`, `session_state_set`), as the system user "demo-operator", so
the timeline, the Activity log, the notifications and the emails look exactly as they would in
production. At Active the connection's BGP sessions are set Established.

Wiring:

- `demo_motion_start(peering)` — call once `peering_create` has saved the peering (inside its
  transaction is fine too: the first step is only enqueued when the transaction commits). It
  schedules every new (PendingApproval, non-legacy) connection of the peering.
- `demo_motion_start_connection(connection)` — the same for one connection, e.g. after
  `connection_add`.

Each step is the task `peering.tasks.demo_advance(connection_id, expected_state)`, enqueued with
`run_after = now + DEMO_MOTION_STEP_SECONDS` on backends that support deferred tasks (the
database backend run by `manage.py db_worker`). The immediate backend cannot defer: there the
whole chain runs at once, one step after each commit, and ends at Active.

A step stops silently — and schedules nothing more — when demo motion is off, the connection is
gone, or the connection is not in the state the step expected (a human operator acted
meanwhile, or the peer deleted it). Demo motion never overrides a person.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from peering.enums import ConnectionState as S
from peering.enums import SessionAddressProvider, SessionState
from peering.models import Actor, FacilityAddressPool, Peering, PeeringConnection
from peering.services.lifecycle import (
    connection_allocate_addresses,
    connection_transition,
    session_state_set,
)
from peering.tasks import demo_advance

logger = logging.getLogger(__name__)


DEMO_OPERATOR_USERNAME = "demo-operator"


# The one path demo motion walks: each state and the step after it.
DEMO_PATH: dict[str, str] = {
    S.PENDING_APPROVAL: S.APPROVED,
    S.APPROVED: S.PROVISIONING_STARTED,
    S.PROVISIONING_STARTED: S.PROVISIONING_COMPLETED,
    S.PROVISIONING_COMPLETED: S.VALIDATING,
    S.VALIDATING: S.ACTIVE,
}


NOTES: dict[str, str] = {
    S.APPROVED: "Demo motion: request reviewed and approved.",
    S.PROVISIONING_STARTED: "Demo motion: configuring Microsoft's routers.",
    S.PROVISIONING_COMPLETED: "Demo motion: router configuration complete.",
    S.VALIDATING: "Demo motion: validating the sessions end to end.",
    S.ACTIVE: "Demo motion: sessions validated, traffic flows.",
}


def demo_motion_enabled() -> bool:
    return bool(getattr(settings, "DEMO_MOTION", False))


def demo_step_seconds() -> int:
    return max(0, int(getattr(settings, "DEMO_MOTION_STEP_SECONDS", 10) or 0))


def demo_operator():
    """The system user demo motion acts as: staff, active, and unable to sign in."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=DEMO_OPERATOR_USERNAME,
        defaults={
            "is_staff": True,
            "is_active": True,
            "first_name": "Demo",
            "last_name": "operator",
        },
    )
    fields = []
    if created or user.has_usable_password():
        user.set_unusable_password()
        fields.append("password")
    if not user.is_staff or not user.is_active:
        user.is_staff = user.is_active = True
        fields += ["is_staff", "is_active"]
    if fields:
        user.save(update_fields=fields)
    return user


def demo_motion_start(peering: Peering) -> int:
    """Schedule the first step for each new connection of `peering`; returns how many.

    Does nothing (returns 0) when DEMO_MOTION is off. Safe inside or outside a transaction:
    the steps are enqueued after the commit, never for a rolled-back peering.
    """
    if not demo_motion_enabled():
        return 0
    ids = list(
        PeeringConnection.objects.filter(
            peering_id=peering.pk, connection_state=S.PENDING_APPROVAL, is_legacy=False
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        transaction.on_commit(partial(_schedule, pk, S.PENDING_APPROVAL))
    return len(ids)


def demo_motion_start_connection(connection: PeeringConnection) -> bool:
    """Schedule the first step for one new connection; returns whether it was scheduled."""
    if not demo_motion_enabled() or connection.is_legacy:
        return False
    if connection.connection_state not in DEMO_PATH:
        return False
    transaction.on_commit(partial(_schedule, connection.pk, connection.connection_state))
    return True


def on_connections_requested(*, connection_ids, **_kwargs) -> int:
    """`peering.signals.connections_requested` receiver: after the commit, schedule the first
    step of every new connection waiting for Microsoft; returns how many."""
    if not demo_motion_enabled():
        return 0
    rows = PeeringConnection.objects.filter(
        pk__in=connection_ids, is_legacy=False, connection_state__in=list(DEMO_PATH)
    ).order_by("pk")
    scheduled = 0
    for pk, state in rows.values_list("pk", "connection_state"):
        transaction.on_commit(partial(_schedule, pk, state))
        scheduled += 1
    return scheduled


def _schedule(connection_id: int, expected_state: str) -> None:
    """Enqueue the step that moves the connection on from `expected_state`."""
    task = demo_advance
    delay = demo_step_seconds()
    if delay and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay))
    task.enqueue(connection_id=connection_id, expected_state=expected_state)


def _needs_addresses(connection: PeeringConnection) -> bool:
    return (
        connection.session_address_provider == SessionAddressProvider.MICROSOFT
        and connection.direct_facility_id is not None
        and not connection.peer_session_ipv4_address
        and FacilityAddressPool.objects.filter(direct_facility_id=connection.direct_facility_id)
        .exclude(ipv4_pool="")
        .exists()
    )


def demo_step(*, connection_id: int, expected_state: str) -> str:
    """Move the connection one step along DEMO_PATH if it is still where demo motion left it.

    Returns what happened (the new state, or why nothing moved) — the task's result.
    """
    if not demo_motion_enabled():
        return "off"
    to_state = DEMO_PATH.get(str(expected_state))
    if to_state is None:
        return "done"
    connection = PeeringConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return "gone"
    if connection.connection_state != expected_state:
        return f"left alone ({connection.connection_state})"
    operator = demo_operator()
    try:
        with transaction.atomic():
            if _needs_addresses(connection):
                try:
                    connection_allocate_addresses(connection=connection, operator=operator)
                except ValidationError as exc:  # e.g. an exhausted pool: go on without
                    logger.info(
                        "Demo motion: no addresses for connection %s: %s", connection_id, exc
                    )
            moved = connection_transition(
                connection=connection,
                to_state=to_state,
                user=operator,
                actor=Actor.OPERATOR,
                note=NOTES[to_state],
            )
            if to_state == S.ACTIVE:
                for family in (4, 6):
                    has_session = getattr(moved, f"peer_session_ipv{family}_address") or getattr(
                        moved, f"session_prefix_v{family}"
                    )
                    if has_session:
                        moved = session_state_set(
                            connection=moved,
                            family=family,
                            state=SessionState.ESTABLISHED,
                            operator=operator,
                        )
            else:
                transaction.on_commit(partial(_schedule, connection_id, to_state))
    except (ValidationError, PermissionDenied, PeeringConnection.DoesNotExist) as exc:
        # Someone acted between our read and our lock, or the connection was deleted.
        logger.info("Demo motion stopped for connection %s: %s", connection_id, exc)
        return "stopped"
    return to_state
