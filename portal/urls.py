"""Root URL configuration: the portal shell, the peering blades, auth and the operators' admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views
from portal.links import view_paths
from portal.validators import register_arm_converter

# Names in URLs follow the ARM rule: a longer or odd one answers 404 before any query.
register_arm_converter()

# The portal shell (namespace `portal`). Resource groups keep the ARM path shape
# (/subscriptions/<id>/resourceGroups/<name>/), like every resource of the peering app.
RESOURCE_GROUP = "subscriptions/<uuid:subscription_id>/resourceGroups/<arm:name>/"
portal_patterns = view_paths(
    {
        "": views.home,
        "switch-subscription/": views.switch_subscription,
        "notifications/": views.notifications,
        "resource-groups/": views.resource_group_list,
        "resource-groups/create/": views.resource_group_create,
        RESOURCE_GROUP: views.resource_group_detail,
        "activity-log/": views.activity_log,
        "healthz": views.healthz,
        "api-tokens/": views.api_tokens,
        "api-tokens/<int:token_id>/revoke/": views.api_token_revoke,
    }
)

# A database lost outside a view (in a middleware) answers 503 like one lost inside it.
handler500 = "portal.middleware.server_error"

admin.site.site_header = "Peering Portal — Microsoft operators"
admin.site.site_title = "Peering operators"
admin.site.index_title = "Operations"

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("", include("peering.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("arm/", include("peering.api.urls")),
]
