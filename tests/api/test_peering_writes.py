"""Peerings written through the SDK: PUT 201/200, PATCH tags, DELETE → the tracked
deprovisioning request, field errors naming their property path, Reader 403, outsider 404,
and every write in the Activity log with the token's name."""

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.peering import models as m

from peering.enums import ContactRole, ValidationState
from peering.models import DeprovisionRequest, Peering
from portal.models import ActivityLog
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(subscription, region):
    seattle = factories.PeeringLocationFactory(name="Seattle")
    factories.DirectFacilityFactory(
        location=seattle, name="Equinix SE2", peeringdb_facility_id=1234
    )
    factories.ResourceGroupFactory(subscription=subscription, name="rg-peering", region=region)
    peer_asn = factories.PeerAsnFactory(
        subscription=subscription,
        name="contoso-asn",
        peer_asn=13335,
        validation_state=ValidationState.APPROVED,
    )
    factories.PeerContactFactory(peer_asn=peer_asn, role=ContactRole.NOC, email="noc@contoso.net")
    return subscription


def edge_peering(subscription, *, facility=1234, tags=None) -> m.Peering:
    return m.Peering(
        kind="Direct",
        location="eastus",
        sku=m.PeeringSku(name="Basic_Direct_Free"),
        tags=tags or {"env": "prod"},
        properties=m.PeeringProperties(
            peering_location="Seattle",
            direct=m.PeeringPropertiesDirect(
                direct_peering_type="Edge",
                peer_asn=m.SubResource(
                    id=f"/subscriptions/{subscription.pk}/providers/Microsoft.Peering/peerAsns/contoso-asn"
                ),
                connections=[
                    m.DirectConnection(
                        peering_db_facility_id=facility,
                        session_address_provider="Peer",
                        bandwidth_in_mbps=10000,
                        bgp_session=m.BgpSession(
                            session_prefix_v4="192.0.2.0/31", max_prefixes_advertised_v4=1000
                        ),
                    )
                ],
            ),
        ),
    )


def test_put_creates_then_updates(sdk, world):
    created = sdk.peerings.create_or_update("rg-peering", "contoso-sea", edge_peering(world))
    assert created.name == "contoso-sea"
    connection = created.properties.direct.connections[0]
    assert connection.connection_state == "PendingApproval"
    assert connection.bgp_session.peer_session_i_pv4_address == "192.0.2.0"
    assert connection.bgp_session.microsoft_session_i_pv4_address == "192.0.2.1"
    peering = Peering.objects.get(name="contoso-sea")

    # Send it back as read, with new tags: an update (200), the same connection kept.
    again = sdk.peerings.get("rg-peering", "contoso-sea")
    again.tags = {"env": "test"}
    updated = sdk.peerings.create_or_update("rg-peering", "contoso-sea", again)
    assert updated.tags == {"env": "test"}
    assert updated.properties.direct.connections[0].connection_identifier == (
        connection.connection_identifier
    )
    assert Peering.objects.get().pk == peering.pk


def test_put_status_codes(arm, world):
    import json

    body = edge_peering(world).as_dict()
    path = (
        f"/subscriptions/{world.pk}/resourceGroups/rg-peering"
        "/providers/Microsoft.Peering/peerings/p1"
    )
    first = arm(
        "PUT",
        path,
        query="api-version=2025-05-01",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert first.status_code == 201
    second = arm(
        "PUT",
        path,
        query="api-version=2025-05-01",
        data=json.dumps(first.json()),
        content_type="application/json",
    )
    assert second.status_code == 200


def test_field_error_names_its_property_path(sdk, world):
    with pytest.raises(HttpResponseError) as caught:
        sdk.peerings.create_or_update("rg-peering", "p1", edge_peering(world, facility=777))
    error = caught.value.error
    assert caught.value.status_code == 400
    assert error.code == "InvalidRequestContent"
    targets = [d.target for d in error.details]
    assert "properties.direct.connections[0].peeringDBFacilityId" in targets
    assert not Peering.objects.exists()


def test_bad_name_in_path_is_400_on_name(sdk, world):
    with pytest.raises(HttpResponseError) as caught:
        sdk.peerings.create_or_update("rg-peering", "bad name", edge_peering(world))
    assert caught.value.status_code == 400
    assert "name" in [d.target for d in caught.value.error.details]


def test_missing_resource_group_is_404(sdk, world):
    with pytest.raises(ResourceNotFoundError) as caught:
        sdk.peerings.create_or_update("rg-nope", "p1", edge_peering(world))
    assert caught.value.error.code == "ResourceGroupNotFound"


def test_patch_replaces_tags(sdk, world):
    sdk.peerings.create_or_update("rg-peering", "p1", edge_peering(world))
    patched = sdk.peerings.update("rg-peering", "p1", m.ResourceTags(tags={"owner": "noc"}))
    assert patched.tags == {"owner": "noc"}
    assert Peering.objects.get().tags == {"owner": "noc"}


def test_delete_opens_the_deprovisioning_request(sdk, world):
    sdk.peerings.create_or_update("rg-peering", "p1", edge_peering(world))
    sdk.peerings.delete("rg-peering", "p1")
    request = DeprovisionRequest.objects.get()
    assert request.state == DeprovisionRequest.State.REQUESTED
    assert "automation" in request.reason
    sdk.peerings.delete("rg-peering", "p1")  # idempotent while the request is open
    assert DeprovisionRequest.objects.count() == 1
    sdk.peerings.delete("rg-peering", "never-existed")  # 204


def test_every_write_is_logged_with_the_token_name(sdk, world):
    sdk.peerings.create_or_update("rg-peering", "p1", edge_peering(world))
    sdk.peerings.update("rg-peering", "p1", m.ResourceTags(tags={"a": "b"}))
    sdk.peerings.delete("rg-peering", "p1")
    rows = list(ActivityLog.objects.filter(resource_id__icontains="/peerings/p1"))
    assert rows
    assert all(row.caller == "owner (API token 'automation')" for row in rows)
    operations = {row.operation for row in rows}
    assert "Microsoft.Peering/peerings/write" in operations


def test_reader_write_is_403_and_writes_nothing(reader_sdk, world):
    for call in (
        lambda: reader_sdk.peerings.create_or_update("rg-peering", "p1", edge_peering(world)),
        lambda: reader_sdk.peerings.delete("rg-peering", "p1"),
    ):
        with pytest.raises(HttpResponseError) as caught:
            call()
        assert caught.value.status_code == 403
        assert caught.value.error.code == "AuthorizationFailed"
    assert not Peering.objects.exists()


def test_outsider_write_is_404(outsider_sdk, sdk, world):
    sdk.peerings.create_or_update("rg-peering", "p1", edge_peering(world))
    for call in (
        lambda: outsider_sdk.peerings.create_or_update("rg-peering", "p2", edge_peering(world)),
        lambda: outsider_sdk.peerings.update("rg-peering", "p1", m.ResourceTags(tags={})),
        lambda: outsider_sdk.peerings.delete("rg-peering", "p1"),
    ):
        with pytest.raises(ResourceNotFoundError):
            call()
    assert Peering.objects.get().tags == {"env": "prod"}
    assert not DeprovisionRequest.objects.exists()
