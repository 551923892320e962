"""The customer's Peering Service (product.md §3.9–3.10, portal-workflow-facts.md §4d): create,
prefixes (Pending until validated), the wrong-key throttle, delete."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from peering.contracts import PeeringServiceInput, PrefixInput
from peering.models import (
    PeeringService,
    PeeringServicePrefix,
    PrefixKeyAttempt,
    PrefixValidationState,
)
from peering.services import peering_services as ps
from peering.services import prefix_validation as pv
from peering.services.peering_services import (
    MAX_PREFIXES_PER_REQUEST,
    WRONG_KEY_LIMIT,
    WRONG_KEY_WINDOW,
    peering_service_create,
    peering_service_delete,
    peering_service_prefix_add,
    peering_service_prefix_delete,
    peering_service_prefix_revalidate,
)
from peering.services.prefix_validation import MSG_KEY
from portal.models import ActivityLog, Notification, ResourceGroup, Role
from portal.validators import ARM_NAME_MESSAGE
from tests import factories
from tests.factories import CUSTOMER_PREFIX

V = PrefixValidationState
pytestmark = pytest.mark.django_db

WRONG_KEY = "6f1c2a55-0000-4000-8000-000000000000"
THROTTLED = (
    "Too many wrong prefix keys in the last hour. Check the key with your provider and try "
    "again later."
)


@pytest.fixture
def world(db):
    """Contoso IX, the provider, in its own tenant (Seattle primary, Ashburn backup)."""
    return factories.provider_world()


@pytest.fixture
def key(world) -> str:
    return str(world.registered.prefix_key)


@pytest.fixture
def group(subscription, region):
    """The customer's resource group; the customer is the `subscription` fixture's tenant."""
    return factories.ResourceGroupFactory(subscription=subscription, name="fabrikam-network")


@pytest.fixture
def location(db):
    return factories.PeeringServiceLocationFactory(country="United States", state="Washington")


def create(user, subscription, world, **overrides):
    """`peering_service_create` with the objects named as the contract names them."""
    values = {
        "group": None,
        "new_resource_group": "",
        "region": None,
        "name": "fabrikam-ps",
        "provider": world.provider,
        "primary_location": "Seattle",
        "backup_location": "Ashburn",
        "prefixes": (),
        **overrides,
    }
    group, location, provider, region = (
        values["group"],
        values["location"],
        values["provider"],
        values["region"],
    )
    data = PeeringServiceInput(
        name=values["name"],
        resource_group=values["new_resource_group"] or (group.name if group else ""),
        create_resource_group=bool(values["new_resource_group"]),
        location=region.name if region else "",
        peering_service_location=f"{location.state}, {location.country}" if location else "",
        peering_service_provider=provider.name if provider else "",
        provider_primary_peering_location=values["primary_location"],
        provider_backup_peering_location=values["backup_location"],
        prefixes=[
            PrefixInput(
                name=r.get("name", ""),
                prefix=r.get("prefix", ""),
                peering_service_prefix_key=r.get("prefix_key", ""),
            )
            for r in values["prefixes"]
        ],
    )
    return peering_service_create(user=user, subscription=subscription, data=data)


def row(key, name="prefix-1", prefix=CUSTOMER_PREFIX) -> dict:
    return {"name": name, "prefix": prefix, "prefix_key": key}


def writes() -> dict:
    return {
        "services": PeeringService.objects.count(),
        "prefixes": PeeringServicePrefix.objects.count(),
        "groups": ResourceGroup.objects.count(),
        "activity": ActivityLog.objects.count(),
        "notifications": Notification.objects.count(),
    }


# --- create ---------------------------------------------------------------------------------


def test_create_with_a_prefix_pending_until_the_task_runs(
    world, key, owner, subscription, group, location, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        service = create(
            owner, subscription, world, group=group, location=location, prefixes=[row(key)]
        )
    assert (service.region, service.provider, service.location) == (
        group.region,
        world.provider,
        location,
    )
    assert (service.primary_location, service.backup_location) == ("Seattle", "Ashburn")
    prefix = service.prefixes.get()
    assert prefix.validation_state == V.PENDING
    assert prefix.prefix_key == key
    log = ActivityLog.objects.get(operation_display="Create Peering Service")
    assert log.message == (
        "Provider Contoso IX, primary Seattle, backup Ashburn; 1 prefix(es) queued for validation."
    )
    assert log.resource_id == service.resource_id

    assert len(callbacks) == 1
    callbacks[0]()
    prefix.refresh_from_db()
    assert prefix.validation_state == V.VERIFIED
    assert prefix.registered_asn == world.registered
    assert Notification.objects.filter(
        subscription=subscription, title=f"Prefix prefix-1 ({CUSTOMER_PREFIX}) Verified"
    ).exists()


def test_create_then_the_task_fails_a_prefix_the_provider_does_not_announce(
    world, key, owner, subscription, group, location, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        service = create(
            owner,
            subscription,
            world,
            group=group,
            location=location,
            prefixes=[row(key, prefix="45.60.20.0/24")],
        )
    prefix = service.prefixes.get()
    assert prefix.validation_state == V.FAILED
    assert prefix.error_message.startswith("Prefix not received from the provider")


def test_create_without_prefixes_and_without_backup(world, owner, subscription, group, location):
    service = create(owner, subscription, world, group=group, location=location, backup_location="")
    assert service.backup_location == "" and not service.prefixes.exists()
    assert "backup None; 0 prefix(es)" in ActivityLog.objects.get().message


def test_create_in_a_new_resource_group(world, owner, subscription, region, location):
    service = create(
        owner,
        subscription,
        world,
        location=location,
        new_resource_group="fabrikam-new",
        region=region,
    )
    assert service.resource_group.name == "fabrikam-new"
    assert service.resource_group.region == region
    assert service.resource_group.subscription == subscription


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"primary_location": "Tokyo"}, "primary_location", None),
        ({"primary_location": ""}, "primary_location", None),
        (
            {"backup_location": "Tokyo"},
            "backup_location",
            "Select one of Contoso IX's peering locations, or None.",
        ),
        (
            {"backup_location": "Seattle"},
            "backup_location",
            "The backup location must differ from the primary.",
        ),
        ({"provider": None}, "provider", "Select your Peering Service provider."),
        ({"location": None}, "location", "Select the country and state/province of your location."),
        ({"name": ""}, "name", ARM_NAME_MESSAGE),
        ({"name": "fabrikam ps"}, "name", ARM_NAME_MESSAGE),
        ({"name": "x" * 64}, "name", ARM_NAME_MESSAGE),
        ({"group": None}, "resource_group", "Select a resource group or create a new one."),
    ],
)
def test_create_rules(world, owner, subscription, group, location, overrides, field, message):
    values = {"group": group, "location": location, **overrides}
    before = writes()
    with pytest.raises(ValidationError) as info:
        create(owner, subscription, world, **values)
    errors = info.value.message_dict
    assert field in errors
    if message is None:
        assert errors[field] == ["Select one of Contoso IX's peering locations: Ashburn, Seattle."]
    else:
        assert errors[field] == [message]
    assert writes() == before


def test_locations_of_another_provider_are_refused(world, owner, subscription, group, location):
    other = factories.PeeringServiceProviderFactory(name="IIJ Test")
    factories.PeeringServiceProviderLocationFactory(provider=other, name="Tokyo")
    with pytest.raises(ValidationError) as info:
        create(
            owner,
            subscription,
            world,
            group=group,
            location=location,
            primary_location="Tokyo",
            backup_location="",
        )
    assert set(info.value.message_dict) == {"primary_location"}


def test_create_resource_group_rules(world, owner, subscription, group, region, location):
    with pytest.raises(ValidationError) as info:
        create(
            owner,
            subscription,
            world,
            location=location,
            new_resource_group="FABRIKAM-NETWORK",
            region=region,
        )
    assert info.value.message_dict["new_resource_group"] == [
        "A resource group named 'FABRIKAM-NETWORK' already exists; select it."
    ]
    with pytest.raises(ValidationError) as info:
        create(owner, subscription, world, location=location, new_resource_group="bad name")
    assert info.value.message_dict["new_resource_group"] == [ARM_NAME_MESSAGE]
    assert info.value.message_dict["region"] == ["Select a region."]
    foreign = factories.ResourceGroupFactory()  # another subscription's group
    with pytest.raises(ValidationError) as info:
        create(owner, subscription, world, group=foreign, location=location)
    assert info.value.message_dict["resource_group"] == [
        "That resource group is not in this subscription."
    ]
    assert ResourceGroup.objects.filter(subscription=subscription).count() == 1


def test_create_name_unique_in_group_ignoring_case(world, owner, subscription, group, location):
    create(owner, subscription, world, group=group, location=location)
    with pytest.raises(ValidationError) as info:
        create(owner, subscription, world, group=group, location=location, name="FABRIKAM-PS")
    assert info.value.message_dict == {
        "name": ["A Peering Service named 'FABRIKAM-PS' already exists in this group."]
    }


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"prefix": "2001:db8::/32"}, "prefix", pv.MSG_FORMAT),
        ({"prefix": "45.60.10.1/24"}, "prefix", pv.MSG_FORMAT),
        ({"prefix": "10.0.0.0/8"}, "prefix", pv.MSG_PRIVATE.format(prefix="10.0.0.0/8")),
        ({"prefix_key": ""}, "prefix_key", "Enter the prefix key your provider gave you."),
        (
            {"prefix_key": WRONG_KEY},
            "prefix_key",
            "The prefix key does not match a key issued by Contoso IX.",
        ),
        ({"name": "bad name"}, "name", ARM_NAME_MESSAGE),
    ],
)
def test_create_prefix_row_rules(
    world, key, owner, subscription, group, location, bad, field, message
):
    before = writes()
    with pytest.raises(ValidationError) as info:
        create(
            owner,
            subscription,
            world,
            group=group,
            location=location,
            prefixes=[{**row(key), **bad}],
        )
    assert info.value.message_dict[f"prefixes.0.{field}"] == [message]
    assert writes() == before


def test_create_refuses_two_prefix_rows_with_one_name(
    world, key, owner, subscription, group, location
):
    with pytest.raises(ValidationError) as info:
        create(
            owner,
            subscription,
            world,
            group=group,
            location=location,
            prefixes=[row(key, "a"), row(key, "A", "45.60.11.0/24")],
        )
    assert info.value.message_dict == {
        "prefixes.1.name": ["A prefix named 'A' already exists here."]
    }


def test_too_many_prefixes_at_once(service, key, owner):
    rows = [row(key, f"p{i}", f"45.61.{i}.0/24") for i in range(MAX_PREFIXES_PER_REQUEST + 1)]
    with pytest.raises(ValidationError) as info:
        peering_service_prefix_add(user=owner, service=service, rows=rows)
    assert info.value.message_dict == {
        "prefixes": [f"Add at most {MAX_PREFIXES_PER_REQUEST} prefixes at once."]
    }
    assert not PeeringServicePrefix.objects.exists()
    assert len(peering_service_prefix_add(user=owner, service=service, rows=rows[:-1])) == 20


@pytest.mark.parametrize("who", ["reader", "outsider"])
def test_create_refused_without_write_role(world, key, subscription, group, location, who, request):
    before = writes()
    with pytest.raises(PermissionDenied):
        create(
            request.getfixturevalue(who),
            subscription,
            world,
            group=group,
            location=location,
            prefixes=[row(WRONG_KEY)],
        )
    assert writes() == before
    assert not PrefixKeyAttempt.objects.exists()


# --- prefixes -------------------------------------------------------------------------------


@pytest.fixture
def service(world, owner, subscription, group, location):
    return create(owner, subscription, world, group=group, location=location)


def test_add_prefixes_pending_then_validated(
    service, key, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = peering_service_prefix_add(
            user=owner,
            service=service,
            rows=[row(key), row(key, "prefix-2", "45.60.20.0/24"), {}],
        )
    assert [p.validation_state for p in created] == [V.PENDING, V.PENDING]
    logs = ActivityLog.objects.filter(operation_display="Add prefix")
    assert {log.status for log in logs} == {"Accepted"} and logs.count() == 2
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    states = dict(service.prefixes.values_list("name", "validation_state"))
    assert states == {"prefix-1": V.VERIFIED, "prefix-2": V.FAILED}


def test_add_prefix_refuses_an_existing_name(service, key, owner):
    peering_service_prefix_add(user=owner, service=service, rows=[row(key)])
    with pytest.raises(ValidationError) as info:
        peering_service_prefix_add(
            user=owner, service=service, rows=[row(key, "PREFIX-1", "45.60.11.0/24")]
        )
    assert set(info.value.message_dict) == {"prefixes.0.name"}


def test_add_nothing_is_an_error(service, owner):
    with pytest.raises(ValidationError) as info:
        peering_service_prefix_add(user=owner, service=service, rows=[])
    assert info.value.message_dict == {"prefixes": ["Add at least one prefix."]}


def test_revalidate_prefix_pending_then_result(
    service, key, owner, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (prefix,) = peering_service_prefix_add(user=owner, service=service, rows=[row(key)])
    prefix.refresh_from_db()
    assert prefix.validation_state == V.VERIFIED
    for connection in world.primary_connections[1:]:
        connection.received_routes.all().delete()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        peering_service_prefix_revalidate(user=owner, prefix=prefix)
    prefix.refresh_from_db()
    assert prefix.validation_state == V.PENDING
    callbacks[0]()
    prefix.refresh_from_db()
    assert prefix.validation_state == V.FAILED
    assert world.primary_connections[1].peer_session_ipv4_address in prefix.error_message


def test_delete_prefix(service, key, owner):
    (prefix,) = peering_service_prefix_add(user=owner, service=service, rows=[row(key)])
    peering_service_prefix_delete(user=owner, prefix=prefix)
    assert not service.prefixes.exists()
    log = ActivityLog.objects.get(operation_display="Delete prefix")
    assert log.resource_id == f"{service.resource_id}/prefixes/prefix-1"


@pytest.mark.parametrize("who", ["reader", "outsider"])
def test_prefix_writes_refused_without_write_role(service, key, owner, who, request):
    (prefix,) = peering_service_prefix_add(user=owner, service=service, rows=[row(key)])
    user = request.getfixturevalue(who)
    before = writes()
    with pytest.raises(PermissionDenied):
        peering_service_prefix_add(user=user, service=service, rows=[row(key, "p2")])
    with pytest.raises(PermissionDenied):
        peering_service_prefix_revalidate(user=user, prefix=prefix)
    with pytest.raises(PermissionDenied):
        peering_service_prefix_delete(user=user, prefix=prefix)
    with pytest.raises(PermissionDenied):
        peering_service_delete(user=user, service=service, confirm="yes")
    assert writes() == before
    assert not PrefixKeyAttempt.objects.exists()


# --- the wrong-key throttle -----------------------------------------------------------------


def wrong(service, user, n=1, name="wrong"):
    with pytest.raises(ValidationError) as info:
        peering_service_prefix_add(
            user=user,
            service=service,
            rows=[row(WRONG_KEY, f"{name}-{i}", f"45.62.{i}.0/24") for i in range(n)],
        )
    return info.value.message_dict


def test_the_fifth_wrong_key_throttles_further_keys_for_that_user_only(
    service, key, owner, subscription
):
    second = factories.UserFactory(username="second-owner")
    factories.RoleAssignmentFactory(user=second, subscription=subscription, role=Role.OWNER)

    for attempt in range(1, WRONG_KEY_LIMIT):
        errors = wrong(service, owner, name=f"try{attempt}")
        assert errors == {
            "prefixes.0.prefix_key": ["The prefix key does not match a key issued by Contoso IX."]
        }
        assert PrefixKeyAttempt.objects.filter(user=owner).count() == attempt
        assert not ActivityLog.objects.filter(
            operation_display="Prefix key attempts throttled"
        ).exists()

    wrong(service, owner, name="fifth")  # the 5th wrong key
    log = ActivityLog.objects.get(operation_display="Prefix key attempts throttled")
    assert (log.subscription, log.user, log.status) == (subscription, owner, "Failed")
    assert Notification.objects.filter(
        user=owner, title="Prefix keys refused for a while", level=Notification.Level.WARNING
    ).exists()

    # Now even the right key is refused, without being checked or counted.
    with pytest.raises(ValidationError) as info:
        peering_service_prefix_add(user=owner, service=service, rows=[row(key)])
    assert info.value.message_dict == {"prefixes.0.prefix_key": [THROTTLED]}
    assert PrefixKeyAttempt.objects.filter(user=owner).count() == WRONG_KEY_LIMIT
    assert (
        ActivityLog.objects.filter(operation_display="Prefix key attempts throttled").count() == 1
    )
    # Create is throttled too.
    with pytest.raises(ValidationError) as info:
        create(
            owner,
            subscription,
            service_world(service),
            group=service.resource_group,
            location=service.location,
            name="another",
            prefixes=[row(key)],
        )
    assert info.value.message_dict == {"prefixes.0.prefix_key": [THROTTLED]}

    # Another user of the same subscription is not throttled.
    (prefix,) = peering_service_prefix_add(user=second, service=service, rows=[row(key)])
    assert prefix.prefix_key == key
    assert not service.prefixes.filter(created_by=owner).exists()


def service_world(service):
    class _World:
        provider = service.provider

    return _World


def test_wrong_keys_in_one_request_count_each(service, owner):
    wrong(service, owner, n=WRONG_KEY_LIMIT)
    assert PrefixKeyAttempt.objects.filter(user=owner).count() == WRONG_KEY_LIMIT
    assert ActivityLog.objects.filter(operation_display="Prefix key attempts throttled").exists()


def test_keys_after_the_limit_in_one_request_are_not_checked(service, key, owner):
    rows = [row(WRONG_KEY, f"w{i}", f"45.62.{i}.0/24") for i in range(WRONG_KEY_LIMIT)]
    rows.append(row(key, "right", "45.63.0.0/24"))
    with pytest.raises(ValidationError) as info:
        peering_service_prefix_add(user=owner, service=service, rows=rows)
    errors = info.value.message_dict
    assert errors.get(f"prefixes.{WRONG_KEY_LIMIT}.prefix_key") == [THROTTLED]


def test_correct_keys_do_not_count(service, key, owner):
    for i in range(WRONG_KEY_LIMIT + 2):
        peering_service_prefix_add(
            user=owner, service=service, rows=[row(key, f"ok{i}", f"45.64.{i}.0/24")]
        )
    assert not PrefixKeyAttempt.objects.exists()


def age_attempts(user, by: timedelta):
    PrefixKeyAttempt.objects.filter(user=user).update(created_at=timezone.now() - by)


def test_keys_work_again_after_the_window(service, key, owner):
    wrong(service, owner, n=WRONG_KEY_LIMIT)
    with pytest.raises(ValidationError):
        peering_service_prefix_add(user=owner, service=service, rows=[row(key)])

    age_attempts(owner, WRONG_KEY_WINDOW + timedelta(minutes=1))

    (prefix,) = peering_service_prefix_add(user=owner, service=service, rows=[row(key)])
    assert prefix.pk


def test_attempts_inside_the_window_still_count(service, key, owner):
    wrong(service, owner, n=WRONG_KEY_LIMIT - 1)
    age_attempts(owner, WRONG_KEY_WINDOW - timedelta(minutes=1))
    wrong(service, owner, name="last")
    with pytest.raises(ValidationError) as info:
        peering_service_prefix_add(user=owner, service=service, rows=[row(key)])
    assert info.value.message_dict == {"prefixes.0.prefix_key": [THROTTLED]}


def test_old_attempts_plus_new_ones_below_the_limit_do_not_throttle(service, key, owner):
    wrong(service, owner, n=WRONG_KEY_LIMIT - 1)
    age_attempts(owner, WRONG_KEY_WINDOW + timedelta(minutes=1))
    wrong(service, owner, n=WRONG_KEY_LIMIT - 1, name="again")
    assert peering_service_prefix_add(user=owner, service=service, rows=[row(key)])


def test_keys_never_appear_in_the_activity_log_or_notifications(
    service, key, owner, subscription, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        peering_service_prefix_add(user=owner, service=service, rows=[row(key)])
        create(
            owner,
            subscription,
            service_world(service),
            group=service.resource_group,
            location=service.location,
            name="second",
            prefixes=[row(key, "p2", "45.60.11.0/24")],
        )
    wrong(service, owner, n=WRONG_KEY_LIMIT)
    texts = [
        *ActivityLog.objects.values_list("message", flat=True),
        *ActivityLog.objects.values_list("resource_id", flat=True),
        *Notification.objects.values_list("title", flat=True),
        *Notification.objects.values_list("body", flat=True),
    ]
    assert ActivityLog.objects.count() >= 5
    for text in texts:
        for secret in (key, key.upper(), WRONG_KEY, key.replace("-", "")):
            assert secret not in text, text


def test_unknown_key_and_another_providers_key_get_the_same_refusal(service, owner):
    other = factories.provider_world(
        name="Northwind Exchange", provider_asn=63999, customer_asn=150002
    )
    unknown = wrong(service, owner)
    with pytest.raises(ValidationError) as info:
        peering_service_prefix_add(
            user=owner, service=service, rows=[row(str(other.registered.prefix_key), "x")]
        )
    assert info.value.message_dict == unknown
    assert PrefixKeyAttempt.objects.count() == 2


def test_validation_of_a_stored_wrong_key_says_the_same_as_at_entry(service, owner):
    # A key that stops working later (rotated) gets the validation's message, which names the
    # provider the same way.
    prefix = factories.PeeringServicePrefixFactory(
        peering_service=service, prefix=CUSTOMER_PREFIX, prefix_key=WRONG_KEY
    )
    pv.prefix_validate(prefix_id=prefix.pk)
    prefix.refresh_from_db()
    assert prefix.error_message == MSG_KEY.format(provider="Contoso IX")


def test_throttle_constants():
    assert ps.WRONG_KEY_LIMIT == 5
    assert ps.WRONG_KEY_WINDOW.total_seconds() == 3600
    assert ps.MAX_PREFIXES_PER_REQUEST == 20


# --- delete ---------------------------------------------------------------------------------


@pytest.mark.parametrize("confirm", ["", "no", "y", "yes please", None])
def test_delete_needs_yes(service, owner, confirm):
    with pytest.raises(ValidationError) as info:
        peering_service_delete(user=owner, service=service, confirm=confirm)
    assert info.value.message_dict == {"confirm": ['Type "yes" to confirm the deletion.']}
    assert PeeringService.objects.filter(pk=service.pk).exists()


@pytest.mark.parametrize("confirm", ["yes", " YES ", "Yes"])
def test_delete_with_yes_removes_the_service_and_its_prefixes(service, key, owner, confirm):
    peering_service_prefix_add(user=owner, service=service, rows=[row(key)])
    resource_id = service.resource_id
    peering_service_delete(user=owner, service=service, confirm=confirm)
    assert not PeeringService.objects.exists()
    assert not PeeringServicePrefix.objects.exists()
    log = ActivityLog.objects.get(operation_display="Delete Peering Service")
    assert log.resource_id == resource_id
