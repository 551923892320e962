# ruff: noqa: F811 (tests take the imported `world` fixture)
"""Issue 10, defects 1–2: route-server and exchange sessions are on the exchange's LAN, and no
address is used twice on one LAN — whoever uses it, wherever the connection is made."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from peering.enums import ConnectionState, Kind
from peering.models import LegacyPeering
from peering.services.addresses import addresses_used_at
from peering.validators import parse_prefix
from tests import factories
from tests.peering.services.test_peerings import (
    assert_refused,
    create,
    make_draft,
    make_row,
    other_tenant_peering,
    world,  # noqa: F401 (the fixture)
)

pytestmark = pytest.mark.django_db

SIX = {  # SIX Seattle in the world fixture
    "session_prefix_v4": "206.81.80.0/22",
    "peer_session_ipv4_address": "206.81.80.1",
    "microsoft_session_ipv4_address": "206.81.80.40",
}


@pytest.mark.parametrize("prefix", ["0.0.0.0/0", "0.0.0.0/1", "10.0.0.0/24", "206.81.80.0/23"])
def test_route_server_prefix_must_be_an_exchange_lan(world, prefix):
    w = world
    row = make_row(
        w,
        "route_server",
        session_prefix_v4=prefix,
        peer_session_ipv4_address=prefix.split("/")[0][:-1] + "1",
        microsoft_session_ipv4_address=prefix.split("/")[0][:-1] + "2",
    )
    errors = assert_refused(
        w.owner, make_draft(w, "route_server", rows=[row]), "connections.0.session_prefix_v4"
    )
    message = errors["connections.0.session_prefix_v4"][0]
    assert "/0" in message or "SIX Seattle 206.81.80.0/22" in message


def test_route_server_ipv6_default_route_refused(world):
    w = world
    row = make_row(
        w,
        "route_server",
        session_prefix_v6="::/0",
        peer_session_ipv6_address="::1",
        microsoft_session_ipv6_address="::2",
        max_prefixes_advertised_v6="10",
    )
    assert_refused(
        w.owner, make_draft(w, "route_server", rows=[row]), "connections.0.session_prefix_v6"
    )


def test_route_server_ipv6_on_another_exchanges_lan_refused(world):
    w = world
    row = make_row(
        w,
        "route_server",
        session_prefix_v6="2001:504:12::/64",  # Equinix Seattle; the IPv4 session is on SIX
        peer_session_ipv6_address="2001:504:12::1",
        microsoft_session_ipv6_address="2001:504:12::15",
        max_prefixes_advertised_v6="10",
    )
    assert_refused(
        w.owner, make_draft(w, "route_server", rows=[row]), "connections.0.session_prefix_v6"
    )


@pytest.mark.parametrize("text", ["0.0.0.0/0", "::/0", "10.1.2.3/0"])
def test_every_prefix_parser_refuses_slash_zero(text):
    family = 6 if ":" in text else 4
    with pytest.raises(ValidationError) as exc:
        parse_prefix(text, family=family)
    assert exc.value.code == "default_route"


def _their_exchange_connection(w, **values):
    return factories.PeeringConnectionFactory(
        peering=other_tenant_peering(w, kind=Kind.EXCHANGE, sku_name="Basic_Exchange_Free"),
        direct_facility=None,
        exchange=w.ix2,
        session_address_provider="",
        session_prefix_v4="206.81.80.0/22",
        microsoft_session_ipv4_address="206.81.80.40",
        **values,
    )


def test_route_server_address_used_by_an_exchange_connection_on_the_lan_refused(world):
    w = world
    _their_exchange_connection(w, peer_session_ipv4_address="206.81.80.1")
    row = make_row(w, "route_server", **SIX)
    errors = assert_refused(
        w.owner,
        make_draft(w, "route_server", rows=[row]),
        "connections.0.peer_session_ipv4_address",
    )
    assert "SIX Seattle's LAN" in errors["connections.0.peer_session_ipv4_address"][0]


def test_exchange_address_used_by_a_route_server_at_another_facility_refused(world):
    w = world
    factories.PeeringConnectionFactory(
        peering=other_tenant_peering(w),
        direct_facility=w.fac2,
        connection_state=ConnectionState.ACTIVE,
        **SIX,
    )
    draft = make_draft(w, "exchange")
    draft["connections"][0].update(
        facility=str(w.ix2.pk),
        peer_session_ipv4_address="206.81.80.1",
        peer_session_ipv6_address="",
        max_prefixes_advertised_v6="",
    )
    assert_refused(w.owner, draft, "connections.0.peer_session_ipv4_address")


def test_route_server_address_of_a_legacy_peering_on_the_lan_refused(world):
    w = world
    LegacyPeering.objects.create(
        peer_asn=64,
        peering_location=w.seattle,
        kind="Exchange",
        exchange=w.ix2,
        peer_session_ipv4_address="206.81.80.1",
    )
    assert_refused(
        w.owner,
        make_draft(w, "route_server", rows=[make_row(w, "route_server", **SIX)]),
        "connections.0.peer_session_ipv4_address",
    )


def test_route_server_peer_address_may_not_be_microsofts(world):
    w = world
    row = make_row(w, "route_server", **{**SIX, "peer_session_ipv4_address": "206.81.80.40"})
    row["microsoft_session_ipv4_address"] = "206.81.80.41"
    errors = assert_refused(
        w.owner,
        make_draft(w, "route_server", rows=[row]),
        "connections.0.peer_session_ipv4_address",
    )
    assert "Microsoft's address" in errors["connections.0.peer_session_ipv4_address"][0]


def test_microsofts_router_on_the_lan_is_shared_by_route_server_peerings(world):
    w = world
    factories.PeeringConnectionFactory(
        peering=other_tenant_peering(w),
        direct_facility=w.fac2,
        **{**SIX, "peer_session_ipv4_address": "206.81.80.2"},
    )
    peering = create(w, make_draft(w, "route_server", rows=[make_row(w, "route_server", **SIX)]))
    assert peering.connections.get().microsoft_session_ipv4_address == "206.81.80.40"


def test_two_rows_of_one_request_on_one_lan_clash(world):
    w = world
    rows = [
        make_row(w, "route_server", **SIX),
        make_row(w, "route_server", facility=str(w.fac2.pk), **SIX),
    ]
    assert_refused(
        w.owner,
        make_draft(w, "route_server", rows=rows),
        "connections.1.peer_session_ipv4_address",
    )


def test_the_check_is_exact_lookups_not_a_scan_of_the_facility(world):
    """The Review + create check reads the addresses typed, by index: the same queries and
    rows with 1 or 200 connections at the facility."""
    w = world
    peering = other_tenant_peering(w, direct_peering_type="Edge")

    def measure():
        with CaptureQueriesContext(db_connection) as ctx:
            used = addresses_used_at(addresses=["192.0.2.0", "192.0.2.1", "2001:db8::"])
        return len(ctx.captured_queries), used, " ".join(q["sql"] for q in ctx.captured_queries)

    factories.PeeringConnectionFactory(
        peering=peering,
        direct_facility=w.fac,
        session_prefix_v4="192.0.2.0/31",
        peer_session_ipv4_address="192.0.2.0",
        microsoft_session_ipv4_address="192.0.2.1",
    )
    few, used, sql = measure()
    assert set(used) == {"192.0.2.0", "192.0.2.1"}
    assert '"peer_session_ipv4_address" IN' in sql
    for i in range(200):
        factories.PeeringConnectionFactory(
            peering=peering,
            direct_facility=w.fac,
            session_prefix_v4=f"198.18.{i}.0/31",
            peer_session_ipv4_address=f"198.18.{i}.0",
            microsoft_session_ipv4_address=f"198.18.{i}.1",
        )
    many, used_many, _ = measure()
    assert many == few
    assert used_many == used


def test_the_address_columns_are_indexed():
    from peering.models import LegacyPeering, PeeringConnection

    for model in (PeeringConnection, LegacyPeering):
        indexed = {tuple(i.fields) for i in model._meta.indexes}
        for name in (
            "peer_session_ipv4_address",
            "microsoft_session_ipv4_address",
            "peer_session_ipv6_address",
            "microsoft_session_ipv6_address",
        ):
            assert (name,) in indexed, (model, name)


def test_add_connection_uses_the_same_lan_rule(world):
    from peering.services.connections import connection_add

    w = world
    peering = create(w, make_draft(w, "route_server", rows=[make_row(w, "route_server", **SIX)]))
    with pytest.raises(ValidationError) as exc:
        connection_add(
            user=w.owner,
            peering=peering,
            row=make_row(w, "route_server", facility=str(w.fac2.pk), session_prefix_v4="0.0.0.0/0"),
        )
    assert "session_prefix_v4" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        connection_add(
            user=w.owner,
            peering=peering,
            row=make_row(w, "route_server", facility=str(w.fac2.pk), **SIX),
        )
    assert "already used" in exc.value.message_dict["peer_session_ipv4_address"][0]


def test_route_server_dialog_lists_the_lans_and_prefills_a_single_one(client, world):
    """The dialog shows the exchange LANs and Microsoft's addresses, as the Exchange dialog
    does; with one exchange in the metro its LAN and Microsoft's address are filled in."""
    from django.urls import reverse

    from peering.services.wizard import draft_save

    w = world
    client.force_login(w.owner)
    draft = make_draft(w, "route_server", rows=[])
    for section in ("basics", "configuration"):
        draft_save(user=w.owner, section=section, values=draft[section])
    page = client.get(reverse("wizard:connection")).content.decode()
    assert 'data-testid="exchange-lans"' in page
    assert "206.81.80.0/22" in page and "206.81.80.40" in page
    assert 'value="206.81.80.0/22"' not in page  # three exchanges in Seattle: the peer picks
    w.ix.delete()
    w.ix_v4_only.delete()
    page = client.get(reverse("wizard:connection")).content.decode()
    assert 'value="206.81.80.0/22"' in page and 'value="206.81.80.40"' in page
