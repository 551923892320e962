"""URLs of a peering's Registered ASNs, Registered prefixes and Received routes blades
(namespace `registered`), below the peering's ARM-shaped URL."""

from django.urls import path

from peering.views import registered as views

app_name = "registered"

PEERING = (
    "subscriptions/<uuid:subscription_id>/resourceGroups/<str:resource_group>"
    "/providers/Microsoft.Peering/peerings/<str:name>/"
)
ASNS = f"{PEERING}registeredAsns/"
ASN = f"{ASNS}<str:asn_name>/"
PREFIXES = f"{PEERING}registeredPrefixes/"
PREFIX = f"{PREFIXES}<str:prefix_name>/"

urlpatterns = [
    path(ASNS, views.asn_list, name="asn_list"),
    path(f"{ASNS}add/", views.asn_add, name="asn_add"),
    path(f"{ASN}rotate/", views.asn_rotate, name="asn_rotate"),
    path(f"{ASN}delete/", views.asn_delete, name="asn_delete"),
    path(PREFIXES, views.prefix_list, name="prefix_list"),
    path(f"{PREFIXES}add/", views.prefix_add, name="prefix_add"),
    path(PREFIX, views.prefix_detail, name="prefix_detail"),
    path(f"{PREFIX}revalidate/", views.prefix_revalidate, name="prefix_revalidate"),
    path(f"{PREFIX}delete/", views.prefix_delete, name="prefix_delete"),
    path(f"{PEERING}receivedRoutes/", views.routes, name="routes"),
]
