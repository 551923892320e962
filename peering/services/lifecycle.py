"""The connection state machine: one table of allowed transitions, one function that moves a
connection, and the operator's tools around it (session states, address allocation).

Every move locks the connection row, re-checks its state inside the lock, records a
ConnectionTransition (from, to, who, when, note), writes the Activity log and, at milestones,
notifies the subscription and emails the Peer ASN contacts after commit.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from peering.enums import ConnectionState as S
from peering.enums import Kind, SessionAddressProvider, SessionState
from peering.models import (
    Actor,
    ConnectionTransition,
    FacilityAddressPool,
    PeeringConnection,
)
from peering.services.addresses import addresses_used_at, lock_places
from peering.services.links import peering_url
from peering.validators import parse_prefix
from portal.models import ActivityStatus, Notification
from portal.notifications import milestone
from portal.selectors import ensure_can_write
from portal.services import activity_about
from portal.validators import clean_message

OP, PEER = Actor.OPERATOR, Actor.PEER

# The whole state machine. A move not in this table cannot happen.
TRANSITIONS: dict[str, dict[str, str]] = {
    S.NONE: {S.PENDING_APPROVAL: OP},
    S.PENDING_APPROVAL: {
        S.APPROVED: OP,
        S.PROVISIONING_FAILED: OP,
        S.EXTERNAL_BLOCKER: OP,
        S.PENDING_REMOVE: OP,
    },
    S.APPROVED: {
        S.PROVISIONING_STARTED: OP,
        S.PROVISIONING_FAILED: OP,
        S.EXTERNAL_BLOCKER: OP,
        S.PENDING_REMOVE: OP,
    },
    # While Microsoft is configuring its routers, nothing may remove the connection.
    S.PROVISIONING_STARTED: {
        S.PROVISIONING_COMPLETED: OP,
        S.PROVISIONING_FAILED: OP,
        S.EXTERNAL_BLOCKER: OP,
    },
    S.PROVISIONING_FAILED: {
        S.APPROVED: OP,
        S.PROVISIONING_STARTED: OP,
        S.PENDING_REMOVE: OP,
    },
    S.PROVISIONING_COMPLETED: {S.VALIDATING: OP, S.PROVISIONING_FAILED: OP},
    S.VALIDATING: {
        S.ACTIVE: OP,
        S.PROVISIONING_FAILED: OP,
        S.EXTERNAL_BLOCKER: OP,
        S.PENDING_REMOVE: OP,
    },
    S.ACTIVE: {
        S.TYPE_CHANGE_REQUESTED: PEER,
        S.EXTERNAL_BLOCKER: OP,
        S.PENDING_REMOVE: OP,
    },
    # Approve (in progress) or reject (back to Active, with the reason).
    S.TYPE_CHANGE_REQUESTED: {S.TYPE_CHANGE_IN_PROGRESS: OP, S.ACTIVE: OP, S.PENDING_REMOVE: OP},
    S.TYPE_CHANGE_IN_PROGRESS: {S.ACTIVE: OP},
    # Resumes where it was blocked, or one step further (see `blocker_exits`).
    S.EXTERNAL_BLOCKER: {
        S.PENDING_APPROVAL: OP,
        S.APPROVED: OP,
        S.PROVISIONING_STARTED: OP,
        S.PROVISIONING_COMPLETED: OP,
        S.VALIDATING: OP,
        S.ACTIVE: OP,
        S.PENDING_REMOVE: OP,
    },
    S.PENDING_REMOVE: {},
}

# The provisioning path, in order: a blocked connection resumes on it, never skipping ahead.
MAIN_PATH = (
    S.PENDING_APPROVAL,
    S.APPROVED,
    S.PROVISIONING_STARTED,
    S.PROVISIONING_COMPLETED,
    S.VALIDATING,
    S.ACTIVE,
)

# Moving into these needs a note: it becomes the connection's error message.
NEEDS_NOTE = frozenset({S.PROVISIONING_FAILED, S.EXTERNAL_BLOCKER})
# States in which the connection cannot be deleted or deprovisioned: those the table gives no
# way to PendingRemove (ProvisioningStarted, ProvisioningCompleted, TypeChangeInProgress).
REMOVAL_BLOCKED = frozenset(
    state
    for state, moves in TRANSITIONS.items()
    if state not in (S.PENDING_REMOVE, S.NONE) and S.PENDING_REMOVE not in moves
)


@dataclass(frozen=True)
class NextStep:
    """Who acts next in a state, what they do, and the usual wait."""

    actor: str | None
    action: str
    usual_wait: str


NEXT_STEPS: dict[str, NextStep] = {
    S.NONE: NextStep(OP, "Microsoft registers the request.", "minutes"),
    S.PENDING_APPROVAL: NextStep(
        OP,
        "Microsoft's peering team reviews the request and may contact you.",
        "1–3 business days",
    ),
    S.APPROVED: NextStep(
        PEER,
        "Configure BGP on your side (for Direct, complete the cross-connect per the LOA), then "
        "tell Microsoft.",
        "as soon as you are ready",
    ),
    S.PROVISIONING_STARTED: NextStep(
        OP, "Microsoft configures its routers (with a DENY ALL policy at first).", "up to 1 week"
    ),
    S.PROVISIONING_FAILED: NextStep(
        PEER,
        "Fix what the error message describes; Microsoft then retries provisioning.",
        "depends on the fix",
    ),
    S.PROVISIONING_COMPLETED: NextStep(
        OP, "Microsoft starts end-to-end validation.", "1–2 business days"
    ),
    S.VALIDATING: NextStep(
        OP, "Microsoft validates the sessions end to end and lifts DENY ALL.", "1–2 business days"
    ),
    S.ACTIVE: NextStep(None, "Nothing: traffic flows.", ""),
    S.TYPE_CHANGE_REQUESTED: NextStep(
        OP, "Microsoft reviews the type change request.", "about 2 business days"
    ),
    S.TYPE_CHANGE_IN_PROGRESS: NextStep(
        OP,
        "Microsoft converts the connection (a hard BGP restart, about 2 hours of impact).",
        "about 2 business days",
    ),
    S.EXTERNAL_BLOCKER: NextStep(
        PEER,
        "Something outside Microsoft blocks progress (see the message); resolve it and tell "
        "Microsoft.",
        "depends on the blocker",
    ),
    S.PENDING_REMOVE: NextStep(OP, "Microsoft removes the connection.", "a few business days"),
}

# An Exchange connection has no cross-connect and no LOA: where its next step differs.
EXCHANGE_NEXT_STEPS: dict[str, NextStep] = {
    S.APPROVED: NextStep(
        PEER,
        "Configure the BGP session on your router at the exchange, then tell Microsoft.",
        "as soon as you are ready",
    ),
}


def next_step(state: str, *, kind: str) -> NextStep | None:
    """Who acts next in `state` for a peering of `kind` (Direct or Exchange), or None."""
    if kind == Kind.EXCHANGE and state in EXCHANGE_NEXT_STEPS:
        return EXCHANGE_NEXT_STEPS[state]
    return NEXT_STEPS.get(state)


# Milestones the peer hears about (product.md §3.12): title and notification level.
MILESTONES: dict[str, tuple[str, str]] = {
    S.APPROVED: ("approved", Notification.Level.SUCCESS),
    S.ACTIVE: ("active", Notification.Level.SUCCESS),
    S.PROVISIONING_FAILED: ("failed", Notification.Level.ERROR),
    S.EXTERNAL_BLOCKER: ("blocked", Notification.Level.WARNING),
    S.TYPE_CHANGE_IN_PROGRESS: ("type change approved", Notification.Level.INFO),
    S.PENDING_REMOVE: ("being removed", Notification.Level.WARNING),
}


def blocker_exits(connection: PeeringConnection) -> set[str]:
    """Where an ExternalBlocker connection may go: back to the state it was blocked in, one
    step further along the provisioning path, or PendingRemove."""
    entered = (
        ConnectionTransition.objects.filter(connection=connection, to_state=S.EXTERNAL_BLOCKER)
        .order_by("-created_at", "-id")
        .values_list("from_state", flat=True)
        .first()
    )
    if entered is None:
        # Blocked before the portal kept a history (loaded data): the table alone decides.
        return set(TRANSITIONS[S.EXTERNAL_BLOCKER])
    exits = {S.PENDING_REMOVE}
    if entered in MAIN_PATH:
        index = MAIN_PATH.index(entered)
        exits.update(MAIN_PATH[index : index + 2])
    else:
        exits.add(entered)
    return exits


def allowed_transitions(state: str, *, actor: str | None = None) -> list[str]:
    """States a connection in `state` may move to (by `actor`, if given), in table order."""
    return [to for to, who in TRANSITIONS.get(state, {}).items() if actor in (None, who)]


def awaiting_operator_states() -> list[str]:
    """Connection states where Microsoft acts next: the operators' queue."""
    return [state for state, step in NEXT_STEPS.items() if step.actor == OP]


def _check_actor(*, user, actor: str, connection: PeeringConnection) -> None:
    if actor == OP:
        if not (user and user.is_active and user.is_staff):
            raise PermissionDenied("Only Microsoft operators can make this change.")
    elif actor == PEER:
        ensure_can_write(user=user, subscription=connection.peering.subscription)
    elif actor != Actor.SYSTEM:
        raise PermissionDenied("Unknown actor.")


def _clean_note(note: str, *, required: bool, to_state: str) -> str:
    return clean_message(
        note,
        field="note",
        max_length=2000,
        missing=(
            f"Say what went wrong: the peer sees it as the {to_state} message." if required else ""
        ),
        too_long="Keep the note under 2000 characters.",
    )


def connection_link(connection: PeeringConnection) -> str:
    return peering_url(connection.peering)


def connection_transition(
    *,
    connection: PeeringConnection,
    to_state: str,
    user,
    actor: str = OP,
    note: str = "",
) -> PeeringConnection:
    """Move one connection to `to_state` if the table allows it from the state the caller saw.

    `connection` is the object as the caller saw it: if its state changed in the meantime
    (another operator acted), the move is refused with a clear message. Returns the updated
    connection.
    """
    seen_state = connection.connection_state
    to_state = str(to_state)
    if to_state not in S.values:
        raise ValidationError({"to_state": [f"'{to_state[:40]}' is not a connection state."]})
    with transaction.atomic():
        locked = (
            PeeringConnection.objects.select_for_update(of=("self",))
            .select_related(
                "peering__subscription",
                "peering__resource_group",
                "peering__peer_asn",
                "direct_facility",
                "exchange",
            )
            .get(pk=connection.pk)
        )
        _check_actor(user=user, actor=actor, connection=locked)
        current = locked.connection_state
        if current != seen_state:
            raise ValidationError(
                f"The connection changed from {seen_state} to {current} since you loaded it; "
                "reload and try again."
            )
        allowed = TRANSITIONS.get(current, {})
        if current == S.EXTERNAL_BLOCKER:
            exits = blocker_exits(locked)
            allowed = {state: who for state, who in allowed.items() if state in exits}
        if to_state not in allowed:
            options = ", ".join(allowed) or "none: it is being removed"
            raise ValidationError(
                {
                    "to_state": [
                        f"A connection cannot go from {current} to {to_state}. "
                        f"Allowed from {current}: {options}."
                    ]
                }
            )
        if allowed[to_state] != actor:
            who = Actor(allowed[to_state]).label
            raise PermissionDenied(f"Only {who} moves a connection from {current} to {to_state}.")
        note = _clean_note(
            note,
            required=to_state in NEEDS_NOTE
            or (current == S.TYPE_CHANGE_REQUESTED and to_state == S.ACTIVE),
            to_state=to_state,
        )
        locked.connection_state = to_state
        fields = ["connection_state", "updated_at"]
        if to_state in NEEDS_NOTE:
            locked.error_message = note
            fields.append("error_message")
        elif locked.error_message and to_state != S.PENDING_REMOVE:
            locked.error_message = ""
            fields.append("error_message")
        # Provisioning (validated, or unblocked) makes the ordered bandwidth the provisioned
        # one; ending a type change does not provision a pending upgrade.
        if (
            to_state == S.ACTIVE
            and current in (S.VALIDATING, S.EXTERNAL_BLOCKER)
            and locked.bandwidth_mbps
        ):
            locked.provisioned_bandwidth_mbps = locked.bandwidth_mbps
            fields.append("provisioned_bandwidth_mbps")
        if to_state == S.TYPE_CHANGE_IN_PROGRESS:
            locked.use_for_peering_service = True
            fields.append("use_for_peering_service")
        if to_state == S.PENDING_REMOVE:
            for family in ("v4", "v6"):
                if getattr(locked, f"session_state_{family}") != SessionState.NONE:
                    setattr(locked, f"session_state_{family}", SessionState.PENDING_REMOVE)
                    fields.append(f"session_state_{family}")
        locked.save(update_fields=fields)
        _record(locked, current, to_state, user=user, actor=actor, note=note)
    return locked


def _record(
    connection: PeeringConnection, current: str, to_state: str, *, user, actor: str, note: str
) -> None:
    peering = connection.peering
    ConnectionTransition.objects.create(
        connection=connection,
        from_state=current,
        to_state=to_state,
        actor=actor,
        user=user if getattr(user, "is_authenticated", False) else None,
        note=note,
    )
    place = connection.facility_name
    activity_about(
        peering,
        user=user,
        operation="Microsoft.Peering/peerings/connections/write",
        display="Update connection state",
        status=ActivityStatus.FAILED if to_state in NEEDS_NOTE else ActivityStatus.SUCCEEDED,
        message=f"Connection at {place}: {current} → {to_state}." + (f" {note}" if note else ""),
    )
    if to_state not in MILESTONES:
        return
    word, level = MILESTONES[to_state]
    step = next_step(to_state, kind=peering.kind)
    link = connection_link(connection)
    milestone(
        subscription=peering.subscription,
        title=f"Connection of {peering.name} at {place} {word}",
        body=(f"{note} " if note else "") + (f"Next: {step.action}" if step.actor else ""),
        link=link,
        level=level,
        email_template="peering/email/connection_state.txt",
        email_context={
            "peering": peering,
            "connection": connection,
            "from_state": current,
            "to_state": to_state,
            "note": note,
            "next_step": step,
            "link": link,
        },
        recipients=peering.peer_asn.contact_emails,
    )


def session_state_set(
    *, connection: PeeringConnection, family: int, state: str, operator
) -> PeeringConnection:
    """Operator: record the BGP session state of one address family."""
    if not (operator and operator.is_active and operator.is_staff):
        raise PermissionDenied("Only Microsoft operators set session states.")
    if family not in (4, 6):
        raise ValidationError({"family": ["Choose IPv4 or IPv6."]})
    if state not in SessionState.values:
        raise ValidationError({"state": [f"'{str(state)[:40]}' is not a session state."]})
    field = f"session_state_v{family}"
    with transaction.atomic():
        locked = (
            PeeringConnection.objects.select_for_update(of=("self",))
            .select_related("peering__subscription", "peering__resource_group")
            .get(pk=connection.pk)
        )
        has_session = bool(
            getattr(locked, f"peer_session_ipv{family}_address")
            or getattr(locked, f"session_prefix_v{family}")
        )
        if state != SessionState.NONE and not has_session:
            raise ValidationError(
                {"state": [f"This connection has no IPv{family} session to set a state on."]}
            )
        previous = getattr(locked, field)
        setattr(locked, field, state)
        locked.save(update_fields=[field, "updated_at"])
        peering = locked.peering
        activity_about(
            peering,
            user=operator,
            operation="Microsoft.Peering/peerings/connections/write",
            display="Update session state",
            message=f"IPv{family} session at {locked.facility_name}: {previous} → {state}.",
        )
    return locked


# --- Microsoft-provided session addresses -----------------------------------------------------


def _next_free(pool_text: str, new_prefix: int, used: set[str]):
    pool = ipaddress.ip_network(pool_text)
    for subnet in pool.subnets(new_prefix=new_prefix):
        if not any(str(address) in used for address in subnet):
            return subnet
    return None


def connection_allocate_addresses(
    *,
    connection: PeeringConnection,
    operator,
    session_prefix_v4: str = "",
    session_prefix_v6: str = "",
) -> PeeringConnection:
    """Operator: give a Microsoft-provided connection its session subnets — the ones typed, or
    the next free /31 and /127 of the facility's pool. The first address is the peer's, the next
    Microsoft's."""
    if not (operator and operator.is_active and operator.is_staff):
        raise PermissionDenied("Only Microsoft operators allocate session addresses.")
    with transaction.atomic():
        locked = (
            PeeringConnection.objects.select_for_update(of=("self",))
            .select_related("peering__subscription", "peering__resource_group", "direct_facility")
            .get(pk=connection.pk)
        )
        if locked.session_address_provider != SessionAddressProvider.MICROSOFT:
            raise ValidationError(
                "Only connections whose session address provider is Microsoft get addresses "
                "from Microsoft; the peer supplied these."
            )
        if locked.connection_state == S.PENDING_REMOVE:
            raise ValidationError("The connection is being removed.")
        facility = locked.direct_facility
        # Lock the facility, as every write of addresses there does: two operators (or an
        # operator and a peer adding a connection) never take one address.
        lock_places(facility_ids=[facility.pk])
        pool = FacilityAddressPool.objects.filter(direct_facility=facility).first()
        used = addresses_used_at(facility_ids={facility.pk}, exclude_pk=locked.pk).get(
            ("facility", facility.pk), set()
        )
        errors: dict[str, list[str]] = {}
        chosen = {}
        for family, typed, length, pool_field in (
            (4, session_prefix_v4, 31, "ipv4_pool"),
            (6, session_prefix_v6, 127, "ipv6_pool"),
        ):
            key = f"session_prefix_v{family}"
            if str(typed or "").strip():
                try:
                    network = parse_prefix(typed, family=family, label=f"IPv{family} prefix")
                except ValidationError as exc:
                    errors[key] = exc.messages
                    continue
                if network.prefixlen not in ((30, 31) if family == 4 else (126, 127)):
                    errors[key] = [
                        f"Use a /{length} (or /{length - 1}) for a point-to-point session."
                    ]
                    continue
            elif family == 6 and not (pool and pool.ipv6_pool):
                continue  # IPv6 is optional: only when the facility has an IPv6 pool
            elif pool is None or not getattr(pool, pool_field):
                errors[key] = [
                    f"{facility.name} has no IPv{family} address pool; type a prefix or add "
                    "a pool for the facility."
                ]
                continue
            else:
                network = _next_free(getattr(pool, pool_field), length, used)
                if network is None:
                    errors[key] = [f"The IPv{family} pool of {facility.name} is exhausted."]
                    continue
            hosts = list(network) if network.num_addresses == 2 else list(network)[1:3]
            clash = [str(a) for a in hosts if str(a) in used]
            if clash:
                errors[key] = [f"{', '.join(clash)} is already used at {facility.name}."]
                continue
            chosen[family] = (network, hosts[0], hosts[1])
        if errors:
            raise ValidationError(errors)
        if not chosen:
            raise ValidationError("Nothing to allocate.")
        fields = ["updated_at"]
        for family, (network, peer, microsoft) in chosen.items():
            ip = f"ipv{family}"
            setattr(locked, f"session_prefix_v{family}", network.with_prefixlen)
            setattr(locked, f"peer_session_{ip}_address", str(peer))
            setattr(locked, f"microsoft_session_{ip}_address", str(microsoft))
            fields += [
                f"session_prefix_v{family}",
                f"peer_session_{ip}_address",
                f"microsoft_session_{ip}_address",
            ]
        locked.save(update_fields=fields)
        peering = locked.peering
        summary = "; ".join(
            f"{network.with_prefixlen} (peer {peer}, Microsoft {ms})"
            for network, peer, ms in chosen.values()
        )
        activity_about(
            peering,
            user=operator,
            operation="Microsoft.Peering/peerings/connections/write",
            display="Allocate session addresses",
            message=f"Connection at {facility.name}: {summary}.",
        )
        milestone(
            subscription=peering.subscription,
            title=f"Session addresses allocated for {peering.name} at {facility.name}",
            body=summary,
            link=connection_link(locked),
            level=Notification.Level.INFO,
            email_template="peering/email/addresses_allocated.txt",
            email_context={"peering": peering, "connection": locked, "summary": summary},
            recipients=peering.peer_asn.contact_emails,
        )
    return locked


def operator_queue():
    """Connections waiting on Microsoft, oldest first (by their last change)."""
    return (
        PeeringConnection.objects.filter(connection_state__in=awaiting_operator_states())
        .select_related(
            "peering__subscription", "peering__resource_group", "direct_facility", "exchange"
        )
        .order_by("updated_at", "id")
    )
