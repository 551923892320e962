"""URLs of the portal shell (app namespace `portal`).

Resource groups keep the ARM path shape (/subscriptions/<id>/resourceGroups/<name>/) so that a
resource id pasted from the activity log or the API leads to the same object in the portal.
"""

from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("switch-subscription/", views.switch_subscription, name="switch_subscription"),
    path("notifications/", views.notifications, name="notifications"),
    path("resource-groups/", views.resource_group_list, name="resource_group_list"),
    path("resource-groups/create/", views.resource_group_create, name="resource_group_create"),
    path(
        "subscriptions/<uuid:subscription_id>/resourceGroups/<str:name>/",
        views.resource_group_detail,
        name="resource_group_detail",
    ),
    path("activity-log/", views.activity_log, name="activity_log"),
    path("healthz", views.healthz, name="healthz"),
]
