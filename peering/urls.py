"""URLs of the peering blades (app namespace `peering`), shaped like ARM resource ids."""

from django.urls import path

from peering import views
from peering.views import lifecycle

app_name = "peering"

PEER_ASN = "subscriptions/<uuid:subscription_id>/providers/Microsoft.Peering/peerAsns/<str:name>/"
PEERING = (
    "subscriptions/<uuid:subscription_id>/resourceGroups/<str:resource_group>"
    "/providers/Microsoft.Peering/peerings/<str:name>/"
)
CONNECTION = f"{PEERING}connections/<uuid:connection_id>/"

urlpatterns = [
    path("peer-asns/", views.peer_asn_list, name="peer_asn_list"),
    path("peer-asns/create/", views.peer_asn_create, name="peer_asn_create"),
    path(
        "peer-asns/create/contact-row/",
        views.peer_asn_contact_row,
        name="peer_asn_contact_row",
    ),
    path(PEER_ASN, views.peer_asn_detail, name="peer_asn_detail"),
    path(f"{PEER_ASN}delete/", views.peer_asn_delete, name="peer_asn_delete"),
    path("peerings/", views.peering_list, name="peering_list"),
    path(PEERING, views.peering_detail, name="peering_detail"),
    path(f"{PEERING}asn/", lifecycle.peering_asn, name="peering_asn"),
    path(f"{PEERING}connections/", lifecycle.peering_connections, name="peering_connections"),
    path(
        f"{PEERING}connections/add/",
        lifecycle.peering_connection_add,
        name="peering_connection_add",
    ),
    path(CONNECTION, lifecycle.peering_connection, name="peering_connection"),
    path(f"{CONNECTION}edit/", lifecycle.peering_connection_edit, name="peering_connection_edit"),
    path(
        f"{CONNECTION}delete/",
        lifecycle.peering_connection_delete,
        name="peering_connection_delete",
    ),
    path(
        f"{CONNECTION}peering-service/",
        lifecycle.peering_connection_peering_service,
        name="peering_connection_peering_service",
    ),
    path(f"{PEERING}tags/", lifecycle.peering_tags, name="peering_tags"),
    path(f"{PEERING}activity/", lifecycle.peering_activity_log, name="peering_activity"),
    path(f"{PEERING}deprovision/", lifecycle.peering_deprovision, name="peering_deprovision"),
]
