"""Issue 10, defects 5, 6 and 10: nothing typed is dropped without a word, no control
characters in a contact email, and no registering the provider's own ASN or Microsoft's."""

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from peering.forms.peering_services import prefix_row_errors, rows_from
from peering.models import PeerAsn, PeeringService, PeeringServicePrefix, RegisteredAsn
from peering.services.peer_asns import peer_asn_create
from peering.services.registered import registered_asn_add
from tests import factories
from tests.peering.services.test_peering_services import create, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(subscription, region):
    return factories.ResourceGroupFactory(subscription=subscription, name="fabrikam-network")


@pytest.fixture
def registered_world(subscription):
    """Contoso IX (the `subscription` fixture's tenant) with its route-server peerings."""
    return factories.provider_world(subscription=subscription)


@pytest.fixture
def location(db):
    return factories.PeeringServiceLocationFactory(country="United States", state="Washington")


# --- defect 5: more than 20 prefixes ------------------------------------------------------------


def test_create_with_21_prefixes_is_refused_not_cut(owner, subscription, group, location):
    world = factories.provider_world(name="Contoso Twenty", provider_asn=63990, customer_asn=150090)
    key = str(world.registered.prefix_key)
    rows = [row(key, f"p{i}", f"45.61.{i}.0/24") for i in range(21)]
    with pytest.raises(ValidationError) as info:
        create(owner, subscription, world, group=group, location=location, prefixes=rows)
    assert info.value.message_dict["prefixes"] == ["Add at most 20 prefixes at once."]
    assert not PeeringService.objects.exists()
    assert not PeeringServicePrefix.objects.exists()


def test_the_form_keeps_every_row_and_says_too_many():
    data = QueryDict(mutable=True)
    for i in range(25):
        data.appendlist("prefix_index", str(i))
        data[f"prefix-{i}-name"] = f"p{i}"
        data[f"prefix-{i}-prefix"] = f"45.61.{i}.0/24"
        data[f"prefix-{i}-prefix_key"] = "00000000-0000-0000-0000-000000000000"
    rows = rows_from(data)
    assert len(rows) == 25
    assert prefix_row_errors(rows)["prefixes"] == ["Add at most 20 prefixes at once."]


def test_twenty_prefixes_and_blank_rows_are_fine():
    blank = {"name": "", "prefix": "", "prefix_key": ""}
    rows = [(i, {"name": f"p{i}", "prefix": "45.61.0.0/24", "prefix_key": "k"}) for i in range(20)]
    rows += [(20, blank), (21, blank)]
    assert "prefixes" not in prefix_row_errors(rows)


# --- defect 6: control characters in a contact email ------------------------------------------


@pytest.mark.parametrize(
    "email", ['"noc\\\x07"@contoso.net', '"a\x01b"@contoso.net', "noc\x7f@contoso.net"]
)
def test_contact_email_with_control_characters_refused(owner, subscription, email):
    with pytest.raises(ValidationError) as info:
        peer_asn_create(
            user=owner,
            subscription=subscription,
            name="contoso-asn",
            peer_asn="13335",
            peer_name="Contoso",
            contacts=[{"role": "Noc", "email": email, "phone": "+1 425 555 0100"}],
        )
    assert "Control characters" in info.value.message_dict["contacts.0.email"][0]
    assert not PeerAsn.objects.exists()


# --- defect 10: the provider's own ASN and AS8075 ---------------------------------------------


@pytest.mark.parametrize("asn", ["AS8075", "8075", "8069"])
def test_registering_microsofts_asn_refused(registered_world, owner, asn):
    with pytest.raises(ValidationError) as info:
        registered_asn_add(user=owner, peering=registered_world.peering, name="msft", asn=asn)
    assert "Microsoft's own network" in info.value.message_dict["asn"][0]
    assert not RegisteredAsn.objects.filter(name="msft").exists()


def test_registering_the_providers_own_asn_refused(registered_world, owner):
    own = registered_world.peer_asn.peer_asn
    with pytest.raises(ValidationError) as info:
        registered_asn_add(user=owner, peering=registered_world.peering, name="self", asn=own)
    assert "own ASN" in info.value.message_dict["asn"][0]
    assert not RegisteredAsn.objects.filter(name="self").exists()
