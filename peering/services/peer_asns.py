"""Peer ASN association (customer side) and its approval (operator side)."""

import re
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from peering.contracts import PeerAsnInput
from peering.enums import ContactRole, ValidationState
from peering.models import PeerAsn, PeerContact
from peering.validators import validate_public_asn
from portal.models import ActivityStatus, Notification, Subscription
from portal.notifications import milestone
from portal.selectors import ensure_can_write
from portal.services import (
    activity_about,
    activity_record,
    arm_name_errors,
    create_unless_refused,
)
from portal.validators import (
    CONTROL_CHARS_RE,
    clean_message,
    validate_plain_text,
)

MAX_CONTACTS = 10


# Letters and digits of any script (Telefónica, Ростелеком), spaces and common punctuation.
PEER_NAME_RE = re.compile(r"[^\W_][\w .,&'()/+\-]{0,99}")


PHONE_RE = re.compile(r"\+?[0-9][0-9 ().\-]{4,30}")


# Microsoft's peering policy: a 24x7 NOC reachable at a corporate domain, not a personal mailbox.
PERSONAL_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "ymail.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "gmx.com",
        "mail.com",
    }
)


OPERATION_WRITE = "Microsoft.Peering/peerAsns/write"


OPERATION_DELETE = "Microsoft.Peering/peerAsns/delete"


OPERATION_VALIDATE = "Microsoft.Peering/peerAsns/validate/action"


def _clean_contacts(contacts: Iterable[Mapping[str, str]]) -> tuple[list[dict], dict]:
    """Validate contact rows; return the clean rows and errors keyed `contacts.<i>.<field>`."""
    rows: list[dict] = []
    errors: dict[str, list[str]] = {}
    for index, raw in enumerate(contacts):
        if not isinstance(raw, Mapping):
            errors[f"contacts.{index}.email"] = ["Each contact needs a role, email and phone."]
            continue
        role = str(raw.get("role") or "").strip()
        email = str(raw.get("email") or "").strip()
        phone = str(raw.get("phone") or "").strip()
        if not (role or email or phone):
            continue  # an empty row the user added and left blank
        key = f"contacts.{index}"
        if role not in ContactRole.values:
            errors[f"{key}.role"] = [
                f"Choose a role: {', '.join(label for _, label in ContactRole.choices)}."
            ]
        if not email:
            errors[f"{key}.email"] = ["Enter the contact's email address."]
        elif len(email) > 254:
            errors[f"{key}.email"] = ["An email address has at most 254 characters."]
        elif CONTROL_CHARS_RE.search(email):
            # Django's validator lets them through inside a quoted local part ("a\x07"@x).
            errors[f"{key}.email"] = ["Control characters are not allowed in an email address."]
        else:
            try:
                validate_email(email)
            except ValidationError:
                errors[f"{key}.email"] = ["Enter a valid email address, e.g. noc@example.net."]
            else:
                domain = email.rsplit("@", 1)[1].lower()
                if role == ContactRole.NOC and domain in PERSONAL_MAIL_DOMAINS:
                    errors[f"{key}.email"] = [
                        f"The NOC email must be at your organisation's domain; personal mailboxes "
                        f"such as @{domain} are not accepted by Microsoft's peering policy."
                    ]
        if phone and not PHONE_RE.fullmatch(phone):
            errors[f"{key}.phone"] = [
                "Enter a phone number of digits, spaces and + ( ) . -, e.g. +1 206 555 0100."
            ]
        rows.append({"role": role, "email": email, "phone": phone})
    if not rows:
        errors["contacts"] = ["Add at least one contact; a NOC email is expected."]
    elif len(rows) > MAX_CONTACTS:
        errors["contacts"] = [f"Add at most {MAX_CONTACTS} contacts."]
    elif not any(row["role"] == ContactRole.NOC and row["email"] for row in rows):
        errors["contacts"] = ["Add a NOC contact with an email address: Microsoft writes to it."]
    return rows, errors


def _contacts_store(
    peer_asn: PeerAsn,
    rows: list[dict],
    *,
    user,
    display: str,
    message: str,
    status: str = ActivityStatus.SUCCEEDED,
) -> None:
    """Write a Peer ASN's cleaned contact rows and log the write: associating and updating
    contacts both end here (updating deletes the old rows first)."""
    PeerContact.objects.bulk_create(PeerContact(peer_asn=peer_asn, **row) for row in rows)
    activity_about(
        peer_asn,
        user=user,
        operation=OPERATION_WRITE,
        display=display,
        status=status,
        message=message,
    )


def peer_asn_create(
    *,
    user,
    subscription: Subscription,
    name: str,
    peer_asn: object,
    peer_name: str,
    contacts: Iterable[Mapping[str, str]],
) -> PeerAsn:
    """Associate a peer ASN with a subscription. It starts Pending until an operator decides."""
    ensure_can_write(user=user, subscription=subscription)
    name = str(name or "").strip()
    peer_name = str(peer_name or "").strip()
    asn: int | None = None

    errors = arm_name_errors(name)
    try:
        asn = validate_public_asn(peer_asn)
    except ValidationError as exc:
        errors["peer_asn"] = exc.messages
    try:
        validate_plain_text(peer_name)
        if not PEER_NAME_RE.fullmatch(peer_name):
            raise ValidationError(
                "Enter your company name as in PeeringDB (1–100 characters: letters, digits, "
                "spaces and . , & ' ( ) / + -)."
            )
    except ValidationError as exc:
        errors["peer_name"] = exc.messages
    rows, contact_errors = _clean_contacts(contacts)
    errors.update(contact_errors)

    if (
        "name" not in errors
        and PeerAsn.objects.filter(subscription=subscription, name__iexact=name).exists()
    ):
        errors["name"] = [f"A Peer ASN named '{name}' already exists in this subscription."]
    if asn is not None and "peer_asn" not in errors:
        existing = PeerAsn.objects.filter(subscription=subscription, peer_asn=asn).first()
        if existing is not None:
            errors["peer_asn"] = [
                f"AS{asn} is already associated with this subscription as '{existing.name}'."
            ]

    def write() -> PeerAsn:
        record = PeerAsn.objects.create(
            subscription=subscription,
            name=name,
            peer_asn=asn,
            peer_name=peer_name,
            validation_state=ValidationState.PENDING,
            created_by=user,
        )
        _contacts_store(
            record,
            rows,
            user=user,
            display="Associate Peer ASN",
            status=ActivityStatus.ACCEPTED,
            message=f"AS{asn} submitted for validation; state Pending.",
        )
        return record

    # A concurrent request may take the name or the ASN between the checks and the insert.
    return create_unless_refused(
        errors,
        write,
        race={"name": ["This name or ASN was just associated by another request; reload."]},
    )


def _peer_asn_link(peer_asn: PeerAsn) -> str:
    return reverse("peering:peer_asn_detail", args=[peer_asn.subscription_id, peer_asn.name])


def _decide(*, seen: PeerAsn, operator, approve: bool, reason: str) -> PeerAsn:
    """Approve or reject `seen`, the Peer ASN as the operator saw it.

    The row is locked and its state compared with the one the operator saw: two operators
    deciding at once (or one deciding from a stale page) get one decision and one refusal.
    """
    seen_state = seen.validation_state
    if not (operator and operator.is_active and operator.is_staff):
        raise PermissionDenied("Only Microsoft operators can validate Peer ASNs.")
    reason = str(reason or "").strip()
    if not approve:
        reason = clean_message(
            reason,
            field="reason",
            max_length=1000,
            missing="Give the reason; the peer sees it as the error.",
            too_long="Keep the reason under 1000 characters.",
        )
    with transaction.atomic():
        peer_asn = (
            PeerAsn.objects.select_for_update(of=("self",))
            .select_related("subscription")
            .get(pk=seen.pk)
        )
        if peer_asn.validation_state != seen_state:
            raise ValidationError(
                f"{peer_asn.name} changed from {seen_state} to "
                f"{peer_asn.validation_state} since you loaded it; reload and decide again."
            )
        allowed = (
            {ValidationState.NONE, ValidationState.PENDING, ValidationState.FAILED}
            if approve
            else {ValidationState.NONE, ValidationState.PENDING, ValidationState.APPROVED}
        )
        if peer_asn.validation_state not in allowed:
            raise ValidationError(
                f"{peer_asn.name} is already {peer_asn.validation_state}; nothing to do."
            )
        if not approve and peer_asn.peerings.exists():
            raise ValidationError(
                f"{peer_asn.name} is used by peerings; it cannot be failed while they exist."
            )
        peer_asn.validation_state = ValidationState.APPROVED if approve else ValidationState.FAILED
        peer_asn.error_message = "" if approve else reason
        peer_asn.decided_at = timezone.now()
        peer_asn.decided_by = operator
        peer_asn.save(
            update_fields=["validation_state", "error_message", "decided_at", "decided_by"]
        )
        outcome = "approved" if approve else "rejected"
        activity_about(
            peer_asn,
            user=operator,
            operation=OPERATION_VALIDATE,
            display="Validate Peer ASN",
            status=ActivityStatus.SUCCEEDED if approve else ActivityStatus.FAILED,
            message=(
                f"AS{peer_asn.peer_asn} {outcome} by Microsoft."
                + ("" if approve else f" Reason: {reason}")
            ),
        )
        recipients = peer_asn.contact_emails
        milestone(
            subscription=peer_asn.subscription,
            title=f"Peer ASN {peer_asn.name} (AS{peer_asn.peer_asn}) {outcome}",
            body=(
                "You can now request peerings with this ASN."
                if approve
                else f"Microsoft could not validate this ASN: {reason}"
            ),
            link=_peer_asn_link(peer_asn),
            level=Notification.Level.SUCCESS if approve else Notification.Level.ERROR,
            email_template=(
                "peering/email/peer_asn_approved.txt"
                if approve
                else "peering/email/peer_asn_failed.txt"
            ),
            email_context={"peer_asn": peer_asn, "reason": reason},
            recipients=recipients,
        )
    return peer_asn


def peer_asn_approve(*, peer_asn: PeerAsn, operator) -> PeerAsn:
    """Operator: mark the Peer ASN Approved; notify the subscription and email its contacts.

    `peer_asn` is the object as the operator saw it; if its state has changed since, the
    decision is refused. Returns the updated Peer ASN (the argument is left as it was)."""
    return _decide(seen=peer_asn, operator=operator, approve=True, reason="")


def peer_asn_reject(*, peer_asn: PeerAsn, operator, reason: str) -> PeerAsn:
    """Operator: mark the Peer ASN Failed with the reason as its error message."""
    return _decide(seen=peer_asn, operator=operator, approve=False, reason=reason)


def peer_asn_delete(*, user, peer_asn: PeerAsn) -> None:
    """Remove a Peer ASN association; refused while any peering uses it."""
    ensure_can_write(user=user, subscription=peer_asn.subscription)
    with transaction.atomic():
        locked = PeerAsn.objects.select_for_update(of=("self",)).get(pk=peer_asn.pk)
        names = list(locked.peerings.order_by("name").values_list("name", flat=True)[:5])
        if names:
            raise ValidationError(
                f"{locked.name} is used by peering(s) {', '.join(names)} and cannot be deleted. "
                "Deprovision those peerings first."
            )
        resource_id = locked.resource_id
        locked.delete()
        activity_record(
            subscription=peer_asn.subscription,
            user=user,
            operation=OPERATION_DELETE,
            operation_display="Delete Peer ASN",
            resource_id=resource_id,
        )


def peer_asn_create_or_update(
    *, user, subscription: Subscription, data: PeerAsnInput
) -> tuple[PeerAsn, bool]:
    """ARM PUT of a Peer ASN: associate it (`peer_asn_create`, Pending until an operator
    decides), or update the one of that name. Its ASN and company name cannot change once
    associated (Microsoft validated them; delete and associate again); its contacts are
    replaced, with the same rules. Returns (peer ASN, created)."""
    ensure_can_write(user=user, subscription=subscription)
    contacts = [c.model_dump() for c in data.peer_contact_detail]
    name = str(data.name or "").strip()
    existing = (
        PeerAsn.objects.filter(subscription=subscription, name__iexact=name).first()
        if name
        else None
    )
    if existing is None:
        record = peer_asn_create(
            user=user,
            subscription=subscription,
            name=name,
            peer_asn=data.peer_asn,
            peer_name=data.peer_name,
            contacts=contacts,
        )
        return record, True
    errors: dict[str, list[str]] = {}
    if data.peer_asn is not None and data.peer_asn != existing.peer_asn:
        errors["peer_asn"] = [
            f"{existing.name} is AS{existing.peer_asn}; the ASN of a Peer ASN cannot be changed. "
            "Delete it and associate the new ASN."
        ]
    if data.peer_name and data.peer_name.strip() != existing.peer_name:
        errors["peer_name"] = [
            f"The company name of {existing.name} cannot be changed (it is "
            f"{existing.peer_name}); ask Microsoft's peering team."
        ]
    rows, contact_errors = _clean_contacts(contacts)
    errors.update(contact_errors)
    if errors:
        raise ValidationError(errors)
    current = [
        {"role": c.role, "email": c.email, "phone": c.phone} for c in existing.contacts.all()
    ]
    if rows != current:
        with transaction.atomic():
            existing.contacts.all().delete()
            _contacts_store(
                existing,
                rows,
                user=user,
                display="Update Peer ASN contacts",
                message=f"{len(current)} → {len(rows)} contact(s).",
            )
    return existing, False
