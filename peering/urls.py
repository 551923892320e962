"""URLs of the peering blades (app namespace `peering`), shaped like ARM resource ids."""

from django.urls import path

from peering import views

app_name = "peering"

PEER_ASN = "subscriptions/<uuid:subscription_id>/providers/Microsoft.Peering/peerAsns/<str:name>/"
PEERING = (
    "subscriptions/<uuid:subscription_id>/resourceGroups/<str:resource_group>"
    "/providers/Microsoft.Peering/peerings/<str:name>/"
)

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
]
