"""Server-side drafts of the Create a Peering wizard: nothing a user types is lost."""

from django.conf import settings
from django.db import models


class PeeringDraft(models.Model):
    """One user's in-progress Create a Peering wizard, kept until Create or Discard.

    `data` holds the raw values as typed, per tab ("basics", "configuration", "connections"),
    so a rejected value is shown again exactly as entered, next to its message.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="peering_draft"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Peering draft of {self.user}"


class PeeringServiceDraft(models.Model):
    """One user's in-progress "Create a peering service connection", kept until Create or
    Discard, like `PeeringDraft`.

    `data` holds `values` (the Basics and Configuration fields as typed), `rows` (the prefix
    rows as typed, `[index, {name, prefix, prefix_key}]`), the `tab` the user was on and the
    last check's outcome (`check`: errors with a digest of the value each was about).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="peering_service_draft"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Peering Service draft of {self.user}"
