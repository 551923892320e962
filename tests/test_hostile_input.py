"""Issue 10, hostile input: every service (and the forms in front of them) driven with
arbitrary text, numbers and unicode. Each call either succeeds or raises ValidationError with
messages keyed by field — never another exception (a 500) — and a refusal writes nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peering.contracts import PeeringServiceInput, PrefixInput
from peering.forms.peering_services import prefix_row_errors, rows_from
from peering.forms.peerings import TagGrid
from peering.models import (
    PeerAsn,
    PeerContact,
    Peering,
    PeeringConnection,
    PeeringService,
    PeeringServicePrefix,
    RegisteredAsn,
)
from peering.services.connections import connection_add, peering_tags_update
from peering.services.peer_asns import peer_asn_create
from peering.services.peering_services import peering_service_create
from peering.services.registered import registered_asn_add
from peering.services.wizard import CONNECTION_FIELDS
from portal.models import ActivityLog, ResourceGroup
from portal.services import resource_group_create
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TEXT = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=60, max_size=300),
    st.sampled_from(["", " ", "\x00", "a\x07b", "AS8075", "0.0.0.0/0", "::/0", "1e3", "-1", "٣"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
ANY = st.one_of(TEXT, st.integers(), st.none(), st.booleans(), st.floats(), st.lists(TEXT))
MODELS = (
    PeerAsn,
    PeerContact,
    Peering,
    PeeringConnection,
    PeeringService,
    PeeringServicePrefix,
    RegisteredAsn,
    ResourceGroup,
    ActivityLog,
)


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


def attempt(call, *, may_record=()):
    """Run a service call: success, or a ValidationError with messages and nothing written
    (but the `may_record` rows a refusal is meant to leave, e.g. the wrong-key throttle's)."""
    before = counts()
    try:
        call()
    except ValidationError as exc:
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        assert messages and all(m for ms in messages.values() for m in ms), messages
        after = counts()
        assert {k: v for k, v in after.items() if k not in may_record} == {
            k: v for k, v in before.items() if k not in may_record
        }
        return False
    return True


@pytest.fixture
def world(subscription, owner):
    w = factories.provider_world(subscription=subscription)
    w.metro = w.peering.peering_location
    w.facility = w.primary_connections[0].direct_facility
    w.owner = owner
    return w


@HOSTILE
@given(name=ANY, asn=ANY, peer_name=ANY, role=ANY, email=ANY, phone=ANY)
def test_peer_asn_create(owner, subscription, name, asn, peer_name, role, email, phone):
    attempt(
        lambda: peer_asn_create(
            user=owner,
            subscription=subscription,
            name=name,
            peer_asn=asn,
            peer_name=peer_name,
            contacts=[{"role": role, "email": email, "phone": phone}],
        )
    )


@HOSTILE
@given(name=ANY)
def test_resource_group_create(owner, subscription, region, name):
    attempt(
        lambda: resource_group_create(
            user=owner, subscription=subscription, name=name, region=region
        )
    )


@HOSTILE
@given(name=ANY, asn=ANY)
def test_registered_asn_add(world, name, asn):
    attempt(lambda: registered_asn_add(user=world.owner, peering=world.peering, name=name, asn=asn))


@HOSTILE
@given(tags=st.one_of(ANY, st.dictionaries(TEXT, TEXT, max_size=60)))
def test_peering_tags_update(world, tags):
    peering = world.peering
    peering.refresh_from_db()
    before = dict(peering.tags)
    if not attempt(lambda: peering_tags_update(user=world.owner, peering=peering, tags=tags)):
        peering.refresh_from_db()
        assert peering.tags == before


@HOSTILE
@given(row=st.fixed_dictionaries({}, optional=dict.fromkeys(CONNECTION_FIELDS, ANY)))
def test_connection_add(world, row):
    attempt(lambda: connection_add(user=world.owner, peering=world.peering, row=row))


@HOSTILE
@given(
    name=ANY,
    primary=ANY,
    backup=ANY,
    rows=st.lists(
        st.fixed_dictionaries({"name": ANY, "prefix": ANY, "prefix_key": ANY}), max_size=25
    ),
)
def test_peering_service_create(world, owner, subscription, region, name, primary, backup, rows):
    location = factories.PeeringServiceLocationFactory.build()
    location.save()
    attempt(
        lambda: peering_service_create(
            user=owner,
            subscription=subscription,
            data=PeeringServiceInput(
                name=str(name),
                resource_group="hostile-rg",
                create_resource_group=True,
                location=region.name,
                peering_service_location=f"{location.state}, {location.country}",
                peering_service_provider=world.provider.name,
                provider_primary_peering_location=str(primary),
                provider_backup_peering_location="" if backup is None else str(backup),
                prefixes=[
                    PrefixInput(
                        name=str(row["name"]),
                        prefix=str(row["prefix"]),
                        peering_service_prefix_key=str(row["prefix_key"]),
                    )
                    for row in rows
                ],
            ),
        ),
        may_record=("ActivityLog",),  # wrong keys are counted and the throttle is logged
    )


def _query(pairs) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in pairs:
        data.appendlist(key, value)
    return data


@HOSTILE
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from(["tag_index", "tag-0-name", "tag-1-value", "tag-1e3-name"]), TEXT
        ),
        max_size=30,
    )
)
def test_tag_grid_parsing(pairs):
    grid = TagGrid.from_post(_query(pairs))
    tags, used = grid.tags()
    assert isinstance(tags, dict) and len(used) <= len(grid.rows)


@HOSTILE
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from(["prefix_index", "prefix-0-name", "prefix-0-prefix", "prefix-9-name"]),
            TEXT,
        ),
        max_size=40,
    )
)
def test_prefix_rows_parsing(pairs):
    rows = rows_from(_query(pairs))
    errors = prefix_row_errors(rows)
    assert all(isinstance(v, list) and v for v in errors.values())


@HOSTILE
@given(username=TEXT, password=TEXT)
def test_sign_in_form(client, username, password):
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code in (200, 429)
