"""URLs of the peering app, shaped like ARM resource ids so that an id pasted from the Activity
log or the API leads to the same object in the portal.

Four namespaces, one per area: `peering` (Peer ASNs, peerings and their connections), `wizard`
(Create a Peering, at /peerings/create/), `registered` (a peering's Registered ASNs, Registered
prefixes and Received routes) and `peering_services` (the customer's Peering Services).
"""

from django.urls import include, path

from peering.views import connections, peer_asns, peerings, registered, wizard
from peering.views import peering_services as services
from portal.links import view_paths
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

# Route → view, per namespace; each URL is named as its view is (`view_paths`), less the
# namespace's prefix.
peering_patterns = view_paths(
    {
        "peer-asns/": peer_asns.peer_asn_list,
        "peer-asns/create/": peer_asns.peer_asn_create,
        "peer-asns/create/contact-row/": peer_asns.peer_asn_contact_row,
        PEER_ASN: peer_asns.peer_asn_detail,
        f"{PEER_ASN}delete/": peer_asns.peer_asn_delete,
        "peerings/": peerings.peering_list,
        PEERING: peerings.peering_detail,
        f"{PEERING}asn/": peerings.peering_asn,
        f"{PEERING}connections/": connections.peering_connections,
        f"{PEERING}connections/add/": connections.peering_connection_add,
        CONNECTION: connections.peering_connection,
        f"{CONNECTION}edit/": connections.peering_connection_edit,
        f"{CONNECTION}delete/": connections.peering_connection_delete,
        f"{CONNECTION}peering-service/": connections.peering_connection_peering_service,
        f"{PEERING}tags/": peerings.peering_tags,
        f"{PEERING}deprovision/": peerings.peering_deprovision,
    }
) + [
    # The one URL not named as its view (`peering_activity` is the selector's name).
    path(f"{PEERING}activity/", peerings.peering_activity_log, name="peering_activity"),
]

wizard_patterns = view_paths(
    {
        "": wizard.start,
        "discard/": wizard.discard,
        "create/": wizard.create,
        "connection/": wizard.connection,
        "connection/<int:index>/": wizard.connection,
        "connection/<int:index>/remove/": wizard.connection_remove,
        "deployments/<uuid:subscription_id>/<arm:resource_group>/<arm:name>/": wizard.deployment,
        "<slug:tab>/": wizard.tab,
    }
)

registered_patterns = view_paths(
    {
        ASNS: registered.asn_list,
        f"{ASNS}add/": registered.asn_add,
        f"{ASN}rotate/": registered.asn_rotate,
        f"{ASN}delete/": registered.asn_delete,
        PREFIXES: registered.prefix_list,
        f"{PREFIXES}add/": registered.prefix_add,
        PREFIX: registered.prefix_detail,
        f"{PREFIX}revalidate/": registered.prefix_revalidate,
        f"{PREFIX}delete/": registered.prefix_delete,
        f"{PEERING}receivedRoutes/": registered.routes,
    }
)

peering_service_patterns = view_paths(
    {
        "peering-services/": services.peering_service_list,
        "peering-services/create/": services.peering_service_create,
        "peering-services/create/discard/": services.peering_service_create_discard,
        SERVICE: services.peering_service_detail,
        f"{SERVICE}prefixes/": services.peering_service_prefixes,
        # Not under prefixes/: a prefix may be named "add".
        f"{SERVICE}add-prefix/": services.peering_service_prefix_add,
        SERVICE_PREFIX: services.peering_service_prefix_detail,
        f"{SERVICE_PREFIX}delete/": services.peering_service_prefix_delete,
        f"{SERVICE_PREFIX}revalidate/": services.peering_service_prefix_revalidate,
        f"{SERVICE}delete/": services.peering_service_delete,
    },
    strip="peering_service_",
)

urlpatterns = [
    path("peerings/create/", include((wizard_patterns, "wizard"))),
    path("", include((registered_patterns, "registered"))),
    path("", include((peering_service_patterns, "peering_services"))),
    path("", include((peering_patterns, "peering"))),
]
