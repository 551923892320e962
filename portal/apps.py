from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Tenancy (subscriptions, resource groups, roles, activity log) and the portal shell."""

    name = "portal"
    verbose_name = "Portal and tenancy"
