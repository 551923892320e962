"""ARM PUT semantics through the contract for the child resources: create, the same body again
answers the existing resource (not created), and a changed body is refused where the API does
not allow changes."""

import pytest
from django.core.exceptions import ValidationError

from peering.contracts import (
    ContactDetailInput,
    PeerAsnInput,
    PeeringServiceInput,
    PrefixInput,
    RegisteredAsnInput,
    RegisteredPrefixInput,
)
from peering.enums import ContactRole
from peering.models import PeerAsn, PeeringServicePrefix, RegisteredAsn, RegisteredPrefix
from peering.services.peer_asns import peer_asn_create_or_update
from peering.services.peering_services import (
    peering_service_create_or_update,
    peering_service_prefix_create_or_update,
    peering_service_validate,
)
from peering.services.registered import (
    registered_asn_create_or_update,
    registered_prefix_create_or_update,
)
from portal.models import ActivityLog
from tests import factories

pytestmark = pytest.mark.django_db

CUSTOMER_PREFIX = "45.60.10.0/24"


def test_peer_asn_put_creates_then_replaces_contacts(owner, subscription):
    data = PeerAsnInput(
        name="contoso",
        peer_asn=3320,
        peer_name="Contoso",
        peer_contact_detail=[ContactDetailInput(role="Noc", email="noc@contoso.net")],
    )
    record, created = peer_asn_create_or_update(user=owner, subscription=subscription, data=data)
    assert created and record.validation_state == "Pending"
    again, created = peer_asn_create_or_update(user=owner, subscription=subscription, data=data)
    assert not created and again.pk == record.pk
    assert not ActivityLog.objects.filter(operation_display="Update Peer ASN contacts").exists()
    more = data.model_copy(
        update={
            "peer_contact_detail": [
                ContactDetailInput(role="Noc", email="noc@contoso.net"),
                ContactDetailInput(
                    role="Policy", email="policy@contoso.net", phone="+1 206 555 0100"
                ),
            ]
        }
    )
    peer_asn_create_or_update(user=owner, subscription=subscription, data=more)
    assert list(record.contacts.values_list("role", flat=True)) == [
        ContactRole.NOC,
        ContactRole.POLICY,
    ]
    assert ActivityLog.objects.filter(operation_display="Update Peer ASN contacts").count() == 1


def test_peer_asn_put_refuses_a_new_asn_or_contacts_without_noc(owner, subscription):
    data = PeerAsnInput(
        name="contoso",
        peer_asn=3320,
        peer_name="Contoso",
        peer_contact_detail=[ContactDetailInput(role="Noc", email="noc@contoso.net")],
    )
    peer_asn_create_or_update(user=owner, subscription=subscription, data=data)
    with pytest.raises(ValidationError) as info:
        peer_asn_create_or_update(
            user=owner,
            subscription=subscription,
            data=data.model_copy(
                update={
                    "peer_asn": 3321,
                    "peer_contact_detail": [ContactDetailInput(role="Policy", email="p@c.net")],
                }
            ),
        )
    assert {"peer_asn", "contacts"} <= set(info.value.message_dict)
    assert PeerAsn.objects.get().peer_asn == 3320


@pytest.fixture
def world(subscription):
    world = factories.provider_world(subscription=subscription)
    factories.PeerContactFactory(peer_asn=world.peer_asn, email="noc@contoso-ix.example")
    return world


def test_registered_asn_put(owner, world):
    data = RegisteredAsnInput(name="tailspin", asn=150500)
    registered, created = registered_asn_create_or_update(
        user=owner, peering=world.peering, data=data
    )
    assert created and registered.prefix_key
    same, created = registered_asn_create_or_update(user=owner, peering=world.peering, data=data)
    assert not created and same.prefix_key == registered.prefix_key
    with pytest.raises(ValidationError) as info:
        registered_asn_create_or_update(
            user=owner, peering=world.peering, data=RegisteredAsnInput(name="TAILSPIN", asn=150501)
        )
    assert "cannot be changed" in info.value.message_dict["asn"][0]
    assert RegisteredAsn.objects.filter(name__iexact="tailspin").count() == 1


def test_registered_prefix_put(owner, subscription):
    isp = factories.provider_world(
        subscription=subscription,
        name="Kordia Test",
        provider_asn=59998,
        customer_asn=150003,
        direct_peering_type="Edge",
        announce=False,
    )
    data = RegisteredPrefixInput(name="block", prefix="45.70.0.0/16")
    registered, created = registered_prefix_create_or_update(
        user=owner, peering=isp.peering, data=data
    )
    assert created and registered.prefix == "45.70.0.0/16"
    _, created = registered_prefix_create_or_update(user=owner, peering=isp.peering, data=data)
    assert not created
    with pytest.raises(ValidationError) as info:
        registered_prefix_create_or_update(
            user=owner,
            peering=isp.peering,
            data=RegisteredPrefixInput(name="block", prefix="45.71.0.0/16"),
        )
    assert "prefix" in info.value.message_dict
    assert RegisteredPrefix.objects.count() == 1


@pytest.fixture
def customer(owner, other_subscription, region):
    """The customer's tenant: `owner` also owns it here, with a resource group."""
    factories.RoleAssignmentFactory(user=owner, subscription=other_subscription)
    factories.ResourceGroupFactory(subscription=other_subscription, name="fabrikam", region=region)
    factories.PeeringServiceLocationFactory(country="United States", state="Washington")
    return other_subscription


def service_input(**changes) -> PeeringServiceInput:
    values = {
        "name": "fabrikam-ps",
        "resource_group": "fabrikam",
        "peering_service_location": "Washington, United States",
        "peering_service_provider": "Contoso IX",
        "provider_primary_peering_location": "Seattle",
        "tags": {"team": "net"},
        **changes,
    }
    return PeeringServiceInput(**values)


def test_peering_service_validate_writes_nothing(owner, world, customer):
    validated, errors = peering_service_validate(
        user=owner, subscription=customer, data=service_input()
    )
    assert errors == {} and validated.provider == world.provider
    _, errors = peering_service_validate(
        user=owner,
        subscription=customer,
        data=service_input(
            provider_primary_peering_location="Tokyo", peering_service_location="Mars"
        ),
    )
    assert set(errors) == {"primary_location", "location"}
    assert not customer.peering_services.exists()


def test_peering_service_put_and_its_prefix_put(owner, world, customer):
    service, created = peering_service_create_or_update(
        user=owner, subscription=customer, data=service_input()
    )
    assert created and service.tags == {"team": "net"} and service.backup_location == ""
    service, created = peering_service_create_or_update(
        user=owner, subscription=customer, data=service_input(tags={"team": "ops"})
    )
    assert not created and service.tags == {"team": "ops"}
    with pytest.raises(ValidationError) as info:
        peering_service_create_or_update(
            user=owner,
            subscription=customer,
            data=service_input(provider_primary_peering_location="Ashburn"),
        )
    assert "primary_location" in info.value.message_dict

    key = str(world.registered.prefix_key)
    prefix = PrefixInput(name="web", prefix=CUSTOMER_PREFIX, peering_service_prefix_key=key)
    added, created = peering_service_prefix_create_or_update(
        user=owner, service=service, data=prefix
    )
    assert created and added.validation_state == "Pending"
    same, created = peering_service_prefix_create_or_update(
        user=owner, service=service, data=prefix
    )
    assert not created and same.pk == added.pk
    with pytest.raises(ValidationError) as info:
        peering_service_prefix_create_or_update(
            user=owner,
            service=service,
            data=prefix.model_copy(update={"prefix": "45.60.11.0/24"}),
        )
    assert "cannot be modified" in info.value.message_dict["prefix"][0]
    with pytest.raises(ValidationError) as info:
        peering_service_prefix_create_or_update(
            user=owner, service=service, data=PrefixInput(name="bad name", prefix="10.0.0.0/8")
        )
    assert {"name", "prefix", "prefix_key"} <= set(info.value.message_dict)
    assert PeeringServicePrefix.objects.count() == 1
