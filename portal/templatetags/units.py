"""One way to show things: bandwidth in Gbps, times in UTC with seconds beside the relative
time. `{% load units %}` then `{{ connection.bandwidth_mbps|gbps }}`, `{{ entry.timestamp|utc }}`,
`{{ entry.timestamp|when }}`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils.html import format_html

register = template.Library()

NOT_YET = "—"


@register.filter
def gbps(mbps) -> str:
    """Megabits per second as Gbps ("10 Gbps", "2.5 Gbps"); nothing or 0 (not provisioned
    yet) is "—", never "0 Mbps"."""
    if mbps in (None, "") or isinstance(mbps, bool):
        return NOT_YET
    try:
        value = Decimal(str(mbps))
    except (InvalidOperation, ValueError):
        return NOT_YET
    if not value.is_finite() or value <= 0:
        return NOT_YET
    text = format((value / 1000).normalize(), "f")
    return f"{text} Gbps"


def _as_utc(value) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:  # naive values are UTC in this project (TIME_ZONE = "UTC")
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


@register.filter
def utc(value) -> str:
    """An absolute time in UTC with seconds: "2026-12-01 12:06:55 UTC"; "—" for nothing."""
    moment = _as_utc(value)
    if moment is None:
        return NOT_YET
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@register.filter
def when(value):
    """The relative time ("3 minutes ago") with the absolute UTC time beside it, both in a
    `<time>` element whose datetime attribute is machine readable."""
    moment = _as_utc(value)
    if moment is None:
        return NOT_YET
    return format_html(
        '<time datetime="{}">{} <span class="time-abs">{}</span></time>',
        moment.isoformat(),
        naturaltime(moment),
        utc(moment),
    )


@register.filter
def place(connection) -> str:
    """Where a connection is, with the PeeringDB id beside the name: "Equinix SE2 (PeeringDB
    facility 42)", "DE-CIX Frankfurt (PeeringDB IX 31)"; the bare name when the id is not known.
    Also takes a DirectFacility or an Exchange."""
    facility = getattr(connection, "direct_facility", None)
    exchange = getattr(connection, "exchange", None)
    if facility is None and exchange is None:
        if hasattr(connection, "peeringdb_facility_id"):
            facility = connection
        elif hasattr(connection, "peeringdb_ix_id"):
            exchange = connection
    if facility is not None:
        name, label, number = facility.name, "facility", facility.peeringdb_facility_id
    elif exchange is not None:
        name, label, number = exchange.name, "IX", exchange.peeringdb_ix_id
    else:
        return ""
    return f"{name} (PeeringDB {label} {number})" if number else name
