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
