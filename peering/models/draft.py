"""Server-side drafts of the portal's wizards: nothing a user types is lost."""

from django.conf import settings
from django.db import models


class WizardDraft(models.Model):
    """What a wizard keeps per user until Create or Discard: `data`, the raw values as typed
    (so a rejected value is shown again exactly as entered, next to its message)."""

    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PeeringDraft(WizardDraft):
    """One user's in-progress Create a Peering wizard.

    `data` holds the values per tab ("basics", "configuration", "connections"), the tab the
    user was on and a rejected connection row (`peering.services.wizard`).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="peering_draft"
    )

    def __str__(self) -> str:
        return f"Peering draft of {self.user}"


class PeeringServiceDraft(WizardDraft):
    """One user's in-progress "Create a peering service connection".

    `data` holds `values` (the Basics and Configuration fields as typed), `rows` (the prefix
    rows as typed, `[index, {name, prefix, prefix_key}]`), the `tab` the user was on and the
    last check's outcome (`check`: errors with a digest of the value each was about).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="peering_service_draft"
    )

    def __str__(self) -> str:
        return f"Peering Service draft of {self.user}"
