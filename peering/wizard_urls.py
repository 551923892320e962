"""URLs of the Create a Peering wizard (app namespace `wizard`), included at /peerings/create/."""

from django.urls import path

from peering.views import wizard

app_name = "wizard"
urlpatterns = [
    path("", wizard.start, name="start"),
    path("discard/", wizard.discard, name="discard"),
    path("create/", wizard.create, name="create"),
    path("connection/", wizard.connection, name="connection"),
    path("connection/<int:index>/", wizard.connection, name="connection"),
    path(
        "connection/<int:index>/remove/",
        wizard.connection_remove,
        name="connection_remove",
    ),
    path(
        "deployments/<uuid:subscription_id>/<str:resource_group>/<str:name>/",
        wizard.deployment,
        name="deployment",
    ),
    path("<slug:tab>/", wizard.tab, name="tab"),
]
