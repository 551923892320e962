"""Create a Peering (peering.services.peerings): every variant, every rule, and the one write.

The draft is {"basics": {...}, "configuration": {...}, "connections": [{...}, ...]} with values as
typed strings. A refusal is an error keyed `basics.<field>`, `configuration.<field>`,
`connections.<i>.<field>` or `connections`, and writes nothing at all.
"""

import copy
import ipaddress
import uuid
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from peering.enums import ConnectionState, ContactRole, Kind, SessionState, ValidationState
from peering.models import LegacyPeering, Peering, PeeringConnection
from peering.services.peerings import MAX_CONNECTIONS, OPERATION_WRITE, ValidatedPeering
from peering.services.wizard import (
    NETWORK_AS8075,
    NETWORK_ROUTE_SERVER,
    NETWORK_VOICE,
    SKU_BASIC_FREE,
    SKU_PREMIUM_FREE,
    draft_create,
    draft_validate,
)
from portal.models import ActivityLog, Notification, ResourceGroup, Role
from tests import factories

ASN = 13335

# --- the world: a subscription with an Approved Peer ASN, metros, facilities, exchanges ---------


@pytest.fixture
def world(subscription, other_subscription, owner, region):
    seattle = factories.PeeringLocationFactory(name="Seattle")
    chicago = factories.PeeringLocationFactory(name="Chicago")
    denver = factories.PeeringLocationFactory(name="Denver")
    all_types = ["Edge", "IxRs", "Voice"]
    w = SimpleNamespace(
        subscription=subscription,
        other_subscription=other_subscription,
        owner=owner,
        region=region,
        seattle=seattle,
        chicago=chicago,
        denver=denver,
        fac=factories.DirectFacilityFactory(
            location=seattle, name="Equinix SE2", direct_peering_types=all_types
        ),
        fac2=factories.DirectFacilityFactory(
            location=seattle, name="Westin Building", direct_peering_types=all_types
        ),
        fac_edge_only=factories.DirectFacilityFactory(
            location=seattle, name="Edge Only", direct_peering_types=["Edge"]
        ),
        fac_chicago=factories.DirectFacilityFactory(
            location=chicago, name="Equinix CH1", direct_peering_types=all_types
        ),
        fac_denver=factories.DirectFacilityFactory(
            location=denver, name="CoreSite DE1", direct_peering_types=["Edge"]
        ),
        ix=factories.ExchangeFactory(
            location=seattle,
            name="Equinix Seattle",
            ipv4_prefix="198.32.134.0/24",
            ipv6_prefix="2001:504:12::/64",
            microsoft_ipv4_address="198.32.134.152",
            microsoft_ipv6_address="2001:504:12::15",
        ),
        ix2=factories.ExchangeFactory(
            location=seattle,
            name="SIX Seattle",
            ipv4_prefix="206.81.80.0/22",
            ipv6_prefix="2001:504:16::/64",
            microsoft_ipv4_address="206.81.80.40",
            microsoft_ipv6_address="2001:504:16::1f8b",
        ),
        ix_v4_only=factories.ExchangeFactory(
            location=seattle,
            name="V4 Only IX",
            ipv4_prefix="203.0.113.0/24",
            ipv6_prefix="",
            microsoft_ipv4_address="203.0.113.1",
            microsoft_ipv6_address=None,
        ),
        ix_chicago=factories.ExchangeFactory(
            location=chicago,
            name="Equinix Chicago",
            ipv4_prefix="208.115.136.0/23",
            ipv6_prefix="2001:504:0:4::/64",
            microsoft_ipv4_address="208.115.136.40",
            microsoft_ipv6_address="2001:504:0:4::8075:1",
        ),
        rg=factories.ResourceGroupFactory(
            subscription=subscription, name="rg-peering", region=region
        ),
        peer_asn=factories.PeerAsnFactory(
            subscription=subscription,
            name="contoso-asn",
            peer_asn=ASN,
            validation_state=ValidationState.APPROVED,
        ),
    )
    factories.PeerContactFactory(peer_asn=w.peer_asn, role=ContactRole.NOC, email="noc@contoso.net")
    factories.PeerContactFactory(
        peer_asn=w.peer_asn, role=ContactRole.POLICY, email="policy@contoso.net"
    )
    return w


def sign_agreement(subscription):
    subscription.peering_service_agreement_signed = True
    subscription.save(update_fields=["peering_service_agreement_signed"])


# --- drafts ------------------------------------------------------------------------------------

VARIANTS = ("route_server", "direct", "direct_peering_service", "voice", "exchange")

CONFIGURATION = {
    "route_server": ("Direct", NETWORK_ROUTE_SERVER, SKU_PREMIUM_FREE),
    "direct": ("Direct", NETWORK_AS8075, SKU_BASIC_FREE),
    "direct_peering_service": ("Direct", NETWORK_AS8075, SKU_PREMIUM_FREE),
    "voice": ("Direct", NETWORK_VOICE, SKU_PREMIUM_FREE),
    "exchange": ("Exchange", "", SKU_BASIC_FREE),
}

# What the API names for each variant: kind, sku.name, directPeeringType, sessionAddressProvider.
EXPECTED = {
    "route_server": ("Direct", "Premium_Direct_Free", "IxRs", "Peer"),
    "direct": ("Direct", "Basic_Direct_Free", "Edge", "Peer"),
    "direct_peering_service": ("Direct", "Premium_Direct_Free", "Edge", "Peer"),
    "voice": ("Direct", "Premium_Direct_Free", "Voice", "Microsoft"),
    "exchange": ("Exchange", "Basic_Exchange_Free", "", ""),
}


def make_row(w, variant: str, **overrides) -> dict:
    """One valid connection row of the variant, as the wizard would post it."""
    if variant == "route_server":
        row = {
            "facility": str(w.fac.pk),
            "bandwidth_mbps": "10000",
            "session_prefix_v4": "206.81.80.0/22",
            "peer_session_ipv4_address": "206.81.80.1",
            "microsoft_session_ipv4_address": "206.81.80.209",
            "max_prefixes_advertised_v4": "1000",
        }
    elif variant in ("direct", "direct_peering_service"):
        row = {
            "facility": str(w.fac.pk),
            "session_address_provider": "Peer",
            "bandwidth_mbps": "10000",
            "session_prefix_v4": "192.0.2.0/31",
            "session_prefix_v6": "2001:db8::/127",
            "max_prefixes_advertised_v4": "1000",
            "max_prefixes_advertised_v6": "100",
        }
    elif variant == "voice":
        row = {
            "facility": str(w.fac.pk),
            "bandwidth_mbps": "10000",
            "max_prefixes_advertised_v4": "1000",
        }
    else:
        row = {
            "facility": str(w.ix.pk),
            "peer_session_ipv4_address": "198.32.134.10",
            "peer_session_ipv6_address": "2001:504:12::10",
            "max_prefixes_advertised_v4": "1000",
            "max_prefixes_advertised_v6": "100",
        }
    row.update(overrides)
    return row


def make_draft(w, variant: str, rows: list[dict] | None = None, **basics) -> dict:
    """A valid draft of the variant (signs the agreement for Direct for Peering Service)."""
    if variant == "direct_peering_service":
        sign_agreement(w.subscription)
    peering_type, network, sku = CONFIGURATION[variant]
    return {
        "basics": {
            "subscription": str(w.subscription.pk),
            "resource_group": "rg-peering",
            "name": "contoso-sea",
            "peer_asn": "contoso-asn",
            **basics,
        },
        "configuration": {
            "peering_type": peering_type,
            "microsoft_network": network,
            "sku": sku,
            "metro": "Seattle",
        },
        "connections": [make_row(w, variant)] if rows is None else rows,
    }


def counts() -> dict[str, int]:
    return {
        "peerings": Peering.objects.count(),
        "connections": PeeringConnection.objects.count(),
        "groups": ResourceGroup.objects.count(),
        "activity": ActivityLog.objects.count(),
        "notifications": Notification.objects.count(),
        "converted": LegacyPeering.objects.filter(converted_to__isnull=False).count(),
    }


def assert_refused(user, data, key, *, also=()):
    """Validation and create both refuse with `key` (plus `also`, and nothing else); nothing is
    written. Returns the errors."""
    before = counts()
    result, errors = draft_validate(user=user, data=copy.deepcopy(data))
    assert result is None
    assert set(errors) == {key, *also}, dict(errors)
    assert all(errors[k] and all(isinstance(m, str) and m for m in errors[k]) for k in errors)
    with pytest.raises(ValidationError) as info:
        draft_create(user=user, data=copy.deepcopy(data))
    assert set(info.value.message_dict) == set(errors)
    assert counts() == before
    return errors


def create(w, data, user=None) -> Peering:
    peering = draft_create(user=user or w.owner, data=data)
    peering.refresh_from_db()
    return peering


# --- each variant creates with the API's values -----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_creates_with_api_values(world, variant):
    w = world
    before = counts()
    data = make_draft(w, variant)
    result, errors = draft_validate(user=w.owner, data=copy.deepcopy(data))
    assert not errors, dict(errors)
    assert isinstance(result, ValidatedPeering)
    assert result.configuration.variant.key == variant

    peering = create(w, data)
    kind, sku_name, direct_type, provider = EXPECTED[variant]
    assert (peering.kind, peering.sku_name, peering.direct_peering_type) == (
        kind,
        sku_name,
        direct_type,
    )
    assert peering.subscription == w.subscription
    assert peering.resource_group == w.rg
    assert peering.region == w.region
    assert peering.peering_location == w.seattle
    assert peering.peer_asn == w.peer_asn
    assert peering.name == "contoso-sea"
    assert peering.created_by == w.owner
    assert peering.provisioning_state == "Succeeded"

    connection = peering.connections.get()
    assert connection.session_address_provider == provider
    assert connection.connection_state == ConnectionState.PENDING_APPROVAL
    assert connection.session_state_v4 == SessionState.PENDING_ADD
    has_v6 = variant in ("direct", "direct_peering_service", "exchange")
    assert connection.session_state_v6 == (
        SessionState.PENDING_ADD if has_v6 else SessionState.NONE
    )
    assert connection.is_legacy is False
    assert connection.use_for_peering_service is (variant == "direct_peering_service")
    assert isinstance(connection.connection_identifier, uuid.UUID)
    assert connection.max_prefixes_advertised_v4 == 1000
    if variant == "exchange":
        assert (connection.exchange, connection.direct_facility) == (w.ix, None)
        assert connection.bandwidth_mbps is None
    else:
        assert (connection.direct_facility, connection.exchange) == (w.fac, None)
        assert connection.bandwidth_mbps == 10000

    after = counts()
    assert after["peerings"] == before["peerings"] + 1
    assert after["connections"] == before["connections"] + 1
    assert after["groups"] == before["groups"]
    assert after["activity"] == before["activity"] + 1


@pytest.mark.django_db
def test_direct_derives_session_addresses(world):
    """Provider Peer on Edge: the first usable address is the peer's, the next Microsoft's."""
    w = world
    rows = [
        make_row(w, "direct", session_prefix_v4="192.0.2.0/31", session_prefix_v6="2001:db8::/127"),
        make_row(
            w,
            "direct",
            facility=str(w.fac2.pk),
            session_prefix_v4="192.0.2.4/30",
            session_prefix_v6="2001:db8::4/126",
        ),
    ]
    peering = create(w, make_draft(w, "direct", rows=rows))
    first, second = peering.connections.order_by("id")
    assert (first.session_prefix_v4, first.peer_session_ipv4_address) == (
        "192.0.2.0/31",
        "192.0.2.0",
    )
    assert first.microsoft_session_ipv4_address == "192.0.2.1"
    assert (first.session_prefix_v6, first.peer_session_ipv6_address) == (
        "2001:db8::/127",
        "2001:db8::",
    )
    assert first.microsoft_session_ipv6_address == "2001:db8::1"
    assert (second.peer_session_ipv4_address, second.microsoft_session_ipv4_address) == (
        "192.0.2.5",
        "192.0.2.6",
    )
    assert (second.peer_session_ipv6_address, second.microsoft_session_ipv6_address) == (
        "2001:db8::5",
        "2001:db8::6",
    )
    assert first.connection_identifier != second.connection_identifier


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "peer", "microsoft"),
    [
        ("192.0.2.0/31", "192.0.2.0", "192.0.2.1"),
        ("192.0.2.0/30", "192.0.2.1", "192.0.2.2"),
        (" 192.0.2.0/30 ", " 192.0.2.1 ", ""),
        ("192.0.2.0/30", "", "192.0.2.2"),
    ],
)
def test_direct_accepts_typed_addresses_matching_the_derivation(world, prefix, peer, microsoft):
    w = world
    row = make_row(
        w,
        "direct",
        session_prefix_v4=prefix,
        peer_session_ipv4_address=peer,
        microsoft_session_ipv4_address=microsoft,
        session_prefix_v6="",
        max_prefixes_advertised_v6="",
    )
    connection = create(w, make_draft(w, "direct", rows=[row])).connections.get()
    network = ipaddress.ip_network(prefix.strip())
    expected_peer = network[0] if network.prefixlen == 31 else network[1]
    assert connection.peer_session_ipv4_address == str(expected_peer)
    assert connection.microsoft_session_ipv4_address == str(expected_peer + 1)
    assert connection.session_state_v6 == SessionState.NONE
    assert connection.max_prefixes_advertised_v6 is None


@pytest.mark.django_db
@pytest.mark.parametrize("bandwidth", ["10000", "50000", "100000", " 20000 ", "30,000"])
def test_direct_bandwidth_accepted(world, bandwidth):
    w = world
    row = make_row(w, "direct", bandwidth_mbps=bandwidth)
    connection = create(w, make_draft(w, "direct", rows=[row])).connections.get()
    assert connection.bandwidth_mbps == int(bandwidth.strip().replace(",", ""))


@pytest.mark.django_db
def test_direct_provider_microsoft_leaves_sessions_to_microsoft(world):
    w = world
    row = {
        "facility": str(w.fac.pk),
        "session_address_provider": "Microsoft",
        "bandwidth_mbps": "20000",
        "max_prefixes_advertised_v4": "20000",
        "max_prefixes_advertised_v6": "2000",
    }
    connection = create(w, make_draft(w, "direct", rows=[row])).connections.get()
    assert connection.session_address_provider == "Microsoft"
    assert connection.session_prefix_v4 == connection.session_prefix_v6 == ""
    assert connection.peer_session_ipv4_address is None
    assert connection.microsoft_session_ipv4_address is None
    assert (connection.max_prefixes_advertised_v4, connection.max_prefixes_advertised_v6) == (
        20000,
        2000,
    )
    assert connection.session_state_v4 == SessionState.PENDING_ADD


@pytest.mark.django_db
def test_route_server_with_ipv6(world):
    w = world
    row = make_row(
        w,
        "route_server",
        session_address_provider="Peer",
        session_prefix_v6="2001:504:16::/64",
        peer_session_ipv6_address="2001:504:16::1",
        microsoft_session_ipv6_address="2001:504:16:0:0:0:8075:1",
        max_prefixes_advertised_v6="2000",
    )
    connection = create(w, make_draft(w, "route_server", rows=[row])).connections.get()
    assert connection.session_prefix_v4 == "206.81.80.0/22"
    assert connection.session_prefix_v6 == "2001:504:16::/64"
    assert connection.peer_session_ipv6_address == "2001:504:16::1"
    assert connection.microsoft_session_ipv6_address == "2001:504:16::8075:1"
    assert connection.session_state_v6 == SessionState.PENDING_ADD
    assert connection.max_prefixes_advertised_v6 == 2000


@pytest.mark.django_db
def test_voice_accepts_provider_microsoft_typed(world):
    w = world
    row = make_row(w, "voice", session_address_provider="Microsoft")
    connection = create(w, make_draft(w, "voice", rows=[row])).connections.get()
    assert connection.session_address_provider == "Microsoft"


@pytest.mark.django_db
def test_exchange_stores_lan_and_microsoft_addresses(world):
    w = world
    rows = [
        make_row(w, "exchange"),
        make_row(
            w,
            "exchange",
            facility=str(w.ix2.pk),
            peer_session_ipv4_address="206.81.81.20",
            peer_session_ipv6_address="",
            max_prefixes_advertised_v6="",
        ),
    ]
    peering = create(w, make_draft(w, "exchange", rows=rows))
    first, second = peering.connections.order_by("id")
    assert first.session_prefix_v4 == "198.32.134.0/24"
    assert first.session_prefix_v6 == "2001:504:12::/64"
    assert first.peer_session_ipv4_address == "198.32.134.10"
    assert first.microsoft_session_ipv4_address == "198.32.134.152"
    assert first.peer_session_ipv6_address == "2001:504:12::10"
    assert first.microsoft_session_ipv6_address == "2001:504:12::15"
    assert first.max_prefixes_advertised_v6 == 100
    assert second.exchange == w.ix2
    assert second.session_prefix_v4 == "206.81.80.0/22"
    assert second.microsoft_session_ipv4_address == "206.81.80.40"
    assert second.peer_session_ipv6_address is None
    assert second.session_state_v6 == SessionState.NONE
    assert second.use_for_peering_service is False


@pytest.mark.django_db
def test_exchange_ipv6_only_row_accepted(world):
    w = world
    row = make_row(w, "exchange", peer_session_ipv4_address="", max_prefixes_advertised_v4="")
    connection = create(w, make_draft(w, "exchange", rows=[row])).connections.get()
    assert connection.peer_session_ipv4_address is None
    assert connection.peer_session_ipv6_address == "2001:504:12::10"
    assert connection.session_state_v6 == SessionState.PENDING_ADD


@pytest.mark.django_db
def test_exchange_ipv6_only_row_has_no_ipv4_session(world):
    w = world
    row = make_row(w, "exchange", peer_session_ipv4_address="", max_prefixes_advertised_v4="")
    connection = create(w, make_draft(w, "exchange", rows=[row])).connections.get()
    assert connection.session_state_v4 == SessionState.NONE


# --- the create: one transaction, activity, notifications, one email after commit --------------


@pytest.mark.django_db
def test_create_records_activity_and_notifies(world, reader, outsider):
    w = world
    peering = create(w, make_draft(w, "direct"))
    entry = ActivityLog.objects.get(operation_display="Create peering")
    assert entry.operation == OPERATION_WRITE
    assert entry.subscription == w.subscription
    assert entry.user == w.owner
    assert entry.status == "Succeeded"
    assert entry.resource_id == peering.resource_id
    assert entry.resource_id.endswith(
        "/resourceGroups/rg-peering/providers/Microsoft.Peering/peerings/contoso-sea"
    )
    assert entry.resource_group == "rg-peering"
    notified = set(Notification.objects.values_list("user__username", flat=True))
    assert notified == {"owner", "reader"}
    note = Notification.objects.get(user=w.owner)
    assert note.subscription == w.subscription
    assert "contoso-sea" in note.title
    assert note.link and "contoso-sea" in note.link
    assert not Notification.objects.filter(user=outsider).exists()


@pytest.mark.django_db
def test_create_emails_the_peer_asn_contacts_once_after_commit(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    w = world
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        peering = draft_create(user=w.owner, data=make_draft(w, "exchange"))
        assert mailoutbox == []
    assert len(callbacks) == 1
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert sorted(message.to) == ["noc@contoso.net", "policy@contoso.net"]
    assert peering.name in message.subject
    assert "PendingApproval" in message.body
    assert f"AS{ASN}" in message.body


@pytest.mark.django_db
def test_refused_create_sends_no_email(world, mailoutbox, django_capture_on_commit_callbacks):
    w = world
    data = make_draft(w, "direct")
    data["connections"][0]["bandwidth_mbps"] = "5000"
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        draft_create(user=w.owner, data=data)
    assert callbacks == []
    assert mailoutbox == []


@pytest.mark.django_db
def test_no_email_without_commit(world, mailoutbox):
    """The test transaction never commits: the email must not have gone out."""
    w = world
    create(w, make_draft(w, "direct"))
    assert mailoutbox == []


@pytest.mark.django_db
def test_create_in_new_resource_group(world):
    w = world
    westus = factories.AzureRegionFactory(name="westus2", display_name="West US 2")
    data = make_draft(w, "direct", resource_group="", new_resource_group="rg-new", region="westus2")
    before = counts()
    peering = create(w, data)
    group = ResourceGroup.objects.get(subscription=w.subscription, name="rg-new")
    assert peering.resource_group == group
    assert group.region == westus
    assert peering.region == westus
    assert counts()["groups"] == before["groups"] + 1
    displays = set(ActivityLog.objects.values_list("operation_display", flat=True))
    assert {"Create resource group", "Create peering"} <= displays


@pytest.mark.django_db
def test_resource_group_matched_case_insensitively(world):
    w = world
    before = counts()
    peering = create(w, make_draft(w, "direct", resource_group="RG-PEERING"))
    assert peering.resource_group == w.rg
    assert counts()["groups"] == before["groups"]


@pytest.mark.django_db
def test_same_name_in_another_resource_group_allowed(world):
    w = world
    other_rg = factories.ResourceGroupFactory(
        subscription=w.subscription, name="rg-other", region=w.region
    )
    factories.PeeringFactory(
        subscription=w.subscription,
        resource_group=other_rg,
        name="contoso-sea",
        peer_asn=w.peer_asn,
    )
    assert create(w, make_draft(w, "direct")).resource_group == w.rg


@pytest.mark.django_db
def test_peer_asn_matched_case_insensitively(world):
    w = world
    assert create(w, make_draft(w, "direct", peer_asn="CONTOSO-ASN")).peer_asn == w.peer_asn


@pytest.mark.django_db
def test_contributor_may_create(world):
    w = world
    contributor = factories.UserFactory(username="contributor")
    factories.RoleAssignmentFactory(
        user=contributor, subscription=w.subscription, role=Role.CONTRIBUTOR
    )
    peering = create(w, make_draft(w, "direct"), user=contributor)
    assert peering.created_by == contributor


@pytest.mark.django_db
def test_connection_identifiers_are_unique_guids(world):
    w = world
    rows = [
        make_row(w, "voice", facility=str(w.fac.pk)),
        make_row(w, "voice", facility=str(w.fac2.pk)),
        make_row(w, "voice", facility=str(w.fac.pk)),
    ]
    first = create(w, make_draft(w, "voice", rows=rows))
    second = create(w, make_draft(w, "voice", name="contoso-sea-2"))
    identifiers = [c.connection_identifier for c in PeeringConnection.objects.all()]
    assert len(identifiers) == 4 == len(set(identifiers))
    assert all(isinstance(i, uuid.UUID) and i.version == 4 for i in identifiers)
    assert first.connections.count() == 3 and second.connections.count() == 1


@pytest.mark.django_db
def test_max_connections_accepted(world):
    w = world
    rows = [make_row(w, "voice") for _ in range(MAX_CONNECTIONS)]
    assert create(w, make_draft(w, "voice", rows=rows)).connections.count() == MAX_CONNECTIONS


# --- refusals: each rule, at its key, with nothing written -------------------------------------


def _basics(**values):
    return lambda w, d: d["basics"].update(**values)


def _config(**values):
    return lambda w, d: d["configuration"].update(**values)


def _row(index=0, **values):
    def mutate(w, d):
        d["connections"][index].update({k: (v(w) if callable(v) else v) for k, v in values.items()})

    return mutate


def _rows(rows_for):
    def mutate(w, d):
        d["connections"] = rows_for(w)

    return mutate


def _pk(name):
    return lambda w: str(getattr(w, name).pk)


BASICS_REFUSALS = [
    ("subscription-blank", _basics(subscription=""), "basics.subscription"),
    ("subscription-not-a-guid", _basics(subscription="contoso"), "basics.subscription"),
    ("subscription-unknown", _basics(subscription=str(uuid.uuid4())), "basics.subscription"),
    (
        "subscription-of-another-tenant",
        lambda w, d: d["basics"].update(subscription=str(w.other_subscription.pk)),
        "basics.subscription",
    ),
    ("resource-group-blank", _basics(resource_group=""), "basics.resource_group"),
    ("resource-group-missing", _basics(resource_group="rg-missing"), "basics.resource_group"),
    (
        "new-group-bad-name",
        _basics(resource_group="", new_resource_group="rg new!", region="eastus"),
        "basics.new_resource_group",
    ),
    (
        "new-group-too-long",
        _basics(resource_group="", new_resource_group="r" * 64, region="eastus"),
        "basics.new_resource_group",
    ),
    (
        "new-group-exists-ci",
        _basics(resource_group="", new_resource_group="RG-Peering", region="eastus"),
        "basics.new_resource_group",
    ),
    (
        "new-group-without-region",
        _basics(resource_group="", new_resource_group="rg-new", region=""),
        "basics.region",
    ),
    (
        "new-group-unknown-region",
        _basics(resource_group="", new_resource_group="rg-new", region="atlantis"),
        "basics.region",
    ),
    ("name-blank", _basics(name=""), "basics.name"),
    ("name-with-space", _basics(name="contoso sea"), "basics.name"),
    ("name-with-slash", _basics(name="contoso/sea"), "basics.name"),
    ("name-too-long", _basics(name="p" * 64), "basics.name"),
    ("name-non-ascii", _basics(name="contoso-séa"), "basics.name"),
    ("name-exists-ci", _basics(name="CONTOSO-EXISTING"), "basics.name"),
    ("peer-asn-blank", _basics(peer_asn=""), "basics.peer_asn"),
    ("peer-asn-unknown", _basics(peer_asn="nope-asn"), "basics.peer_asn"),
    ("peer-asn-of-another-subscription", _basics(peer_asn="northwind-asn"), "basics.peer_asn"),
]

CONFIGURATION_REFUSALS = [
    ("type-blank", "direct", _config(peering_type=""), "configuration.peering_type"),
    ("type-unknown", "direct", _config(peering_type="Transit"), "configuration.peering_type"),
    ("type-lowercase", "direct", _config(peering_type="direct"), "configuration.peering_type"),
    (
        "network-as8069",
        "direct",
        _config(microsoft_network="AS8069"),
        "configuration.microsoft_network",
    ),
    ("network-blank", "direct", _config(microsoft_network=""), "configuration.microsoft_network"),
    ("sku-blank", "direct", _config(sku=""), "configuration.sku"),
    ("sku-metered", "direct", _config(sku="Premium Metered"), "configuration.sku"),
    ("sku-api-name", "direct", _config(sku="Basic_Direct_Free"), "configuration.sku"),
    (
        "as8075-premium-without-agreement",
        "direct",
        _config(sku=SKU_PREMIUM_FREE),
        "configuration.sku",
    ),
    ("route-server-basic", "route_server", _config(sku=SKU_BASIC_FREE), "configuration.sku"),
    ("voice-basic", "voice", _config(sku=SKU_BASIC_FREE), "configuration.sku"),
    ("exchange-premium", "exchange", _config(sku=SKU_PREMIUM_FREE), "configuration.sku"),
    ("metro-blank", "direct", _config(metro=""), "configuration.metro"),
    ("metro-unknown", "direct", _config(metro="Atlantis"), "configuration.metro"),
    ("exchange-metro-without-exchange", "exchange", _config(metro="Denver"), "configuration.metro"),
    (
        "route-server-metro-without-ixrs",
        "route_server",
        _config(metro="Denver"),
        "configuration.metro",
    ),
    ("voice-metro-without-voice", "voice", _config(metro="Denver"), "configuration.metro"),
]

CONNECTION_REFUSALS = [
    # Rows and places.
    ("no-rows", "direct", _rows(lambda w: []), "connections", ()),
    ("no-rows-voice", "voice", _rows(lambda w: []), "connections", ()),
    ("no-rows-exchange", "exchange", _rows(lambda w: []), "connections", ()),
    (
        "too-many-rows",
        "voice",
        _rows(lambda w: [make_row(w, "voice") for _ in range(MAX_CONNECTIONS + 1)]),
        "connections",
        (),
    ),
    ("facility-blank", "direct", _row(facility=""), "connections.0.facility", ()),
    ("facility-garbage", "direct", _row(facility="Equinix SE2"), "connections.0.facility", ()),
    ("facility-negative", "direct", _row(facility="-1"), "connections.0.facility", ()),
    (
        "facility-other-metro",
        "direct",
        _row(facility=_pk("fac_chicago")),
        "connections.0.facility",
        (),
    ),
    (
        "facility-without-voice",
        "voice",
        _row(facility=_pk("fac_edge_only")),
        "connections.0.facility",
        (),
    ),
    (
        "facility-without-ixrs",
        "route_server",
        _row(facility=_pk("fac_edge_only")),
        "connections.0.facility",
        (),
    ),
    (
        "exchange-other-metro",
        "exchange",
        _row(facility=_pk("ix_chicago")),
        "connections.0.facility",
        (),
    ),
    # Bandwidth.
    ("bandwidth-blank", "direct", _row(bandwidth_mbps=""), "connections.0.bandwidth_mbps", ()),
    ("bandwidth-text", "direct", _row(bandwidth_mbps="10G"), "connections.0.bandwidth_mbps", ()),
    ("bandwidth-0", "direct", _row(bandwidth_mbps="0"), "connections.0.bandwidth_mbps", ()),
    ("bandwidth-5000", "direct", _row(bandwidth_mbps="5000"), "connections.0.bandwidth_mbps", ()),
    ("bandwidth-15000", "voice", _row(bandwidth_mbps="15000"), "connections.0.bandwidth_mbps", ()),
    (
        "bandwidth-110000",
        "route_server",
        _row(bandwidth_mbps="110000"),
        "connections.0.bandwidth_mbps",
        (),
    ),
    (
        "bandwidth-negative",
        "direct",
        _row(bandwidth_mbps="-10000"),
        "connections.0.bandwidth_mbps",
        (),
    ),
    # Session address provider.
    (
        "provider-blank",
        "direct",
        _row(session_address_provider=""),
        "connections.0.session_address_provider",
        (),
    ),
    (
        "provider-unknown",
        "direct",
        _row(session_address_provider="Customer"),
        "connections.0.session_address_provider",
        (),
    ),
    (
        "voice-provider-peer",
        "voice",
        _row(session_address_provider="Peer"),
        "connections.0.session_address_provider",
        (),
    ),
    (
        "route-server-provider-microsoft",
        "route_server",
        _row(session_address_provider="Microsoft"),
        "connections.0.session_address_provider",
        (),
    ),
    # Direct, provider Peer: /30 or /31 (/126 or /127), derived addresses.
    (
        "direct-v4-prefix-missing",
        "direct",
        _row(session_prefix_v4=""),
        "connections.0.session_prefix_v4",
        (),
    ),
    (
        "direct-v4-prefix-29",
        "direct",
        _row(session_prefix_v4="192.0.2.0/29"),
        "connections.0.session_prefix_v4",
        (),
    ),
    (
        "direct-v4-prefix-32",
        "direct",
        _row(session_prefix_v4="192.0.2.0/32"),
        "connections.0.session_prefix_v4",
        (),
    ),
    (
        "direct-v4-prefix-24",
        "direct",
        _row(session_prefix_v4="192.0.2.0/24"),
        "connections.0.session_prefix_v4",
        (),
    ),
    (
        "direct-v4-host-bits",
        "direct",
        _row(session_prefix_v4="192.0.2.1/30"),
        "connections.0.session_prefix_v4",
        (),
    ),
    (
        "direct-v4-no-length",
        "direct",
        _row(session_prefix_v4="192.0.2.0"),
        "connections.0.session_prefix_v4",
        (),
    ),
    (
        "direct-v4-prefix-is-v6",
        "direct",
        _row(session_prefix_v4="2001:db8::/127"),
        "connections.0.session_prefix_v4",
        (),
    ),
    (
        "direct-v4-multicast",
        "direct",
        _row(session_prefix_v4="224.0.0.0/31"),
        "connections.0.session_prefix_v4",
        (),
    ),
    (
        "direct-v6-prefix-64",
        "direct",
        _row(session_prefix_v6="2001:db8::/64"),
        "connections.0.session_prefix_v6",
        (),
    ),
    (
        "direct-v6-prefix-128",
        "direct",
        _row(session_prefix_v6="2001:db8::/128"),
        "connections.0.session_prefix_v6",
        (),
    ),
    (
        "direct-v6-prefix-is-v4",
        "direct",
        _row(session_prefix_v6="192.0.2.0/31"),
        "connections.0.session_prefix_v6",
        (),
    ),
    (
        "direct-v6-host-bits",
        "direct",
        _row(session_prefix_v6="2001:db8::1/126"),
        "connections.0.session_prefix_v6",
        (),
    ),
    (
        "direct-v4-addresses-swapped",
        "direct",
        _row(peer_session_ipv4_address="192.0.2.1", microsoft_session_ipv4_address="192.0.2.0"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "direct-v4-peer-typed-as-microsofts",
        "direct",
        _row(peer_session_ipv4_address="192.0.2.1"),
        "connections.0.peer_session_ipv4_address",
        ("connections.0.microsoft_session_ipv4_address",),
    ),
    (
        "direct-v4-30-network-address",
        "direct",
        _row(session_prefix_v4="192.0.2.0/30", peer_session_ipv4_address="192.0.2.0"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "direct-v4-30-broadcast-address",
        "direct",
        _row(session_prefix_v4="192.0.2.0/30", microsoft_session_ipv4_address="192.0.2.3"),
        "connections.0.microsoft_session_ipv4_address",
        (),
    ),
    (
        "direct-v4-30-typed-other-order",
        "direct",
        _row(
            session_prefix_v4="192.0.2.0/30",
            peer_session_ipv4_address="192.0.2.2",
            microsoft_session_ipv4_address="192.0.2.1",
        ),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "direct-v4-outside",
        "direct",
        _row(peer_session_ipv4_address="192.0.2.9"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "direct-v4-address-with-length",
        "direct",
        _row(peer_session_ipv4_address="192.0.2.0/31"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "direct-v4-address-is-v6",
        "direct",
        _row(microsoft_session_ipv4_address="2001:db8::1"),
        "connections.0.microsoft_session_ipv4_address",
        (),
    ),
    (
        "direct-v6-126-first-address",
        "direct",
        _row(session_prefix_v6="2001:db8::/126", peer_session_ipv6_address="2001:db8::"),
        "connections.0.peer_session_ipv6_address",
        (),
    ),
    (
        "direct-v6-126-last-address",
        "direct",
        _row(session_prefix_v6="2001:db8::/126", microsoft_session_ipv6_address="2001:db8::3"),
        "connections.0.microsoft_session_ipv6_address",
        (),
    ),
    (
        "direct-v6-outside",
        "direct",
        _row(microsoft_session_ipv6_address="2001:db8::5"),
        "connections.0.microsoft_session_ipv6_address",
        (),
    ),
    (
        "direct-v6-addresses-without-prefix",
        "direct",
        _row(session_prefix_v6="", peer_session_ipv6_address="2001:db8::"),
        "connections.0.session_prefix_v6",
        (),
    ),
    (
        "direct-v6-without-max-prefixes",
        "direct",
        _row(max_prefixes_advertised_v6=""),
        "connections.0.max_prefixes_advertised_v6",
        (),
    ),
    # Direct, provider Microsoft: session fields must be empty.
    *[
        (
            f"provider-microsoft-with-{field_name}",
            "direct",
            _row(
                **{
                    "session_address_provider": "Microsoft",
                    "session_prefix_v4": "",
                    "session_prefix_v6": "",
                    field_name: value,
                }
            ),
            f"connections.0.{field_name}",
            (),
        )
        for field_name, value in (
            ("session_prefix_v4", "192.0.2.0/31"),
            ("peer_session_ipv4_address", "192.0.2.0"),
            ("microsoft_session_ipv4_address", "192.0.2.1"),
            ("peer_session_ipv6_address", "2001:db8::"),
            ("microsoft_session_ipv6_address", "2001:db8::1"),
        )
    ],
    (
        "voice-with-session-prefix",
        "voice",
        _row(session_prefix_v4="192.0.2.0/31"),
        "connections.0.session_prefix_v4",
        (),
    ),
    # Max advertised prefixes.
    (
        "max-v4-blank",
        "direct",
        _row(max_prefixes_advertised_v4=""),
        "connections.0.max_prefixes_advertised_v4",
        (),
    ),
    (
        "max-v4-0",
        "direct",
        _row(max_prefixes_advertised_v4="0"),
        "connections.0.max_prefixes_advertised_v4",
        (),
    ),
    (
        "max-v4-20001",
        "voice",
        _row(max_prefixes_advertised_v4="20001"),
        "connections.0.max_prefixes_advertised_v4",
        (),
    ),
    (
        "max-v4-text",
        "route_server",
        _row(max_prefixes_advertised_v4="lots"),
        "connections.0.max_prefixes_advertised_v4",
        (),
    ),
    (
        "max-v4-20001-exchange",
        "exchange",
        _row(max_prefixes_advertised_v4="20001"),
        "connections.0.max_prefixes_advertised_v4",
        (),
    ),
    (
        "max-v6-2001",
        "direct",
        _row(max_prefixes_advertised_v6="2001"),
        "connections.0.max_prefixes_advertised_v6",
        (),
    ),
    (
        "max-v6-0-exchange",
        "exchange",
        _row(max_prefixes_advertised_v6="0"),
        "connections.0.max_prefixes_advertised_v6",
        (),
    ),
    (
        "max-v6-voice-2001",
        "voice",
        _row(max_prefixes_advertised_v6="2001"),
        "connections.0.max_prefixes_advertised_v6",
        (),
    ),
    # Route server: the exchange's prefix, both addresses inside it, different.
    (
        "route-server-v4-prefix-missing",
        "route_server",
        _row(session_prefix_v4=""),
        "connections.0.session_prefix_v4",
        (),
    ),
    (
        "route-server-peer-outside",
        "route_server",
        _row(peer_session_ipv4_address="206.81.84.1"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "route-server-microsoft-missing",
        "route_server",
        _row(microsoft_session_ipv4_address=""),
        "connections.0.microsoft_session_ipv4_address",
        (),
    ),
    (
        "route-server-same-addresses",
        "route_server",
        _row(microsoft_session_ipv4_address="206.81.80.1"),
        "connections.0.microsoft_session_ipv4_address",
        (),
    ),
    (
        "route-server-network-address",
        "route_server",
        _row(peer_session_ipv4_address="206.81.80.0"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "route-server-v6-without-max",
        "route_server",
        _row(
            session_prefix_v6="2001:504:16::/64",
            peer_session_ipv6_address="2001:504:16::1",
            microsoft_session_ipv6_address="2001:504:16::8075:1",
        ),
        "connections.0.max_prefixes_advertised_v6",
        (),
    ),
    (
        "route-server-v6-max-2001",
        "route_server",
        _row(
            session_prefix_v6="2001:504:16::/64",
            peer_session_ipv6_address="2001:504:16::1",
            microsoft_session_ipv6_address="2001:504:16::8075:1",
            max_prefixes_advertised_v6="2001",
        ),
        "connections.0.max_prefixes_advertised_v6",
        (),
    ),
    (
        "route-server-v6-address-without-prefix",
        "route_server",
        _row(peer_session_ipv6_address="2001:504:16::1"),
        "connections.0.session_prefix_v6",
        (),
    ),
    # Use for Peering Service: only with a signed agreement; never on Exchange rows.
    (
        "peering-service-without-agreement",
        "direct",
        _row(use_for_peering_service="true"),
        "connections.0.use_for_peering_service",
        (),
    ),
    (
        "peering-service-on-exchange",
        "exchange",
        _row(use_for_peering_service="on"),
        "connections.0.use_for_peering_service",
        (),
    ),
    # Exchange rows: the peer's address inside that exchange's LAN.
    (
        "exchange-no-address",
        "exchange",
        _row(peer_session_ipv4_address="", peer_session_ipv6_address=""),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "exchange-v4-outside-lan",
        "exchange",
        _row(peer_session_ipv4_address="198.32.135.10"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "exchange-v4-other-exchanges-lan",
        "exchange",
        _row(peer_session_ipv4_address="206.81.80.10"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "exchange-v4-microsofts-address",
        "exchange",
        _row(peer_session_ipv4_address="198.32.134.152"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "exchange-v4-network-address",
        "exchange",
        _row(peer_session_ipv4_address="198.32.134.0"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "exchange-v4-broadcast-address",
        "exchange",
        _row(peer_session_ipv4_address="198.32.134.255"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "exchange-v4-with-length",
        "exchange",
        _row(peer_session_ipv4_address="198.32.134.10/24"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "exchange-v4-field-given-v6",
        "exchange",
        _row(peer_session_ipv4_address="2001:504:12::11"),
        "connections.0.peer_session_ipv4_address",
        (),
    ),
    (
        "exchange-v6-outside-lan",
        "exchange",
        _row(peer_session_ipv6_address="2001:db8::10"),
        "connections.0.peer_session_ipv6_address",
        (),
    ),
    (
        "exchange-v6-microsofts-address",
        "exchange",
        _row(peer_session_ipv6_address="2001:504:12::15"),
        "connections.0.peer_session_ipv6_address",
        (),
    ),
    (
        "exchange-v6-microsofts-address-spelled-long",
        "exchange",
        _row(peer_session_ipv6_address="2001:0504:0012:0000:0000:0000:0000:0015"),
        "connections.0.peer_session_ipv6_address",
        (),
    ),
    (
        "exchange-v6-network-address",
        "exchange",
        _row(peer_session_ipv6_address="2001:504:12::"),
        "connections.0.peer_session_ipv6_address",
        (),
    ),
    (
        "exchange-v6-on-v4-only-exchange",
        "exchange",
        _row(
            facility=_pk("ix_v4_only"),
            peer_session_ipv4_address="203.0.113.10",
            peer_session_ipv6_address="2001:db8::10",
        ),
        "connections.0.peer_session_ipv6_address",
        (),
    ),
    (
        "exchange-v4-without-max",
        "exchange",
        _row(max_prefixes_advertised_v4=""),
        "connections.0.max_prefixes_advertised_v4",
        (),
    ),
    (
        "exchange-v6-without-max",
        "exchange",
        _row(max_prefixes_advertised_v6=""),
        "connections.0.max_prefixes_advertised_v6",
        (),
    ),
    # The second row is checked as carefully as the first.
    (
        "second-row-bad",
        "exchange",
        _rows(
            lambda w: [
                make_row(w, "exchange"),
                make_row(
                    w,
                    "exchange",
                    facility=str(w.ix2.pk),
                    peer_session_ipv4_address="1.1.1.1",
                    peer_session_ipv6_address="",
                    max_prefixes_advertised_v6="",
                ),
            ]
        ),
        "connections.1.peer_session_ipv4_address",
        (),
    ),
    # No address twice within the request at the same place.
    (
        "duplicate-exchange-address-in-request",
        "exchange",
        _rows(
            lambda w: [
                make_row(w, "exchange"),
                make_row(w, "exchange", peer_session_ipv6_address="2001:504:12::11"),
            ]
        ),
        "connections.1.peer_session_ipv4_address",
        (),
    ),
    (
        "duplicate-exchange-v6-in-request-spelled-differently",
        "exchange",
        _rows(
            lambda w: [
                make_row(w, "exchange"),
                make_row(
                    w,
                    "exchange",
                    peer_session_ipv4_address="198.32.134.11",
                    peer_session_ipv6_address="2001:504:12:0::0:10",
                ),
            ]
        ),
        "connections.1.peer_session_ipv6_address",
        (),
    ),
    (
        "duplicate-direct-prefix-in-request",
        "direct",
        _rows(lambda w: [make_row(w, "direct"), make_row(w, "direct", session_prefix_v6="")]),
        "connections.1.peer_session_ipv4_address",
        ("connections.1.microsoft_session_ipv4_address",),
    ),
]


@pytest.fixture
def refusal_world(world):
    """World plus the records the refusals need: an existing peering, another tenant's ASN."""
    factories.PeeringFactory(
        subscription=world.subscription,
        resource_group=world.rg,
        name="contoso-existing",
        peer_asn=world.peer_asn,
        peering_location=world.seattle,
    )
    factories.PeerAsnFactory(
        subscription=world.other_subscription,
        name="northwind-asn",
        validation_state=ValidationState.APPROVED,
    )
    return world


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mutate", "key"), [c[1:] for c in BASICS_REFUSALS], ids=[c[0] for c in BASICS_REFUSALS]
)
def test_basics_refused(refusal_world, mutate, key):
    w = refusal_world
    data = make_draft(w, "direct")
    mutate(w, data)
    assert_refused(w.owner, data, key)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variant", "mutate", "key"),
    [c[1:] for c in CONFIGURATION_REFUSALS],
    ids=[c[0] for c in CONFIGURATION_REFUSALS],
)
def test_configuration_refused(refusal_world, variant, mutate, key):
    w = refusal_world
    data = make_draft(w, variant)
    mutate(w, data)
    assert_refused(w.owner, data, key)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variant", "mutate", "key", "also"),
    [c[1:] for c in CONNECTION_REFUSALS],
    ids=[c[0] for c in CONNECTION_REFUSALS],
)
def test_connection_refused(refusal_world, variant, mutate, key, also):
    w = refusal_world
    data = make_draft(w, variant)
    mutate(w, data)
    assert_refused(w.owner, data, key, also=also)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["reader", "outsider", "anonymous"])
def test_subscription_must_be_writable(world, request, who):
    """Reader and other tenants get a field error; nothing is created."""
    from django.contrib.auth.models import AnonymousUser

    w = world
    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    errors = assert_refused(user, make_draft(w, "direct"), "basics.subscription")
    assert "cannot create" in errors["basics.subscription"][0]


@pytest.mark.django_db
def test_pending_peer_asn_says_why(world):
    w = world
    w.peer_asn.validation_state = ValidationState.PENDING
    w.peer_asn.save()
    errors = assert_refused(w.owner, make_draft(w, "direct"), "basics.peer_asn")
    message = errors["basics.peer_asn"][0]
    assert "contoso-asn" in message and f"AS{ASN}" in message
    assert "Pending" in message and "not approved" in message


@pytest.mark.django_db
def test_failed_peer_asn_says_why(world):
    w = world
    w.peer_asn.validation_state = ValidationState.FAILED
    w.peer_asn.error_message = "The contact email does not match PeeringDB"
    w.peer_asn.save()
    errors = assert_refused(w.owner, make_draft(w, "direct"), "basics.peer_asn")
    message = errors["basics.peer_asn"][0]
    assert "failed validation" in message
    assert "The contact email does not match PeeringDB" in message


@pytest.mark.django_db
def test_basics_and_configuration_errors_reported_together(world):
    """Both tabs are checked at once; connections wait until basics and configuration pass."""
    w = world
    data = make_draft(w, "direct", name="bad name")
    data["configuration"]["sku"] = ""
    data["connections"][0]["bandwidth_mbps"] = "1"
    assert_refused(w.owner, data, "basics.name", also=("configuration.sku",))


@pytest.mark.django_db
def test_errors_of_one_tab_all_reported(world):
    w = world
    data = make_draft(w, "direct")
    data["connections"][0].update(bandwidth_mbps="1", session_prefix_v4="192.0.2.0/24")
    data["connections"].append(make_row(w, "direct", facility="", session_prefix_v4="192.0.2.2/31"))
    assert_refused(
        w.owner,
        data,
        "connections.0.bandwidth_mbps",
        also=("connections.0.session_prefix_v4", "connections.1.facility"),
    )


# --- Peering Service ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_peering_service_refused_on_basic_direct_even_with_agreement(world):
    """Issue 10, defect 3: only Direct for Peering Service (Premium Free) and the route server
    may carry Use for Peering Service; Basic Free Direct is refused with the way to get it."""
    w = world
    sign_agreement(w.subscription)
    rows = [
        make_row(w, "direct", use_for_peering_service="true"),
        make_row(w, "direct", facility=str(w.fac2.pk)),
    ]
    errors = assert_refused(
        w.owner, make_draft(w, "direct", rows=rows), "connections.0.use_for_peering_service"
    )
    assert "Premium Free" in errors["connections.0.use_for_peering_service"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["direct_peering_service", "route_server"])
def test_peering_service_flag_on_the_variants_that_allow_it(world, variant):
    w = world
    sign_agreement(w.subscription)
    data = make_draft(w, variant)
    data["connections"][0]["use_for_peering_service"] = "true"
    assert create(w, data).connections.get().use_for_peering_service is True


@pytest.mark.django_db
def test_peering_service_never_on_exchange_rows_even_with_agreement(world):
    w = world
    sign_agreement(w.subscription)
    data = make_draft(w, "exchange")
    data["connections"][0]["use_for_peering_service"] = True
    assert_refused(w.owner, data, "connections.0.use_for_peering_service")


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["voice", "route_server"])
def test_peering_service_flag_needs_agreement_on_every_direct_variant(world, variant):
    w = world
    data = make_draft(w, variant)
    data["connections"][0]["use_for_peering_service"] = "yes"
    assert_refused(w.owner, data, "connections.0.use_for_peering_service")


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "false", "off", "0", False, None])
def test_peering_service_flag_off_values(world, value):
    w = world
    data = make_draft(w, "direct")
    data["connections"][0]["use_for_peering_service"] = value
    assert create(w, data).connections.get().use_for_peering_service is False


# --- No address twice at the same facility or exchange ----------------------------------------


def other_tenant_peering(w, **kwargs):
    peer_asn = factories.PeerAsnFactory(
        subscription=w.other_subscription,
        name="northwind-asn",
        peer_asn=ASN + 1,
        validation_state=ValidationState.APPROVED,
    )
    return factories.PeeringFactory(
        subscription=w.other_subscription,
        peer_asn=peer_asn,
        peering_location=w.seattle,
        name="northwind-sea",
        **kwargs,
    )


@pytest.mark.django_db
def test_address_used_at_same_facility_by_another_tenant_refused(world):
    w = world
    factories.PeeringConnectionFactory(
        peering=other_tenant_peering(w, direct_peering_type="Edge"),
        direct_facility=w.fac,
        session_prefix_v4="192.0.2.0/31",
        peer_session_ipv4_address="192.0.2.0",
        microsoft_session_ipv4_address="192.0.2.1",
        connection_state=ConnectionState.ACTIVE,
    )
    errors = assert_refused(
        w.owner,
        make_draft(w, "direct"),
        "connections.0.peer_session_ipv4_address",
        also=("connections.0.microsoft_session_ipv4_address",),
    )
    assert "already used at Equinix SE2" in errors["connections.0.peer_session_ipv4_address"][0]


@pytest.mark.django_db
def test_address_used_at_same_facility_ipv6_spelled_differently_refused(world):
    w = world
    factories.PeeringConnectionFactory(
        peering=other_tenant_peering(w, direct_peering_type="Edge"),
        direct_facility=w.fac,
        session_prefix_v4="198.51.100.0/31",
        peer_session_ipv4_address="198.51.100.0",
        microsoft_session_ipv4_address="198.51.100.1",
        session_prefix_v6="2001:db8::/127",
        peer_session_ipv6_address="2001:db8::",
        microsoft_session_ipv6_address="2001:db8::1",
    )
    data = make_draft(w, "direct")
    data["connections"][0]["session_prefix_v6"] = "2001:0DB8:0:0::/127"
    assert_refused(
        w.owner,
        data,
        "connections.0.peer_session_ipv6_address",
        also=("connections.0.microsoft_session_ipv6_address",),
    )


@pytest.mark.django_db
def test_same_address_at_a_different_facility_allowed(world):
    w = world
    factories.PeeringConnectionFactory(
        peering=other_tenant_peering(w, direct_peering_type="Edge"),
        direct_facility=w.fac2,
        session_prefix_v4="192.0.2.0/31",
        peer_session_ipv4_address="192.0.2.0",
        microsoft_session_ipv4_address="192.0.2.1",
    )
    peering = create(w, make_draft(w, "direct"))
    assert peering.connections.get().peer_session_ipv4_address == "192.0.2.0"


@pytest.mark.django_db
def test_same_address_at_two_facilities_within_one_request_allowed(world):
    w = world
    rows = [make_row(w, "direct"), make_row(w, "direct", facility=str(w.fac2.pk))]
    assert create(w, make_draft(w, "direct", rows=rows)).connections.count() == 2


@pytest.mark.django_db
def test_address_of_a_connection_being_removed_may_be_reused(world):
    w = world
    factories.PeeringConnectionFactory(
        peering=other_tenant_peering(w, direct_peering_type="Edge"),
        direct_facility=w.fac,
        session_prefix_v4="192.0.2.0/31",
        peer_session_ipv4_address="192.0.2.0",
        microsoft_session_ipv4_address="192.0.2.1",
        connection_state=ConnectionState.PENDING_REMOVE,
    )
    assert create(w, make_draft(w, "direct")).connections.count() == 1


@pytest.mark.django_db
def test_address_used_by_own_earlier_peering_refused(world):
    w = world
    create(w, make_draft(w, "direct"))
    assert_refused(
        w.owner,
        make_draft(w, "direct", name="contoso-sea-2"),
        "connections.0.peer_session_ipv4_address",
        also=(
            "connections.0.microsoft_session_ipv4_address",
            "connections.0.peer_session_ipv6_address",
            "connections.0.microsoft_session_ipv6_address",
        ),
    )


def other_tenant_exchange_connection(w, **kwargs):
    values = {
        "direct_facility": None,
        "exchange": w.ix,
        "session_address_provider": "",
        "bandwidth_mbps": None,
        "session_prefix_v4": "198.32.134.0/24",
        "peer_session_ipv4_address": "198.32.134.20",
        "microsoft_session_ipv4_address": "198.32.134.152",
        "session_prefix_v6": "2001:504:12::/64",
        "peer_session_ipv6_address": "2001:504:12::20",
        "microsoft_session_ipv6_address": "2001:504:12::15",
    }
    values.update(kwargs)
    return factories.PeeringConnectionFactory(
        peering=other_tenant_peering(w, kind=Kind.EXCHANGE, sku_name="Basic_Exchange_Free"),
        **values,
    )


@pytest.mark.django_db
def test_microsofts_shared_exchange_address_is_not_a_clash(world):
    w = world
    other_tenant_exchange_connection(w)
    peering = create(w, make_draft(w, "exchange"))
    assert peering.connections.get().microsoft_session_ipv4_address == "198.32.134.152"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field_name", "value"),
    [
        ("peer_session_ipv4_address", "198.32.134.20"),
        ("peer_session_ipv6_address", "2001:504:12::20"),
        ("peer_session_ipv6_address", "2001:504:12:0:0:0:0:20"),
    ],
)
def test_exchange_address_used_by_another_tenant_refused(world, field_name, value):
    w = world
    other_tenant_exchange_connection(w)
    data = make_draft(w, "exchange")
    data["connections"][0][field_name] = value
    assert_refused(w.owner, data, f"connections.0.{field_name}")


@pytest.mark.django_db
def test_exchange_address_of_another_asns_unconverted_legacy_peering_refused(world):
    w = world
    LegacyPeering.objects.create(
        peer_asn=ASN + 7,
        peering_location=w.seattle,
        kind="Exchange",
        exchange=w.ix,
        peer_session_ipv4_address="198.32.134.10",
    )
    assert_refused(w.owner, make_draft(w, "exchange"), "connections.0.peer_session_ipv4_address")


@pytest.mark.django_db
def test_same_exchange_address_on_another_exchange_allowed(world):
    """The LAN addresses differ per exchange; the check is per exchange, not global."""
    w = world
    other_tenant_exchange_connection(
        w,
        exchange=w.ix2,
        session_prefix_v4="206.81.80.0/22",
        peer_session_ipv4_address="206.81.81.20",
        microsoft_session_ipv4_address="206.81.80.40",
        session_prefix_v6="",
        peer_session_ipv6_address=None,
        microsoft_session_ipv6_address=None,
    )
    assert create(w, make_draft(w, "exchange")).connections.count() == 1


# IPv6 zone identifiers ("%eth0") survive parse_address and make the same address look different.


@pytest.mark.django_db
def test_exchange_microsofts_ipv6_with_zone_id_refused(world):
    w = world
    data = make_draft(w, "exchange")
    data["connections"][0]["peer_session_ipv6_address"] = "2001:504:12::15%1"
    assert_refused(w.owner, data, "connections.0.peer_session_ipv6_address")


@pytest.mark.django_db
def test_exchange_ipv6_used_by_another_tenant_with_zone_id_refused(world):
    w = world
    other_tenant_exchange_connection(w)
    data = make_draft(w, "exchange")
    data["connections"][0]["peer_session_ipv6_address"] = "2001:504:12::20%eth0"
    assert_refused(w.owner, data, "connections.0.peer_session_ipv6_address")


# --- Legacy peerings are converted with the new resource --------------------------------------


@pytest.fixture
def legacy(world):
    w = world
    make = LegacyPeering.objects.create
    return SimpleNamespace(
        ix=make(
            peer_asn=ASN,
            peering_location=w.seattle,
            kind="Exchange",
            exchange=w.ix,
            peer_session_ipv4_address="198.32.134.50",
            peer_session_ipv6_address="2001:504:12::50",
            max_prefixes_advertised_v4=1500,
            max_prefixes_advertised_v6=150,
        ),
        ix2=make(
            peer_asn=ASN,
            peering_location=w.seattle,
            kind="Exchange",
            exchange=w.ix2,
            peer_session_ipv4_address="206.81.81.50",
            max_prefixes_advertised_v4=500,
        ),
        # Not converted: another ASN, another metro, Direct, already converted.
        other_asn=make(
            peer_asn=ASN + 1,
            peering_location=w.seattle,
            kind="Exchange",
            exchange=w.ix,
            peer_session_ipv4_address="198.32.134.60",
        ),
        other_metro=make(
            peer_asn=ASN,
            peering_location=w.chicago,
            kind="Exchange",
            exchange=w.ix_chicago,
            peer_session_ipv4_address="208.115.136.50",
        ),
        direct=make(
            peer_asn=ASN,
            peering_location=w.seattle,
            kind="Direct",
            direct_facility=w.fac,
            peer_session_ipv4_address="192.0.2.100",
        ),
    )


@pytest.mark.django_db
def test_exchange_with_only_legacy_rows_converts_them(world, legacy):
    w = world
    before = counts()
    peering = create(w, make_draft(w, "exchange", rows=[]))
    connections = list(peering.connections.order_by("id"))
    assert len(connections) == 2
    by_exchange = {c.exchange: c for c in connections}
    first, second = by_exchange[w.ix], by_exchange[w.ix2]
    for conn in connections:
        assert conn.is_legacy is True
        assert conn.connection_state == ConnectionState.ACTIVE
        assert conn.session_state_v4 == SessionState.ESTABLISHED
        assert conn.direct_facility is None
    assert first.peer_session_ipv4_address == "198.32.134.50"
    assert first.microsoft_session_ipv4_address == "198.32.134.152"
    assert first.session_prefix_v4 == "198.32.134.0/24"
    assert first.peer_session_ipv6_address == "2001:504:12::50"
    assert first.microsoft_session_ipv6_address == "2001:504:12::15"
    assert first.session_state_v6 == SessionState.ESTABLISHED
    assert (first.max_prefixes_advertised_v4, first.max_prefixes_advertised_v6) == (1500, 150)
    assert second.peer_session_ipv6_address is None
    assert second.session_state_v6 == SessionState.NONE
    assert second.microsoft_session_ipv4_address == "206.81.80.40"

    for record in (legacy.ix, legacy.ix2):
        record.refresh_from_db()
        assert record.converted_to == peering
        assert record.converted_at is not None
    for record in (legacy.other_asn, legacy.other_metro, legacy.direct):
        record.refresh_from_db()
        assert record.converted_to is None
    after = counts()
    assert after["converted"] == before["converted"] + 2
    assert after["connections"] == before["connections"] + 2
    entry = ActivityLog.objects.get(operation_display="Create peering")
    assert "2 converted legacy connection(s)" in entry.message


@pytest.mark.django_db
def test_exchange_with_legacy_and_new_rows(world, legacy):
    w = world
    peering = create(w, make_draft(w, "exchange"))
    new = peering.connections.get(is_legacy=False)
    assert new.connection_state == ConnectionState.PENDING_APPROVAL
    assert new.peer_session_ipv4_address == "198.32.134.10"
    assert peering.connections.filter(is_legacy=True).count() == 2


@pytest.mark.django_db
def test_legacy_peerings_are_converted_only_once(world, legacy):
    w = world
    first = create(w, make_draft(w, "exchange", rows=[]))
    # Nothing left to convert, and no new rows: refused.
    assert_refused(w.owner, make_draft(w, "exchange", rows=[], name="again"), "connections")
    legacy.ix.refresh_from_db()
    assert legacy.ix.converted_to == first


@pytest.mark.django_db
def test_new_row_may_not_take_a_legacy_address(world, legacy):
    w = world
    data = make_draft(w, "exchange")
    data["connections"][0]["peer_session_ipv4_address"] = "198.32.134.60"  # another ASN's legacy
    assert_refused(w.owner, data, "connections.0.peer_session_ipv4_address")
    assert LegacyPeering.objects.filter(converted_to__isnull=False).count() == 0


@pytest.mark.django_db
def test_direct_peering_does_not_convert_legacy_exchange_peerings(world, legacy):
    w = world
    peering = create(w, make_draft(w, "direct"))
    assert peering.connections.filter(is_legacy=True).count() == 0
    assert LegacyPeering.objects.filter(converted_to__isnull=False).count() == 0


@pytest.mark.django_db
def test_refused_exchange_create_converts_nothing(world, legacy):
    w = world
    data = make_draft(w, "exchange", name="bad name")
    assert_refused(w.owner, data, "basics.name")
    legacy.ix.refresh_from_db()
    assert legacy.ix.converted_to is None


@pytest.mark.django_db
def test_legacy_converted_only_in_the_chosen_metro(world, legacy):
    w = world
    data = make_draft(w, "exchange", rows=[])
    data["configuration"]["metro"] = "Chicago"
    # Chicago has one legacy peering of this ASN: converted, zero new rows allowed.
    peering = create(w, data)
    assert [c.exchange for c in peering.connections.all()] == [w.ix_chicago]


# --- Fuzz: any typed value gives a result or errors, never a crash -----------------------------

ROW_FIELDS = (
    "session_prefix_v4",
    "peer_session_ipv4_address",
    "microsoft_session_ipv4_address",
    "session_prefix_v6",
    "peer_session_ipv6_address",
    "microsoft_session_ipv6_address",
    "max_prefixes_advertised_v4",
    "max_prefixes_advertised_v6",
)
_plausible = st.sampled_from(
    [
        "",
        "192.0.2.0/31",
        "192.0.2.0/30",
        "192.0.2.1/30",
        "192.0.2.0",
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.3",
        "2001:db8::/127",
        "2001:db8::/126",
        "2001:db8::",
        "2001:db8::1",
        "2001:db8::3",
        "198.32.134.10",
        "198.32.134.152",
        "198.32.134.255",
        "2001:504:12::10",
        "2001:504:12::15",
        "2001:504:12::15%1",
        "206.81.80.0/22",
        "206.81.80.1",
        "206.81.80.209",
        "::ffff:192.0.2.1",
        "0",
        "1",
        "2000",
        "2001",
        "20000",
        "20001",
    ]
)
_value = st.one_of(
    _plausible,
    st.text(max_size=40),
    st.text(alphabet="0123456789abcdef.:/% ", max_size=45),
    st.ip_addresses().map(str),
    st.builds(lambda a, n: f"{a}/{n}", st.ip_addresses(), st.integers(min_value=0, max_value=130)),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.none(),
    st.booleans(),
    st.floats(),
    st.lists(st.integers(), max_size=2),
)
_overrides = st.dictionaries(
    st.sampled_from(
        (*ROW_FIELDS, "bandwidth_mbps", "session_address_provider", "use_for_peering_service")
    ),
    _value,
    max_size=len(ROW_FIELDS) + 3,
)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _validate_and_create(w, data):
    """peering_validate answers; peering_create agrees, and writes all or nothing."""
    with transaction.atomic():
        before = counts()
        result, errors = draft_validate(user=w.owner, data=copy.deepcopy(data))
        assert (result is None) == bool(errors)
        try:
            peering = draft_create(user=w.owner, data=copy.deepcopy(data))
        except ValidationError as exc:
            assert result is None, exc.message_dict
            assert set(exc.message_dict) == set(errors)
            assert counts() == before
        else:
            assert result is not None, dict(errors)
            assert isinstance(peering, Peering)
            peering.refresh_from_db()
            assert peering.connections.count() == len(data["connections"])
            for conn in peering.connections.all():
                for name in ("peer_session_ipv4_address", "microsoft_session_ipv4_address"):
                    value = getattr(conn, name)
                    if value:
                        assert ipaddress.ip_address(value) in ipaddress.ip_network(
                            conn.session_prefix_v4
                        )
                for name in ("peer_session_ipv6_address", "microsoft_session_ipv6_address"):
                    value = getattr(conn, name)
                    if value:
                        assert ipaddress.ip_address(value) in ipaddress.ip_network(
                            conn.session_prefix_v6
                        )
                if conn.peer_session_ipv4_address:
                    assert conn.peer_session_ipv4_address != conn.microsoft_session_ipv4_address
                if conn.peer_session_ipv6_address:
                    assert ipaddress.ip_address(conn.peer_session_ipv6_address) != (
                        ipaddress.ip_address(conn.microsoft_session_ipv6_address)
                    )
                if conn.max_prefixes_advertised_v4 is not None:
                    assert 1 <= conn.max_prefixes_advertised_v4 <= 20000
                if conn.max_prefixes_advertised_v6 is not None:
                    assert 1 <= conn.max_prefixes_advertised_v6 <= 2000
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("variant", VARIANTS)
@FUZZ
@given(overrides=_overrides)
@example(overrides={"session_prefix_v4": "192.0.2.0/0.0.0.1"})
@example(overrides={"peer_session_ipv6_address": "2001:504:12::15%1"})
@example(overrides={"session_prefix_v6": "2001:db8::%1/127"})
@example(overrides={"peer_session_ipv4_address": "\x00"})
@example(overrides={"max_prefixes_advertised_v4": 10**30})
def test_fuzz_connection_fields(world, variant, overrides):
    w = world
    data = make_draft(w, variant)
    data["connections"][0].update(overrides)
    _validate_and_create(w, data)


@pytest.mark.django_db
@FUZZ
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "facility": st.sampled_from(["ix", "ix2", "ix_v4_only"]),
                "peer_session_ipv4_address": st.sampled_from(
                    ["", "198.32.134.10", "198.32.134.11", "206.81.81.20", "203.0.113.10"]
                ),
                "peer_session_ipv6_address": st.sampled_from(
                    ["", "2001:504:12::10", "2001:504:12:0::10", "2001:504:16::10"]
                ),
            }
        ),
        max_size=4,
    )
)
def test_fuzz_exchange_rows_never_share_an_address(world, rows):
    """Any mix of rows: refused, or saved with no address twice at the same exchange."""
    w = world
    data = make_draft(
        w,
        "exchange",
        rows=[
            make_row(
                w,
                "exchange",
                facility=str(getattr(w, r["facility"]).pk),
                peer_session_ipv4_address=r["peer_session_ipv4_address"],
                peer_session_ipv6_address=r["peer_session_ipv6_address"],
            )
            for r in rows
        ],
    )
    with transaction.atomic():
        try:
            peering = draft_create(user=w.owner, data=data)
        except ValidationError as exc:
            assert exc.message_dict
        else:
            seen = set()
            for conn in peering.connections.all():
                for value in (conn.peer_session_ipv4_address, conn.peer_session_ipv6_address):
                    if value:
                        key = (conn.exchange_id, ipaddress.ip_address(value))
                        assert key not in seen
                        seen.add(key)
        transaction.set_rollback(True)


@pytest.mark.django_db
@FUZZ
@given(
    section=st.sampled_from(["basics", "configuration"]),
    field_name=st.sampled_from(
        [
            "subscription",
            "resource_group",
            "new_resource_group",
            "region",
            "name",
            "peer_asn",
            "peering_type",
            "microsoft_network",
            "sku",
            "metro",
        ]
    ),
    value=_value,
)
@example(section="basics", field_name="name", value="contoso\x00sea")
@example(section="basics", field_name="subscription", value=["x"])
def test_fuzz_basics_and_configuration(world, section, field_name, value):
    w = world
    data = make_draft(w, "direct")
    data[section][field_name] = value
    _validate_and_create(w, data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [None, [], "draft", {}, {"basics": [], "configuration": "x", "connections": {}}],
    ids=["none", "list", "str", "empty", "wrong-types"],
)
def test_malformed_draft_is_refused_not_crashed(world, data):
    w = world
    before = counts()
    result, errors = draft_validate(user=w.owner, data=data)
    assert result is None and errors
    with pytest.raises(ValidationError):
        draft_create(user=w.owner, data=data)
    assert counts() == before


@pytest.mark.django_db
def test_non_dict_connection_row_refused(world):
    w = world
    data = make_draft(w, "direct")
    data["connections"] = ["192.0.2.0/31"]
    errors = assert_refused(
        w.owner,
        data,
        "connections.0.facility",
        also=(
            "connections.0.session_address_provider",
            "connections.0.bandwidth_mbps",
        ),
    )
    assert errors


@pytest.mark.django_db
def test_direct_address_of_an_unconverted_legacy_peering_at_the_facility_refused(world):
    w = world
    LegacyPeering.objects.create(
        peer_asn=ASN + 7,
        peering_location=w.seattle,
        kind="Direct",
        direct_facility=w.fac,
        peer_session_ipv4_address="192.0.2.0",
        microsoft_session_ipv4_address="192.0.2.1",
    )
    data = make_draft(w, "direct")
    data["connections"][0].update(session_prefix_v6="", max_prefixes_advertised_v6="")
    assert_refused(
        w.owner,
        data,
        "connections.0.peer_session_ipv4_address",
        also=("connections.0.microsoft_session_ipv4_address",),
    )


# --- Races between validation and the write ---------------------------------------------------


def _race(monkeypatch, before_write):
    """Run `before_write` after peering_create has validated, as a concurrent request would."""
    from peering.services import peerings as service

    original = service.peering_validate

    def validate_then_race(**kwargs):
        result = original(**kwargs)
        before_write()
        return result

    monkeypatch.setattr(service, "peering_validate", validate_then_race)


@pytest.mark.django_db
def test_peering_name_taken_concurrently_refused_cleanly(world, monkeypatch):
    w = world
    _race(
        monkeypatch,
        lambda: factories.PeeringFactory(
            subscription=w.subscription,
            resource_group=w.rg,
            name="Contoso-Sea",
            peer_asn=w.peer_asn,
        ),
    )
    data = make_draft(w, "direct")
    before = counts()
    with pytest.raises(ValidationError) as info:
        draft_create(user=w.owner, data=data)
    assert set(info.value.message_dict) == {"basics.name"}
    after = counts()
    assert after["peerings"] == before["peerings"] + 1  # only the concurrent one
    assert after["connections"] == before["connections"]
    assert after["activity"] == before["activity"]


@pytest.mark.django_db
def test_address_taken_concurrently_refused_cleanly(world, monkeypatch):
    w = world
    _race(
        monkeypatch,
        lambda: factories.PeeringConnectionFactory(
            peering=other_tenant_peering(w, direct_peering_type="Edge"),
            direct_facility=w.fac,
            session_prefix_v4="192.0.2.0/31",
            peer_session_ipv4_address="192.0.2.0",
            microsoft_session_ipv4_address="192.0.2.1",
        ),
    )
    with pytest.raises(ValidationError) as info:
        draft_create(user=w.owner, data=make_draft(w, "direct"))
    assert "connections.0.peer_session_ipv4_address" in info.value.message_dict
    assert not Peering.objects.filter(name="contoso-sea").exists()


@pytest.mark.django_db
def test_new_resource_group_taken_concurrently_blames_the_group(world, monkeypatch):
    w = world
    _race(
        monkeypatch,
        lambda: factories.ResourceGroupFactory(
            subscription=w.subscription, name="RG-NEW", region=w.region
        ),
    )
    data = make_draft(w, "direct", resource_group="", new_resource_group="rg-new", region="eastus")
    with pytest.raises(ValidationError) as info:
        draft_create(user=w.owner, data=data)
    assert not Peering.objects.exists()
    assert set(info.value.message_dict) == {"basics.new_resource_group"}


@pytest.mark.django_db
def test_basics_accept_uppercase_guid_and_surrounding_spaces(world):
    w = world
    data = make_draft(
        w,
        "direct",
        subscription=f" {str(w.subscription.pk).upper()} ",
        resource_group=" rg-peering ",
        name=" contoso-sea ",
        peer_asn=" contoso-asn ",
    )
    data["configuration"]["metro"] = " seattle "
    peering = create(w, data)
    assert (peering.subscription, peering.name, peering.peering_location) == (
        w.subscription,
        "contoso-sea",
        w.seattle,
    )
