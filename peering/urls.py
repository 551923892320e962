"""URLs of the peering app, shaped like ARM resource ids so that an id pasted from the Activity
log or the API leads to the same object in the portal.

Four namespaces, one per area: `peering` (Peer ASNs, peerings and their connections), `wizard`
(Create a Peering, at /peerings/create/), `registered` (a peering's Registered ASNs, Registered
prefixes and Received routes) and `peering_services` (the customer's Peering Services).
"""

from django.urls import include, path

from peering.views import (
    connections,
    peer_asns,
    peering_services,
    peerings,
    registered,
    wizard,
)
from portal.validators import register_arm_converter

# Names in URLs follow the ARM rule: a longer or odd one answers 404 before any query.
register_arm_converter()

PEER_ASN = "subscriptions/<uuid:subscription_id>/providers/Microsoft.Peering/peerAsns/<arm:name>/"
PEERING = (
    "subscriptions/<uuid:subscription_id>/resourceGroups/<arm:resource_group>"
    "/providers/Microsoft.Peering/peerings/<arm:name>/"
)
CONNECTION = f"{PEERING}connections/<uuid:connection_id>/"
ASNS = f"{PEERING}registeredAsns/"
ASN = f"{ASNS}<arm:asn_name>/"
PREFIXES = f"{PEERING}registeredPrefixes/"
PREFIX = f"{PREFIXES}<arm:prefix_name>/"
SERVICE = (
    "subscriptions/<uuid:subscription_id>/resourceGroups/<arm:resource_group>"
    "/providers/Microsoft.Peering/peeringServices/<arm:name>/"
)
SERVICE_PREFIX = f"{SERVICE}prefixes/<arm:prefix_name>/"

peering_patterns = [
    path("peer-asns/", peer_asns.peer_asn_list, name="peer_asn_list"),
    path("peer-asns/create/", peer_asns.peer_asn_create, name="peer_asn_create"),
    path(
        "peer-asns/create/contact-row/",
        peer_asns.peer_asn_contact_row,
        name="peer_asn_contact_row",
    ),
    path(PEER_ASN, peer_asns.peer_asn_detail, name="peer_asn_detail"),
    path(f"{PEER_ASN}delete/", peer_asns.peer_asn_delete, name="peer_asn_delete"),
    path("peerings/", peerings.peering_list, name="peering_list"),
    path(PEERING, peerings.peering_detail, name="peering_detail"),
    path(f"{PEERING}asn/", peerings.peering_asn, name="peering_asn"),
    path(f"{PEERING}connections/", connections.peering_connections, name="peering_connections"),
    path(
        f"{PEERING}connections/add/",
        connections.peering_connection_add,
        name="peering_connection_add",
    ),
    path(CONNECTION, connections.peering_connection, name="peering_connection"),
    path(f"{CONNECTION}edit/", connections.peering_connection_edit, name="peering_connection_edit"),
    path(
        f"{CONNECTION}delete/",
        connections.peering_connection_delete,
        name="peering_connection_delete",
    ),
    path(
        f"{CONNECTION}peering-service/",
        connections.peering_connection_peering_service,
        name="peering_connection_peering_service",
    ),
    path(f"{PEERING}tags/", peerings.peering_tags, name="peering_tags"),
    path(f"{PEERING}activity/", peerings.peering_activity_log, name="peering_activity"),
    path(f"{PEERING}deprovision/", peerings.peering_deprovision, name="peering_deprovision"),
]

wizard_patterns = [
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
        "deployments/<uuid:subscription_id>/<arm:resource_group>/<arm:name>/",
        wizard.deployment,
        name="deployment",
    ),
    path("<slug:tab>/", wizard.tab, name="tab"),
]

registered_patterns = [
    path(ASNS, registered.asn_list, name="asn_list"),
    path(f"{ASNS}add/", registered.asn_add, name="asn_add"),
    path(f"{ASN}rotate/", registered.asn_rotate, name="asn_rotate"),
    path(f"{ASN}delete/", registered.asn_delete, name="asn_delete"),
    path(PREFIXES, registered.prefix_list, name="prefix_list"),
    path(f"{PREFIXES}add/", registered.prefix_add, name="prefix_add"),
    path(PREFIX, registered.prefix_detail, name="prefix_detail"),
    path(f"{PREFIX}revalidate/", registered.prefix_revalidate, name="prefix_revalidate"),
    path(f"{PREFIX}delete/", registered.prefix_delete, name="prefix_delete"),
    path(f"{PEERING}receivedRoutes/", registered.routes, name="routes"),
]

peering_service_patterns = [
    path("peering-services/", peering_services.peering_service_list, name="list"),
    path("peering-services/create/", peering_services.peering_service_create, name="create"),
    path(
        "peering-services/create/discard/",
        peering_services.peering_service_create_discard,
        name="create_discard",
    ),
    path(SERVICE, peering_services.peering_service_detail, name="detail"),
    path(f"{SERVICE}prefixes/", peering_services.peering_service_prefixes, name="prefixes"),
    # Not under prefixes/: a prefix may be named "add".
    path(f"{SERVICE}add-prefix/", peering_services.peering_service_prefix_add, name="prefix_add"),
    path(SERVICE_PREFIX, peering_services.peering_service_prefix_detail, name="prefix_detail"),
    path(
        f"{SERVICE_PREFIX}delete/",
        peering_services.peering_service_prefix_delete,
        name="prefix_delete",
    ),
    path(
        f"{SERVICE_PREFIX}revalidate/",
        peering_services.peering_service_prefix_revalidate,
        name="prefix_revalidate",
    ),
    path(f"{SERVICE}delete/", peering_services.peering_service_delete, name="delete"),
]

urlpatterns = [
    path("peerings/create/", include((wizard_patterns, "wizard"))),
    path("", include((registered_patterns, "registered"))),
    path("", include((peering_service_patterns, "peering_services"))),
    path("", include((peering_patterns, "peering"))),
]
