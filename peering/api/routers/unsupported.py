"""Operations of Microsoft.Peering the portal does not offer: a clear ARM error, never a 500."""

from django.http import HttpRequest
from ninja import Router

from peering.api.errors import ArmError
from peering.api.routing import RG, SUB, arm

router = Router(tags=["Not offered"])

WHY = {
    "lookingGlass": "Looking glass is not offered by this portal; ask Microsoft's peering team "
    "for a traceroute or BGP route lookup.",
    "connectionMonitor": "Connection monitor tests are not offered by this portal.",
    "cdnPeeringPrefixes": "CDN peering prefixes are not offered by this portal.",
    "rpUnbilledPrefixes": "Route-server unbilled prefixes are not offered by this portal.",
}


def _refuse(feature: str):
    raise ArmError(400, "OperationNotSupported", WHY[feature])


@arm(
    router,
    "POST",
    f"{SUB}/lookingGlass",
    operation_id="LookingGlass_Invoke",
    summary="Not offered: looking glass",
)
def looking_glass(request: HttpRequest, subscription_id: str):
    """Always 400 OperationNotSupported."""
    _refuse("lookingGlass")


@arm(
    router,
    "GET",
    f"{SUB}/cdnPeeringPrefixes",
    operation_id="CdnPeeringPrefixes_List",
    summary="Not offered: CDN peering prefixes",
)
def cdn_prefixes(request: HttpRequest, subscription_id: str):
    """Always 400 OperationNotSupported."""
    _refuse("cdnPeeringPrefixes")


@arm(
    router,
    "POST",
    f"{SUB}/initializeConnectionMonitor",
    operation_id="PeeringServices_InitializeConnectionMonitor",
    summary="Not offered: connection monitor",
)
def initialize_connection_monitor(request: HttpRequest, subscription_id: str):
    """Always 400 OperationNotSupported."""
    _refuse("connectionMonitor")


@arm(
    router,
    "GET",
    f"{RG}/peeringServices/{{service_name}}/connectionMonitorTests",
    operation_id="ConnectionMonitorTests_ListByPeeringService",
    summary="Not offered: connection monitor tests",
)
def connection_monitor_tests_list(
    request: HttpRequest, subscription_id: str, resource_group: str, service_name: str
):
    """Always 400 OperationNotSupported."""
    _refuse("connectionMonitor")


for _method in ("GET", "PUT", "DELETE"):

    @arm(
        router,
        _method,
        f"{RG}/peeringServices/{{service_name}}/connectionMonitorTests/{{name}}",
        operation_id=f"ConnectionMonitorTests_{_method.capitalize()}",
        summary="Not offered: connection monitor test",
    )
    def connection_monitor_test(
        request: HttpRequest,
        subscription_id: str,
        resource_group: str,
        service_name: str,
        name: str,
    ):
        """Always 400 OperationNotSupported."""
        _refuse("connectionMonitor")


@arm(
    router,
    "GET",
    f"{RG}/peerings/{{peering_name}}/rpUnbilledPrefixes",
    operation_id="RpUnbilledPrefixes_List",
    summary="Not offered: route-server unbilled prefixes",
)
def rp_unbilled_prefixes(
    request: HttpRequest, subscription_id: str, resource_group: str, peering_name: str
):
    """Always 400 OperationNotSupported."""
    _refuse("rpUnbilledPrefixes")
