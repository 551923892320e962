"""The units filters: one way to show bandwidth and times."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone

from portal.templatetags.units import gbps, utc, when


@pytest.mark.parametrize(
    ("mbps", "shown"),
    [
        (10000, "10 Gbps"),
        (1000, "1 Gbps"),
        (2500, "2.5 Gbps"),
        (100, "0.1 Gbps"),
        (100000, "100 Gbps"),
        (400000, "400 Gbps"),
        ("10000", "10 Gbps"),
    ],
)
def test_gbps_shows_gigabits(mbps, shown):
    assert gbps(mbps) == shown


@pytest.mark.parametrize("mbps", [None, "", 0, -5, "abc", True, "NaN", "inf"])
def test_gbps_not_provisioned_is_a_dash_never_zero_mbps(mbps):
    assert gbps(mbps) == "—"


def test_utc_has_seconds_and_converts_other_zones():
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert utc(moment) == "2026-01-02 01:04:05 UTC"
    assert utc(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02 03:04:05 UTC"
    assert utc(None) == "—"
    assert utc("yesterday") == "—"


def test_when_puts_the_absolute_time_beside_the_relative_one():
    moment = timezone.now() - dt.timedelta(minutes=3)
    html = str(when(moment))
    assert html.startswith(f'<time datetime="{moment.astimezone(dt.UTC).isoformat()}">')
    assert "3\xa0minutes ago" in html
    assert f'<span class="time-abs">{utc(moment)}</span>' in html
    assert when(None) == "—"


def test_filters_load_in_templates():
    moment = dt.datetime(2026, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    rendered = Template("{% load units %}{{ b|gbps }} · {{ t|utc }} · {{ z|gbps }}").render(
        Context({"b": 10000, "t": moment, "z": 0})
    )
    assert rendered == "10 Gbps · 2026-05-06 07:08:09 UTC · —"


@pytest.mark.django_db
def test_place_puts_the_peeringdb_id_beside_the_name():
    from portal.templatetags.units import place
    from tests import factories

    facility = factories.DirectFacilityFactory(name="Equinix SE2", peeringdb_facility_id=42)
    exchange = factories.ExchangeFactory(name="SIX Seattle", peeringdb_ix_id=31)
    bare = factories.ExchangeFactory(name="Unlisted IX", peeringdb_ix_id=None)
    direct = factories.PeeringConnectionFactory(direct_facility=facility)
    at_ix = factories.PeeringConnectionFactory(direct_facility=None, exchange=exchange)
    assert place(direct) == "Equinix SE2 (PeeringDB facility 42)"
    assert place(at_ix) == "SIX Seattle (PeeringDB IX 31)"
    assert place(facility) == "Equinix SE2 (PeeringDB facility 42)"
    assert place(bare) == "Unlisted IX"
    assert place(None) == ""
