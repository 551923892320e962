"""Role checks, once. Owner and Contributor may write; a Reader may only read.

Services call `ensure_can_write` before any change; views ask `can_write` whether to offer write
controls (the gate itself is in the selector or service, never only in a template). The
tenancy-scoped reads that use these checks are in `portal.selectors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from portal.models import WRITE_ROLES

if TYPE_CHECKING:
    from portal.models import Subscription

User = AbstractBaseUser | AnonymousUser

READER_REFUSAL = "Your role on this subscription (Reader) does not allow changes."
NO_WRITE_REFUSAL = "Your role on this subscription does not allow changes."


def role_can_write(role: str | None) -> bool:
    """Whether a role (an Azure built-in role name, or None for no role) allows changes."""
    return role in WRITE_ROLES


def can_write(subscription: Subscription | None) -> bool:
    """Whether the caller may change resources of a subscription read through a selector
    (`subscription_for_user` sets `user_role` on it)."""
    return role_can_write(getattr(subscription, "user_role", None))


def refuse_reader(role: str | None) -> None:
    """PermissionDenied (403) for a role that may not write."""
    if not role_can_write(role):
        raise PermissionDenied(READER_REFUSAL)


def ensure_can_write(*, user: User, subscription: Subscription) -> None:
    """Raise PermissionDenied unless the user is Owner or Contributor of the subscription."""
    from portal.selectors import role_of  # the request's cached roles; selectors import this

    if not user.is_authenticated or role_of(user=user, subscription_id=subscription.pk) not in (
        WRITE_ROLES
    ):
        raise PermissionDenied(NO_WRITE_REFUSAL)
