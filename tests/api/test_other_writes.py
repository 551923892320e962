"""Writes of Peer ASNs, registered ASNs and prefixes, Peering Services and prefixes through
the SDK: status codes, errors naming their property, Reader 403, outsider 404."""

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.peering import models as m

from peering.enums import ConnectionState
from peering.models import PeerAsn, PeeringService, PeeringServicePrefix, RegisteredAsn
from portal.models import ActivityLog
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def peer_asn_body(asn=13335, email="noc@contoso.example"):
    return m.PeerAsn(
        properties=m.PeerAsnProperties(
            peer_asn=asn,
            peer_name="Contoso",
            peer_contact_detail=[m.ContactDetail(role="Noc", email=email, phone="+1 206 555 0100")],
        )
    )


def test_peer_asn_put_201_then_200(sdk, subscription):
    created = sdk.peer_asns.create_or_update("contoso", peer_asn_body())
    assert created.properties.validation_state == "Pending"
    assert created.type == "Microsoft.Peering/peerAsns"
    # An update replaces the contacts (200); the ASN itself cannot change.
    again = sdk.peer_asns.create_or_update("contoso", peer_asn_body(email="ops@contoso.example"))
    assert again.id == created.id
    assert [c.email for c in again.properties.peer_contact_detail] == ["ops@contoso.example"]
    with pytest.raises(HttpResponseError) as caught:
        sdk.peer_asns.create_or_update("contoso", peer_asn_body(asn=13336))
    assert caught.value.status_code == 400
    assert caught.value.error.target == "properties.peerAsn"
    assert PeerAsn.objects.get().peer_asn == 13335


def test_peer_asn_field_errors_name_their_path(sdk, subscription):
    with pytest.raises(HttpResponseError) as caught:
        sdk.peer_asns.create_or_update("contoso", peer_asn_body(asn=64512, email="not-an-email"))
    assert caught.value.status_code == 400
    targets = {d.target for d in caught.value.error.details}
    assert "properties.peerAsn" in targets
    assert any(t.startswith("properties.peerContactDetail[0]") for t in targets), targets
    assert not PeerAsn.objects.exists()


def test_peer_asn_delete(sdk, subscription):
    sdk.peer_asns.create_or_update("contoso", peer_asn_body())
    sdk.peer_asns.delete("contoso")
    assert not PeerAsn.objects.exists()
    sdk.peer_asns.delete("contoso")  # 204, no error
    ops = set(ActivityLog.objects.values_list("operation", flat=True))
    assert {"Microsoft.Peering/peerAsns/write", "Microsoft.Peering/peerAsns/delete"} <= ops


def test_peer_asn_in_use_is_409(sdk, subscription):
    peering = factories.PeeringFactory(subscription=subscription)
    with pytest.raises(HttpResponseError) as caught:
        sdk.peer_asns.delete(peering.peer_asn.name)
    assert caught.value.status_code == 409
    assert PeerAsn.objects.filter(pk=peering.peer_asn_id).exists()


def test_reader_and_outsider_cannot_write_peer_asns(reader_sdk, outsider_sdk, subscription):
    with pytest.raises(HttpResponseError) as caught:
        reader_sdk.peer_asns.create_or_update("contoso", peer_asn_body())
    assert caught.value.status_code == 403
    assert caught.value.error.code == "AuthorizationFailed"
    with pytest.raises(ResourceNotFoundError):
        outsider_sdk.peer_asns.create_or_update("contoso", peer_asn_body())
    with pytest.raises(ResourceNotFoundError):
        outsider_sdk.peer_asns.delete("contoso")
    assert not PeerAsn.objects.exists()


@pytest.fixture
def active_peering(subscription, region):
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-ix", region=region)
    peering = factories.PeeringFactory(subscription=subscription, resource_group=group, name="rs")
    factories.PeeringConnectionFactory(peering=peering, connection_state=ConnectionState.ACTIVE)
    return peering


def test_registered_asn_lifecycle(sdk, active_peering):
    body = m.PeeringRegisteredAsn(properties=m.PeeringRegisteredAsnProperties(asn=150010))
    created = sdk.registered_asns.create_or_update("rg-ix", "rs", "fabrikam", body)
    assert created.properties.asn == 150010
    assert created.properties.peering_service_prefix_key
    assert sdk.registered_asns.create_or_update("rg-ix", "rs", "fabrikam", body).properties.asn
    with pytest.raises(HttpResponseError) as caught:
        sdk.registered_asns.create_or_update(
            "rg-ix",
            "rs",
            "fabrikam",
            m.PeeringRegisteredAsn(properties=m.PeeringRegisteredAsnProperties(asn=150011)),
        )
    assert caught.value.status_code == 400
    assert caught.value.error.target == "properties.asn"
    with pytest.raises(HttpResponseError) as caught:
        sdk.registered_asns.create_or_update(
            "rg-ix",
            "rs",
            "other",
            m.PeeringRegisteredAsn(properties=m.PeeringRegisteredAsnProperties(asn=150010)),
        )
    assert caught.value.status_code == 400
    assert caught.value.error.target == "properties.asn"
    sdk.registered_asns.delete("rg-ix", "rs", "fabrikam")
    sdk.registered_asns.delete("rg-ix", "rs", "fabrikam")
    assert not RegisteredAsn.objects.exists()


def test_registered_asn_refused_before_a_connection_is_active(sdk, subscription, region):
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg2", region=region)
    peering = factories.PeeringFactory(subscription=subscription, resource_group=group, name="new")
    factories.PeeringConnectionFactory(peering=peering)
    with pytest.raises(HttpResponseError) as caught:
        sdk.registered_asns.create_or_update(
            "rg2",
            "new",
            "x",
            m.PeeringRegisteredAsn(properties=m.PeeringRegisteredAsnProperties(asn=150020)),
        )
    assert caught.value.status_code == 400
    assert "Active" in caught.value.error.message


def test_registered_prefix_lifecycle(sdk, subscription, region):
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-isp", region=region)
    peering = factories.PeeringFactory(
        subscription=subscription, resource_group=group, name="isp", direct_peering_type="Edge"
    )
    factories.PeeringConnectionFactory(
        peering=peering, connection_state=ConnectionState.ACTIVE, use_for_peering_service=True
    )
    body = m.PeeringRegisteredPrefix(
        properties=m.PeeringRegisteredPrefixProperties(prefix="45.99.1.0/24")
    )
    created = sdk.registered_prefixes.create_or_update("rg-isp", "isp", "block", body)
    assert created.properties.prefix == "45.99.1.0/24"
    validated = sdk.registered_prefixes.validate("rg-isp", "isp", "block")
    assert validated.properties.prefix_validation_state
    sdk.registered_prefixes.delete("rg-isp", "isp", "block")
    sdk.registered_prefixes.delete("rg-isp", "isp", "block")


def test_registered_writes_tenancy(reader_sdk, outsider_sdk, active_peering):
    body = m.PeeringRegisteredAsn(properties=m.PeeringRegisteredAsnProperties(asn=150010))
    with pytest.raises(HttpResponseError) as caught:
        reader_sdk.registered_asns.create_or_update("rg-ix", "rs", "fabrikam", body)
    assert caught.value.status_code == 403
    with pytest.raises(ResourceNotFoundError):
        outsider_sdk.registered_asns.create_or_update("rg-ix", "rs", "fabrikam", body)
    assert not RegisteredAsn.objects.exists()


@pytest.fixture
def customer(subscription, region):
    factories.ResourceGroupFactory(subscription=subscription, name="rg-cust", region=region)
    provider = factories.PeeringServiceProviderFactory(name="Contoso IX", asn=59999)
    factories.PeeringServiceProviderLocationFactory(provider=provider, name="Seattle")
    factories.PeeringServiceLocationFactory(country="United States", state="Washington")
    return provider


def service_body(primary="Seattle"):
    return m.PeeringService(
        location="eastus",
        properties=m.PeeringServiceProperties(
            peering_service_location="Washington",
            peering_service_provider="Contoso IX",
            provider_primary_peering_location=primary,
        ),
    )


def test_peering_service_and_prefix_lifecycle(sdk, customer):
    created = sdk.peering_services.create_or_update("rg-cust", "ps1", service_body())
    assert created.properties.peering_service_provider == "Contoso IX"
    assert sdk.peering_services.create_or_update("rg-cust", "ps1", service_body()).name == "ps1"
    with pytest.raises(HttpResponseError) as caught:
        sdk.peering_services.create_or_update("rg-cust", "ps1", service_body(primary="Ashburn"))
    assert caught.value.status_code == 400
    assert caught.value.error.target == "properties.providerPrimaryPeeringLocation"
    patched = sdk.peering_services.update("rg-cust", "ps1", m.ResourceTags(tags={"a": "b"}))
    assert patched.tags == {"a": "b"}
    assert PeeringService.objects.get().tags == {"a": "b"}
    with pytest.raises(HttpResponseError) as caught:
        sdk.prefixes.create_or_update(
            "rg-cust",
            "ps1",
            "office",
            m.PeeringServicePrefix(
                properties=m.PeeringServicePrefixProperties(
                    prefix="45.60.10.0/24",
                    peering_service_prefix_key="00000000-0000-4000-8000-000000000000",
                )
            ),
        )
    assert caught.value.status_code == 400
    assert caught.value.error.target == "properties.peeringServicePrefixKey"
    assert not PeeringServicePrefix.objects.exists()
    sdk.peering_services.delete("rg-cust", "ps1")
    sdk.peering_services.delete("rg-cust", "ps1")
    assert not PeeringService.objects.exists()


def test_peering_service_errors_name_their_path(sdk, customer):
    with pytest.raises(HttpResponseError) as caught:
        sdk.peering_services.create_or_update("rg-cust", "ps1", service_body(primary="Mars"))
    assert caught.value.status_code == 400
    assert "properties.providerPrimaryPeeringLocation" in {
        d.target for d in caught.value.error.details
    }


def test_prefix_put_and_delete(sdk, customer, subscription):
    service = factories.PeeringServiceFactory(
        subscription=subscription,
        resource_group=subscription.resource_groups.get(),
        name="ps1",
        provider=customer,
    )
    world = factories.provider_world(name="Provider World", provider_asn=59998, customer_asn=150099)
    service.provider = world.provider
    service.save()
    body = m.PeeringServicePrefix(
        properties=m.PeeringServicePrefixProperties(
            prefix="45.60.10.0/24",
            peering_service_prefix_key=str(world.registered.prefix_key),
        )
    )
    created = sdk.prefixes.create_or_update("rg-cust", "ps1", "office", body)
    assert created.type == "Microsoft.Peering/peeringServices/prefixes"
    assert sdk.prefixes.create_or_update("rg-cust", "ps1", "office", body).name == "office"
    sdk.prefixes.delete("rg-cust", "ps1", "office")
    sdk.prefixes.delete("rg-cust", "ps1", "office")
    assert not PeeringServicePrefix.objects.exists()


def test_peering_service_tenancy(reader_sdk, outsider_sdk, customer):
    with pytest.raises(HttpResponseError) as caught:
        reader_sdk.peering_services.create_or_update("rg-cust", "ps1", service_body())
    assert caught.value.status_code == 403
    with pytest.raises(ResourceNotFoundError):
        outsider_sdk.peering_services.create_or_update("rg-cust", "ps1", service_body())
    assert not PeeringService.objects.exists()
