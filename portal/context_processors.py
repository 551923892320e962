"""Context for the portal shell: the subscription switcher and the notification bell."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def shell(request):
    """Lazy values, so pages that do not show the shell (admin, login) pay no queries."""
    from portal.selectors import (
        current_subscription,
        subscription_list_for_user,
        unread_notification_count,
    )

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"portal_name": settings.PORTAL_NAME}
    return {
        "portal_name": settings.PORTAL_NAME,
        "shell_subscriptions": SimpleLazyObject(lambda: subscription_list_for_user(user=user)),
        "current_subscription": SimpleLazyObject(lambda: current_subscription(request)),
        "unread_notifications": SimpleLazyObject(lambda: unread_notification_count(user=user)),
    }
