"""`load_reference_data` and `seed_demo`: idempotent, checked, and built through the services."""

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from peering.enums import ConnectionState, SessionState, ValidationState
from peering.management.commands.load_reference_data import DEFAULT_DIR
from peering.management.commands.seed_demo import (
    CONTOSO_IX_ASN,
    DEMO_PASSWORD,
    FABRIKAM_ASN,
    FABRIKAM_PREFIX,
    demo_subscription_id,
)
from peering.models import (
    ConnectionTransition,
    DirectFacility,
    Exchange,
    PeerAsn,
    Peering,
    PeeringConnection,
    PeeringLocation,
    PeeringService,
    PeeringServiceLocation,
    PeeringServiceProvider,
    PeeringServiceProviderLocation,
    ReceivedRoute,
    RegisteredAsn,
)
from portal.models import (
    ActivityLog,
    AzureRegion,
    Notification,
    ResourceGroup,
    Role,
    RoleAssignment,
    Subscription,
)

REFERENCE_MODELS = (
    AzureRegion,
    PeeringLocation,
    DirectFacility,
    Exchange,
    PeeringServiceProvider,
    PeeringServiceProviderLocation,
    PeeringServiceLocation,
)


def counts(models) -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in models}


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def expected_reference_counts() -> dict[str, int]:
    regions = json.loads((DEFAULT_DIR / "azure-regions.json").read_text())["regions"]
    metros = json.loads((DEFAULT_DIR / "peering-locations.json").read_text())["metros"]
    service = json.loads((DEFAULT_DIR / "peering-service.json").read_text())
    return {
        "portal.AzureRegion": len(regions),
        "peering.PeeringLocation": len(metros),
        "peering.DirectFacility": sum(len(m["direct"]) for m in metros),
        "peering.Exchange": sum(len(m["exchange"]) for m in metros),
        "peering.PeeringServiceProvider": len(service["providers"]),
        "peering.PeeringServiceProviderLocation": sum(
            len(p["peering_locations"]) for p in service["providers"]
        ),
        "peering.PeeringServiceLocation": len(service["locations"]),
    }


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A writable copy of the shipped reference files."""
    for path in DEFAULT_DIR.glob("*.json"):
        shutil.copyfile(path, tmp_path / path.name)
    return tmp_path


def edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


# --- load_reference_data ------------------------------------------------------------------


@pytest.mark.django_db
def test_reference_data_files_ship_inside_the_app():
    assert Path(__file__).resolve().parents[3] / "peering" / "reference_data" == DEFAULT_DIR
    assert sorted(p.name for p in DEFAULT_DIR.glob("*.json")) == [
        "azure-regions.json",
        "peering-locations.json",
        "peering-service.json",
    ]


@pytest.mark.django_db
def test_load_reference_data_twice_gives_the_same_rows():
    first_output = run("load_reference_data")
    first = counts(REFERENCE_MODELS)
    assert first == expected_reference_counts()
    snapshot = list(Exchange.objects.values())

    second_output = run("load_reference_data")
    assert counts(REFERENCE_MODELS) == first
    assert list(Exchange.objects.values()) == snapshot
    assert "0 created, 0 updated" in second_output
    assert " created, 0 updated, 0 unchanged" in first_output


@pytest.mark.django_db
def test_load_reference_data_links_regions_and_facilities():
    run("load_reference_data")
    seattle = PeeringLocation.objects.get(name="Seattle")
    assert seattle.azure_region.name == "westus2"
    facility = seattle.direct_facilities.get(name="Westin Building Exchange")
    assert facility.direct_peering_types == ["Edge", "IxRs", "Voice"]
    assert facility.bandwidth_offers_mbps == [10000, 100000]
    assert facility.source == "docs"
    exchange = seattle.exchanges.get(name="Equinix Seattle")
    assert exchange.microsoft_ipv4_address == "198.32.134.152"
    assert PeeringServiceProvider.objects.get(name="DE-CIX").kind == "exchange"
    assert set(
        PeeringServiceProviderLocation.objects.filter(provider__name="AMS-IX").values_list(
            "name", flat=True
        )
    ) == {"Amsterdam"}
    assert PeeringServiceLocation.objects.get(state="Washington").azure_region.name == "westus2"


@pytest.mark.django_db
def test_load_reference_data_updates_a_changed_row(data_dir):
    run("load_reference_data", path=str(data_dir))
    edit(
        data_dir / "azure-regions.json",
        lambda d: d["regions"][0].update(display_name="East US (renamed)"),
    )
    output = run("load_reference_data", path=str(data_dir))
    assert AzureRegion.objects.get(name="eastus").display_name == "East US (renamed)"
    assert "1 updated" in output
    assert counts(REFERENCE_MODELS) == expected_reference_counts()


@pytest.mark.django_db
def test_exchange_address_outside_the_lan_is_refused_and_nothing_is_written(data_dir):
    def break_six(data):
        seattle = next(m for m in data["metros"] if m["name"] == "Seattle")
        six = next(e for e in seattle["exchange"] if e["name"] == "SIX Seattle")
        six["microsoft_ipv4_address"] = "10.1.2.3"

    edit(data_dir / "peering-locations.json", break_six)
    with pytest.raises(CommandError) as info:
        run("load_reference_data", path=str(data_dir))
    message = str(info.value)
    assert "peering-locations.json" in message
    assert "Seattle" in message and "SIX Seattle" in message
    assert "microsoft_ipv4_address" in message and "10.1.2.3" in message
    assert "outside" in message
    assert all(n == 0 for n in counts(REFERENCE_MODELS).values())


@pytest.mark.parametrize(
    ("filename", "change", "expected"),
    [
        (
            "peering-locations.json",
            lambda d: d["metros"][0].update(azure_region="atlantis"),
            "azure_region 'atlantis' is not a known Azure region",
        ),
        (
            "peering-locations.json",
            lambda d: d["metros"][0]["direct"][0].update(direct_peering_types=["Edge", "Warp"]),
            "Warp",
        ),
        (
            "peering-locations.json",
            lambda d: d["metros"][0]["exchange"][0].update(ipv4_prefix="198.32.134.1/24"),
            "host bits",
        ),
        (
            "peering-service.json",
            lambda d: d["providers"][0].update(kind="carrier"),
            "'kind' must be one of",
        ),
        (
            "azure-regions.json",
            lambda d: d["regions"].append(dict(d["regions"][0])),
            "listed twice",
        ),
    ],
    ids=["unknown-region", "unknown-type", "host-bits", "bad-kind", "duplicate"],
)
@pytest.mark.django_db
def test_bad_rows_are_named(data_dir, filename, change, expected):
    edit(data_dir / filename, change)
    with pytest.raises(CommandError) as info:
        run("load_reference_data", path=str(data_dir))
    assert filename in str(info.value)
    assert expected in str(info.value)


@pytest.mark.django_db
def test_missing_or_broken_files_are_a_command_error(data_dir):
    (data_dir / "peering-service.json").write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        run("load_reference_data", path=str(data_dir))
    (data_dir / "peering-service.json").unlink()
    with pytest.raises(CommandError, match="not found"):
        run("load_reference_data", path=str(data_dir))
    with pytest.raises(CommandError, match="not a directory"):
        run("load_reference_data", path=str(data_dir / "nowhere"))


# --- seed_demo ----------------------------------------------------------------------------

SEED_MODELS = (
    *REFERENCE_MODELS,
    Subscription,
    RoleAssignment,
    ResourceGroup,
    PeerAsn,
    ActivityLog,
    Notification,
    Peering,
    PeeringConnection,
    ConnectionTransition,
    RegisteredAsn,
    ReceivedRoute,
    PeeringService,
)


@pytest.fixture
def seeded(db, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        output = run("seed_demo")
    return output


def test_seed_demo_builds_the_demo_world(seeded, client, mailoutbox):
    User = get_user_model()
    for username in ("operator", "exchange", "customer", "other", "reader"):
        assert client.login(username=username, password=DEMO_PASSWORD), username
        client.logout()
    operator = User.objects.get(username="operator")
    assert operator.is_staff and operator.is_superuser

    contoso = Subscription.objects.get(id=demo_subscription_id("Contoso IX"))
    assert contoso.display_name == "Contoso IX"
    assert contoso.peering_service_agreement_signed is True
    fabrikam = Subscription.objects.get(display_name="Fabrikam")
    assert fabrikam.id == demo_subscription_id("Fabrikam")
    northwind = Subscription.objects.get(display_name="Northwind Exchange")

    def role(username, subscription):
        return RoleAssignment.objects.get(user__username=username, subscription=subscription).role

    assert role("exchange", contoso) == Role.OWNER
    assert role("reader", contoso) == Role.READER
    assert role("customer", fabrikam) == Role.OWNER
    assert role("other", northwind) == Role.OWNER
    assert not RoleAssignment.objects.filter(user__username="other", subscription=contoso).exists()

    group = ResourceGroup.objects.get(subscription=contoso, name="contoso-ix-peering")
    assert group.region.name == "eastus"
    assert ResourceGroup.objects.filter(subscription=fabrikam).exists()
    assert ResourceGroup.objects.filter(subscription=northwind).exists()

    asn = PeerAsn.objects.get(subscription=contoso, name="contoso-ix-asn")
    assert asn.validation_state == ValidationState.APPROVED
    assert asn.peer_name == "Contoso IX"
    assert asn.created_by.username == "exchange"
    assert asn.decided_by == operator
    assert asn.contacts.filter(role="Noc", email="noc@contoso-ix.example").exists()
    assert PeerAsn.objects.get(subscription=northwind).validation_state == ValidationState.APPROVED

    # Through the services: the activity log and the approval emails exist.
    assert ActivityLog.objects.filter(subscription=contoso, caller="operator").exists()
    assert ActivityLog.objects.filter(
        subscription=contoso, operation__contains="resourceGroups"
    ).exists()
    assert {tuple(sorted(m.to)) for m in mailoutbox} >= {
        ("noc@contoso-ix.example", "peering@contoso-ix.example")
    }

    for text in ("operator", "exchange", "customer", "other", "reader", DEMO_PASSWORD):
        assert text in seeded


def test_seed_demo_twice_changes_nothing(
    seeded, client, mailoutbox, django_capture_on_commit_callbacks
):
    before = counts(SEED_MODELS)
    users = list(get_user_model().objects.order_by("pk").values())
    registered = list(RegisteredAsn.objects.values())
    routes = list(ReceivedRoute.objects.order_by("pk").values())
    connections = list(PeeringConnection.objects.order_by("pk").values())
    mails = len(mailoutbox)

    with django_capture_on_commit_callbacks(execute=True):
        output = run("seed_demo")

    assert counts(SEED_MODELS) == before
    assert list(get_user_model().objects.order_by("pk").values()) == users
    assert list(RegisteredAsn.objects.values()) == registered
    assert list(ReceivedRoute.objects.order_by("pk").values()) == routes
    assert list(PeeringConnection.objects.order_by("pk").values()) == connections
    assert len(mailoutbox) == mails
    assert "Created" not in output and "Approved Peer ASN" not in output
    assert "peering-demo" in output  # the logins table again
    assert client.login(username="exchange", password=DEMO_PASSWORD)


def test_seed_demo_keeps_a_changed_password_unless_asked(seeded, client):
    user = get_user_model().objects.get(username="customer")
    user.set_password("my-own-secret-9")
    user.save()

    run("seed_demo")
    assert client.login(username="customer", password="my-own-secret-9")
    client.logout()

    run("seed_demo", reset_passwords=True)
    assert client.login(username="customer", password=DEMO_PASSWORD)


def test_seed_demo_leaves_an_operator_decision_alone(seeded):
    asn = PeerAsn.objects.get(name="northwind-asn")
    PeerAsn.objects.filter(pk=asn.pk).update(
        validation_state=ValidationState.FAILED, error_message="Rejected while demonstrating."
    )
    run("seed_demo")
    asn.refresh_from_db()
    assert asn.validation_state == ValidationState.FAILED


# --- seed_demo: the Peering Service story -------------------------------------------------


def test_seed_demo_makes_contoso_ix_a_peering_service_provider(seeded):
    provider = PeeringServiceProvider.objects.get(name="Contoso IX")
    assert provider.kind == PeeringServiceProvider.ProviderKind.EXCHANGE
    assert provider.asn == CONTOSO_IX_ASN
    assert PeerAsn.objects.get(name="contoso-ix-asn").peer_asn == CONTOSO_IX_ASN
    assert "Seattle" in set(provider.peering_locations.values_list("name", flat=True))
    # The reference file is left alone: the demo provider exists only in the database.
    service = json.loads((DEFAULT_DIR / "peering-service.json").read_text())
    assert "Contoso IX" not in {p["name"] for p in service["providers"]}


def test_seed_demo_route_server_peering_is_active(seeded):
    contoso = Subscription.objects.get(id=demo_subscription_id("Contoso IX"))
    peering = Peering.objects.get(subscription=contoso, name="contoso-ix-seattle")
    assert (peering.kind, peering.sku_name, peering.direct_peering_type) == (
        "Direct",
        "Premium_Direct_Free",
        "IxRs",
    )
    assert peering.peering_location.name == "Seattle"
    assert peering.created_by.username == "exchange"
    assert peering.resource_group.name == "contoso-ix-peering"
    connections = list(peering.connections.order_by("id"))
    assert len(connections) == 2
    assert len({c.peer_session_ipv4_address for c in connections}) == 2
    for connection in connections:
        assert connection.direct_facility.name == "Westin Building Exchange"
        assert connection.connection_state == ConnectionState.ACTIVE
        assert connection.session_state_v4 == SessionState.ESTABLISHED
        assert connection.use_for_peering_service is True
        assert connection.session_address_provider == "Peer"
        # Moved by the operator through the state machine, one recorded step at a time.
        steps = list(connection.transitions.order_by("id").values_list("to_state", "user"))
        assert [to for to, _ in steps][-1] == ConnectionState.ACTIVE
        assert len(steps) == 5
        operator = get_user_model().objects.get(username="operator")
        assert {user for _, user in steps} == {operator.pk}


def test_seed_demo_registers_fabrikam_and_loads_its_routes(seeded):
    registered = RegisteredAsn.objects.get(asn=FABRIKAM_ASN)
    assert registered.name == "fabrikam"
    assert registered.peering.name == "contoso-ix-seattle"
    assert registered.created_by.username == "exchange"
    assert registered.prefix_key.version == 4
    routes = ReceivedRoute.objects.filter(connection__peering=registered.peering)
    assert routes.count() == 2
    assert {r.connection_id for r in routes} == set(
        registered.peering.connections.values_list("id", flat=True)
    )
    for route in routes:
        assert route.prefix == FABRIKAM_PREFIX
        assert route.origin_as == FABRIKAM_ASN
        assert route.as_path == f"{CONTOSO_IX_ASN} {FABRIKAM_ASN}"
        assert "8075:8007" in route.communities
        assert route.next_hop == route.connection.peer_session_ipv4_address
    # The customer creates its own Peering Service in the demo.
    assert not PeeringService.objects.exists()
    # Where to find the key is printed, the key itself never.
    assert "Registered ASNs" in seeded
    assert str(registered.prefix_key) not in seeded
    assert str(registered.prefix_key).upper() not in seeded
    assert ActivityLog.objects.filter(operation_display="Add registered ASN").count() == 1
    assert ActivityLog.objects.filter(operation_display="Import received routes").count() == 2


def test_seed_demo_story_lets_the_customer_verify_a_prefix(
    seeded, django_capture_on_commit_callbacks
):
    """The demo's last step, through the services: Fabrikam redeems the key."""
    from peering.contracts import PeeringServiceInput, PrefixInput
    from peering.services.peering_services import peering_service_create

    customer = get_user_model().objects.get(username="customer")
    fabrikam = Subscription.objects.get(id=demo_subscription_id("Fabrikam"))
    key = str(RegisteredAsn.objects.get(asn=FABRIKAM_ASN).prefix_key)
    with django_capture_on_commit_callbacks(execute=True):
        location = PeeringServiceLocation.objects.get(state="Washington")
        service = peering_service_create(
            user=customer,
            subscription=fabrikam,
            data=PeeringServiceInput(
                resource_group=ResourceGroup.objects.get(subscription=fabrikam).name,
                name="fabrikam-peering-service",
                peering_service_location=f"{location.state}, {location.country}",
                peering_service_provider=PeeringServiceProvider.objects.get(name="Contoso IX").name,
                provider_primary_peering_location="Seattle",
                prefixes=[
                    PrefixInput(
                        name="fabrikam-web", prefix=FABRIKAM_PREFIX, peering_service_prefix_key=key
                    )
                ],
            ),
        )
    prefix = service.prefixes.get()
    assert prefix.validation_state == "Verified", prefix.error_message
    assert prefix.learned_type == "ViaServiceProvider"


def test_seed_demo_leaves_an_operator_moved_connection_alone(seeded):
    connection = PeeringConnection.objects.filter(peering__name="contoso-ix-seattle").first()
    PeeringConnection.objects.filter(pk=connection.pk).update(
        connection_state=ConnectionState.EXTERNAL_BLOCKER, error_message="Demo blocker."
    )
    output = run("seed_demo")
    connection.refresh_from_db()
    assert connection.connection_state == ConnectionState.EXTERNAL_BLOCKER
    assert "Moved" not in output


def test_seed_demo_completes_a_half_provisioned_connection(
    seeded, django_capture_on_commit_callbacks
):
    connection = PeeringConnection.objects.filter(peering__name="contoso-ix-seattle").first()
    PeeringConnection.objects.filter(pk=connection.pk).update(
        connection_state=ConnectionState.PROVISIONING_STARTED
    )
    with django_capture_on_commit_callbacks(execute=True):
        output = run("seed_demo")
    connection.refresh_from_db()
    assert connection.connection_state == ConnectionState.ACTIVE
    assert "to Active" in output
