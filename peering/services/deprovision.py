"""Deprovisioning: the peer's tracked request, the operator's accept / decline / complete.

Refused while a connection is ProvisioningStarted or ProvisioningCompleted. On accept every
connection goes PendingRemove; on complete the peering is removed and the Activity log keeps the
record. A peering whose registered ASNs are used by customers names them, and the peer must
confirm it is cutting them off.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from peering.enums import ConnectionState, ProvisioningState
from peering.models import Actor, DeprovisionRequest, Peering, PeeringConnection, RegisteredAsn
from peering.services.lifecycle import REMOVAL_BLOCKED, connection_transition
from peering.services.links import peering_url
from portal.models import ActivityStatus, Notification
from portal.notifications import milestone
from portal.selectors import ensure_can_write
from portal.services import activity_about, activity_record
from portal.validators import clean_message

OPERATION = "Microsoft.Peering/peerings/deprovision/action"


def customers_using(peering: Peering) -> list[str]:
    """Customers whose Peering Service prefixes redeemed a key of this peering's registered
    ASNs: removing the peering cuts them off."""
    return sorted(
        f"{r.name} (AS{r.asn})"
        for r in RegisteredAsn.objects.filter(peering=peering, prefixes__isnull=False).distinct()
    )


def _blocking(peering: Peering) -> list[PeeringConnection]:
    return [c for c in peering.connections.all() if c.connection_state in REMOVAL_BLOCKED]


def _text(value: object, key: str, *, label: str) -> str:
    return clean_message(
        value,
        field=key,
        max_length=2000,
        missing=f"Give the {label}.",
        too_long="Keep it under 2000 characters.",
    )


def _contacts(peering: Peering) -> list[str]:
    return peering.peer_asn.contact_emails


# How the peer is told of each step: the milestone's title (with the peering's name), body (the
# operator's reason on a decline) and level; the email is `peering/email/deprovision.txt`.
TOLD = {
    "requested": (
        "Deprovisioning of {name} requested",
        "Microsoft reviews the request; you are notified when it is accepted.",
        Notification.Level.INFO,
    ),
    "declined": ("Deprovisioning of {name} declined", "{reason}", Notification.Level.WARNING),
    "completed": ("Peering {name} removed", "Deprovisioning is complete.", Notification.Level.INFO),
}


def _tell(request: DeprovisionRequest, event: str, *, peering: Peering | None, recipients):
    """The milestone of a step, linked to the peering (to the list once it is removed)."""
    title, body, level = TOLD[event]
    milestone(
        subscription=request.subscription,
        title=title.format(name=request.peering_name),
        body=body.format(reason=request.decline_reason),
        link=peering_url(peering) if peering is not None else reverse("peering:peering_list"),
        level=level,
        email_template="peering/email/deprovision.txt",
        email_context={"peering": peering, "request": request, "event": event},
        recipients=recipients,
    )


def deprovision_request(
    *, user, peering: Peering, reason: str, confirm_customers: bool = False
) -> DeprovisionRequest:
    """Peer: ask Microsoft to remove the peering."""
    ensure_can_write(user=user, subscription=peering.subscription)
    reason = _text(reason, "reason", label="reason for removing the peering")
    with transaction.atomic():
        locked = (
            Peering.objects.select_for_update(of=("self",))
            .select_related("subscription", "resource_group", "peer_asn")
            .get(pk=peering.pk)
        )
        blocking = _blocking(locked)
        if blocking:
            places = ", ".join(sorted({c.facility_name for c in blocking}))
            states = ", ".join(sorted({c.connection_state for c in blocking}))
            raise ValidationError(
                f"Deprovisioning is refused while a connection is {states} ({places}): "
                "Microsoft is changing it. Try again once that has finished."
            )
        customers = customers_using(locked)
        if customers and not confirm_customers:
            raise ValidationError(
                {
                    "confirm_customers": [
                        "Customers use this peering's registered ASNs: "
                        + ", ".join(customers)
                        + ". Their Peering Service prefixes stop validating. Confirm to go on."
                    ]
                }
            )
        try:
            with transaction.atomic():
                request = DeprovisionRequest.objects.create(
                    peering=locked,
                    subscription=locked.subscription,
                    peering_name=locked.name,
                    resource_id=locked.resource_id,
                    reason=reason,
                    customers_confirmed=", ".join(customers),
                    requested_by=user,
                )
        except IntegrityError:
            raise ValidationError(
                "A deprovisioning request for this peering is already open."
            ) from None
        activity_about(
            locked,
            user=user,
            operation=OPERATION,
            display="Request deprovisioning",
            status=ActivityStatus.ACCEPTED,
            message=f"Reason: {reason}"
            + (f" Customers affected: {', '.join(customers)}." if customers else ""),
        )
        _tell(request, "requested", peering=locked, recipients=_contacts(locked))
    return request


def _decide(*, operator, request: DeprovisionRequest, expected: str) -> DeprovisionRequest:
    if not (operator and operator.is_active and operator.is_staff):
        raise PermissionDenied("Only Microsoft operators handle deprovisioning requests.")
    locked = (
        DeprovisionRequest.objects.select_for_update(of=("self",))
        .select_related("peering__subscription", "peering__resource_group", "peering__peer_asn")
        .get(pk=request.pk)
    )
    if locked.state != expected:
        raise ValidationError(f"This request is {locked.state}; it cannot be changed that way.")
    if locked.peering_id is None:
        raise ValidationError("The peering of this request no longer exists.")
    return locked


def deprovision_accept(*, operator, request: DeprovisionRequest) -> DeprovisionRequest:
    """Operator: accept — every connection of the peering goes PendingRemove."""
    with transaction.atomic():
        locked = _decide(
            operator=operator, request=request, expected=DeprovisionRequest.State.REQUESTED
        )
        peering = Peering.objects.select_for_update(of=("self",)).get(pk=locked.peering_id)
        for connection in peering.connections.order_by("id"):
            if connection.connection_state in REMOVAL_BLOCKED:
                raise ValidationError(
                    f"A connection at {connection.facility_name} is "
                    f"{connection.connection_state}; accept once provisioning has finished."
                )
            if connection.connection_state != ConnectionState.PENDING_REMOVE:
                connection_transition(
                    connection=connection,
                    to_state=ConnectionState.PENDING_REMOVE,
                    user=operator,
                    actor=Actor.OPERATOR,
                    note="Deprovisioning accepted.",
                )
        peering.provisioning_state = ProvisioningState.DELETING
        peering.save(update_fields=["provisioning_state"])
        locked.state = DeprovisionRequest.State.ACCEPTED
        locked.decided_by = operator
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        activity_about(
            peering,
            user=operator,
            operation=OPERATION,
            display="Accept deprovisioning",
            resource_id=locked.resource_id,
            message="Connections are PendingRemove.",
        )
    return locked


def deprovision_decline(
    *, operator, request: DeprovisionRequest, reason: str
) -> DeprovisionRequest:
    """Operator: decline with a reason the peer sees."""
    reason = _text(reason, "reason", label="reason for declining")
    with transaction.atomic():
        locked = _decide(
            operator=operator, request=request, expected=DeprovisionRequest.State.REQUESTED
        )
        locked.state = DeprovisionRequest.State.DECLINED
        locked.decline_reason = reason
        locked.decided_by = operator
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "decline_reason", "decided_by", "decided_at"])
        peering = locked.peering
        activity_record(
            subscription=locked.subscription,
            user=operator,
            operation=OPERATION,
            operation_display="Decline deprovisioning",
            resource_id=locked.resource_id,
            resource_group=peering.resource_group.name if peering else "",
            status=ActivityStatus.FAILED,
            message=f"Declined: {reason}",
        )
        if peering is not None:
            _tell(locked, "declined", peering=peering, recipients=_contacts(peering))
    return locked


def deprovision_complete(*, operator, request: DeprovisionRequest) -> DeprovisionRequest:
    """Operator: the connections are removed from the routers — remove the peering resource.

    The request, the transitions' Activity log entries and the notifications remain."""
    with transaction.atomic():
        locked = _decide(
            operator=operator, request=request, expected=DeprovisionRequest.State.ACCEPTED
        )
        peering = (
            Peering.objects.select_for_update(of=("self",))
            .select_related("subscription", "resource_group", "peer_asn")
            .get(pk=locked.peering_id)
        )
        recipients = _contacts(peering)
        group_name = peering.resource_group.name
        # Converted legacy peerings go with the resource: they were Microsoft's to remove too.
        peering.converted_legacy_peerings.all().delete()
        locked.state = DeprovisionRequest.State.COMPLETED
        locked.completed_at = timezone.now()
        locked.peering = None
        locked.save(update_fields=["state", "completed_at", "peering"])
        peering.delete()
        activity_record(
            subscription=locked.subscription,
            user=operator,
            operation="Microsoft.Peering/peerings/delete",
            operation_display="Delete peering",
            resource_id=locked.resource_id,
            resource_group=group_name,
            message="Deprovisioning completed; the peering was removed.",
        )
        _tell(locked, "completed", peering=None, recipients=recipients)
    return locked
