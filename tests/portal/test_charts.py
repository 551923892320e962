"""Layout of the server-rendered charts."""

import datetime as dt

from peering.selectors.telemetry import EventMark, Point, Series
from portal.templatetags.charts import event_axis, line_chart, nice_ceiling

T0 = dt.datetime(2026, 5, 1, 0, 0, tzinfo=dt.UTC)


def test_nice_ceiling_holds_the_value_in_at_most_five_steps():
    for value in (0, 1, 3, 7, 10, 99, 120, 999, 1001, 45678):
        top, step = nice_ceiling(value)
        assert top >= value and top % step == 0 and top // step <= 5
        assert str(step).strip("0") in ("1", "2", "5")


def test_line_chart_scales_time_left_to_right_and_counts_bottom_to_top():
    series = [
        Series("SE2", [Point(T0, 0), Point(T0 + dt.timedelta(hours=1), 50)]),
        Series("DA3", [Point(T0 + dt.timedelta(hours=2), 100)]),
    ]
    chart = line_chart(series)
    first, second = chart.lines
    (a, b), (c,) = first.marks, second.marks
    assert a.x == chart.x0 and c.x == chart.x1  # the time axis spans the imports
    assert a.y == chart.y1 and c.y == chart.y0  # 0 at the bottom, the top value at the top
    assert chart.x0 < b.x < chart.x1 and chart.y0 < b.y < chart.y1
    assert first.d.startswith("M") and second.d == ""  # one point: a mark, no line
    assert b.title == "SE2: 50 routes, 2026-05-01 01:00:00 UTC"
    assert [t.label for t in chart.y_ticks][0] == "0"
    assert "2 connections" in chart.summary and "Latest: SE2 50; DA3 100." in chart.summary


def test_line_chart_of_nothing_is_none():
    assert line_chart([]) is None
    assert line_chart([Series("SE2", [])]) is None


def test_event_axis_puts_each_level_in_its_lane_most_severe_on_top():
    events = [
        EventMark(T0, "Information", "PrefixAnnouncementEvent", "announced"),
        EventMark(T0 + dt.timedelta(days=1), "Critical", "PrefixOriginAsChangeEvent", "changed"),
        EventMark(T0 + dt.timedelta(days=2), "Warning", "PrefixWithdrawalEvent", "withdrawn"),
    ]
    chart = event_axis(events)
    assert [lane.label for lane in chart.lanes] == ["Critical", "Warning", "Information"]
    info, critical, warning = chart.marks
    assert critical.y < warning.y < info.y
    assert info.x < critical.x < warning.x
    assert critical.css == "chart-level-critical"
    assert critical.title.startswith("2026-05-02 00:00:00 UTC · Critical")
    assert chart.summary.startswith("3 events from 2026-05-01 00:00:00 UTC")
    assert event_axis([]) is None


def test_a_single_moment_sits_in_the_middle():
    chart = event_axis([EventMark(T0, "Error", "X", "y")])
    (mark,) = chart.marks
    assert mark.x == round((chart.x0 + chart.x1) / 2, 1)
    assert len(chart.x_ticks) == 1


def test_time_labels_are_not_repeated_for_moments_seconds_apart():
    points = [Point(T0 + dt.timedelta(milliseconds=100 * i), i) for i in range(5)]
    chart = line_chart([Series("SE2", points)])
    labels = [t.label for t in chart.x_ticks]
    assert labels == sorted(set(labels)) and labels[0] == "00:00:00"
