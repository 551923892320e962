"""Operations of Microsoft.Peering the portal does not offer: a clear ARM error, never a 500."""

import warnings

from django.http import HttpRequest
from ninja import Router

from peering.api.errors import ArmError
from peering.api.routing import RG, SUB, arm
from portal.selectors import subscription_for_user

router = Router(tags=["Not offered"])

WHY = {
    "lookingGlass": "Looking glass is not offered by this portal; ask Microsoft's peering team "
    "for a traceroute or BGP route lookup.",
    "connectionMonitor": "Connection monitor tests are not offered by this portal.",
    "cdnPeeringPrefixes": "CDN peering prefixes are not offered by this portal.",
    "rpUnbilledPrefixes": "Route-server unbilled prefixes are not offered by this portal.",
}


OPERATIONS = [
    ("POST", f"{SUB}/lookingGlass", "LookingGlass_Invoke", "lookingGlass"),
    ("GET", f"{SUB}/cdnPeeringPrefixes", "CdnPeeringPrefixes_List", "cdnPeeringPrefixes"),
    (
        "POST",
        f"{SUB}/initializeConnectionMonitor",
        "PeeringServices_InitializeConnectionMonitor",
        "connectionMonitor",
    ),
    (
        "GET",
        f"{RG}/peeringServices/{{service_name}}/connectionMonitorTests",
        "ConnectionMonitorTests_ListByPeeringService",
        "connectionMonitor",
    ),
    *(
        (
            method,
            f"{RG}/peeringServices/{{service_name}}/connectionMonitorTests/{{name}}",
            f"ConnectionMonitorTests_{method.capitalize()}",
            "connectionMonitor",
        )
        for method in ("GET", "PUT", "DELETE")
    ),
    (
        "GET",
        f"{RG}/peerings/{{peering_name}}/rpUnbilledPrefixes",
        "RpUnbilledPrefixes_List",
        "rpUnbilledPrefixes",
    ),
]


def _refusal(feature: str):
    def refuse(request: HttpRequest, **path):
        """Always 400 OperationNotSupported, with why (404 for a subscription the caller
        holds no role on, as everywhere)."""
        subscription_for_user(
            user=request.user, subscription_id=request.resolver_match.kwargs["subscription_id"]
        )
        raise ArmError(400, "OperationNotSupported", WHY[feature])

    return refuse


with warnings.catch_warnings():
    # The refusal reads no path parameter; ninja warns about each one it does not see.
    warnings.filterwarnings("ignore", "Field\\(s\\) .* are in the view path", UserWarning)
    for _method, _path, _operation_id, _feature in OPERATIONS:
        arm(
            router,
            _method,
            _path,
            operation_id=_operation_id,
            summary=f"Not offered: {WHY[_feature].split(' is not')[0].split(' are not')[0]}",
        )(_refusal(_feature))
