"""`operations.list`: what Microsoft.Peering can do, in the names the Activity log uses."""

from django.http import HttpRequest
from ninja import Router

from peering.api.paging import arm_page
from peering.api.routing import arm, arm_json

router = Router(tags=["Operations"])

RESOURCES = {
    "peerAsns": "Peer ASN",
    "peerings": "Peering",
    "peerings/registeredAsns": "Registered ASN",
    "peerings/registeredPrefixes": "Registered prefix",
    "peeringServices": "Peering Service",
    "peeringServices/prefixes": "Peering Service prefix",
}
READ_ONLY = {
    "peerings/receivedRoutes": "Received routes",
    "legacyPeerings": "Legacy peerings",
    "peeringLocations": "Peering locations",
    "peeringServiceCountries": "Peering Service countries",
    "peeringServiceLocations": "Peering Service locations",
    "peeringServiceProviders": "Peering Service providers",
}


def _operation(name: str, resource: str, verb: str) -> dict:
    return {
        "name": f"Microsoft.Peering/{name}/{verb}",
        "display": {
            "provider": "Microsoft Peering",
            "resource": resource,
            "operation": {"read": "Read", "write": "Create or update", "delete": "Delete"}[verb]
            + f" {resource}",
            "description": f"{verb.capitalize()} {resource} resources.",
        },
        "isDataAction": False,
    }


def all_operations() -> list[dict]:
    rows = [
        _operation(name, label, verb)
        for name, label in RESOURCES.items()
        for verb in ("read", "write", "delete")
    ]
    rows += [_operation(name, label, "read") for name, label in READ_ONLY.items()]
    return rows


@arm(
    router,
    "GET",
    "/providers/Microsoft.Peering/operations",
    operation_id="Operations_List",
    summary="List the operations of Microsoft.Peering",
)
def operations_list(request: HttpRequest):
    """Every operation this API offers, as `Microsoft.Peering/<resource>/<verb>`."""
    return arm_json(arm_page(request, all_operations(), lambda row: row))
