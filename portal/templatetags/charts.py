"""Server-rendered SVG charts: the layout (scales, ticks, paths) of the data the telemetry
selectors read. The partials (templates/peering/_chart_*.html) draw it and put the same data in
a table beside it, so a chart needs no JavaScript and a screen reader gets the numbers.

`{% load charts %}{% line_chart series as chart %}` / `{% event_axis events as chart %}`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django import template

from portal.templatetags.units import utc

register = template.Library()

WIDTH = 640
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 16, 40
LINE_HEIGHT = 220
LANE_HEIGHT = 30
MARK_RADIUS = 4.5
TIME_TICKS = 4
# Prefix event levels, most severe on top; each has its own shape besides its colour.
LEVELS = ("Critical", "Error", "Warning", "Information")
SHAPES = {"Critical": "diamond", "Error": "square", "Warning": "triangle", "Information": "circle"}
SERIES_SHAPES = ("circle", "square", "triangle", "diamond")


@dataclass
class Tick:
    at: float
    label: str


@dataclass
class Mark:
    x: float
    y: float
    d: str
    title: str
    css: str = ""


@dataclass
class Line:
    label: str
    index: int
    d: str
    marks: list[Mark] = field(default_factory=list)


@dataclass
class Chart:
    width: int
    height: int
    x0: float
    x1: float
    y0: float
    y1: float
    x_ticks: list[Tick]
    y_ticks: list[Tick] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    lanes: list[Tick] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    summary: str = ""

    @property
    def label_x(self) -> float:
        """Where value / lane labels end, just left of the plot."""
        return self.x0 - 8

    @property
    def label_y(self) -> float:
        """The baseline of the time labels, below the axis."""
        return self.y1 + 20


def _r(value: float) -> float:
    return round(value, 1)


def shape_path(shape: str, x: float, y: float, r: float = MARK_RADIUS) -> str:
    """An SVG path of a marker centred on (x, y): circle, square, triangle or diamond."""
    x, y = _r(x), _r(y)
    if shape == "square":
        s = _r(r * 0.9)
        return f"M{_r(x - s)},{_r(y - s)}h{_r(2 * s)}v{_r(2 * s)}h{_r(-2 * s)}z"
    if shape == "triangle":
        return (
            f"M{x},{_r(y - r * 1.2)}L{_r(x + r * 1.1)},{_r(y + r)}L{_r(x - r * 1.1)},{_r(y + r)}z"
        )
    if shape == "diamond":
        k = _r(r * 1.3)
        return f"M{x},{_r(y - k)}L{_r(x + k)},{y}L{x},{_r(y + k)}L{_r(x - k)},{y}z"
    return f"M{_r(x - r)},{y}a{r},{r} 0 1,0 {_r(2 * r)},0a{r},{r} 0 1,0 {_r(-2 * r)},0"


def _time_axis(times: list[dt.datetime], x0: float, x1: float):
    """A linear time scale over `times` and its tick labels (UTC)."""
    lo, hi = min(times), max(times)
    span = (hi - lo).total_seconds()

    def x(moment: dt.datetime) -> float:
        if span <= 0:
            return (x0 + x1) / 2
        return x0 + (moment - lo).total_seconds() / span * (x1 - x0)

    if span > 3 * 86400:
        fmt = "%Y-%m-%d"
    elif span > 3600:
        fmt = "%m-%d %H:%M"
    else:  # imports minutes apart (or a demo): seconds tell the ticks apart
        fmt = "%H:%M:%S"
    if span <= 0:
        moments = [lo]
    else:
        moments = [
            lo + dt.timedelta(seconds=span * i / (TIME_TICKS - 1)) for i in range(TIME_TICKS)
        ]
    ticks: list[Tick] = []
    for moment in moments:
        label = moment.astimezone(dt.UTC).strftime(fmt)
        if not ticks or ticks[-1].label != label:  # imports seconds apart: no repeated label
            ticks.append(Tick(at=_r(x(moment)), label=label))
    return x, ticks


def nice_ceiling(value: int) -> tuple[int, int]:
    """The top of a value axis that holds `value`, and its step (1, 2 or 5 × 10^k, ≤ 5 steps)."""
    if value <= 0:
        return 1, 1
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        step = max(1, int(factor * magnitude))
        if step * 5 >= value:
            break
    top = step * math.ceil(value / step)
    return top, step


@register.simple_tag
def line_chart(series) -> Chart | None:
    """Lines of (when, value) points, one per series, on a shared time axis from 0 up."""
    series = [s for s in series or [] if s.points]
    if not series:
        return None
    x0, x1 = LEFT, WIDTH - RIGHT
    y0, y1 = TOP, LINE_HEIGHT - BOTTOM
    times = [p.when for s in series for p in s.points]
    x, x_ticks = _time_axis(times, x0, x1)
    top, step = nice_ceiling(max(p.value for s in series for p in s.points))

    def y(value: int) -> float:
        return y1 - value / top * (y1 - y0)

    chart = Chart(width=WIDTH, height=LINE_HEIGHT, x0=x0, x1=x1, y0=y0, y1=y1, x_ticks=x_ticks)
    chart.y_ticks = [Tick(at=_r(y(v)), label=f"{v:,}") for v in range(0, top + 1, step)]
    for index, one in enumerate(series):
        coords = [(_r(x(p.when)), _r(y(p.value))) for p in one.points]
        d = "M" + "L".join(f"{cx},{cy}" for cx, cy in coords) if len(coords) > 1 else ""
        shape = SERIES_SHAPES[index % len(SERIES_SHAPES)]
        marks = [
            Mark(
                x=cx,
                y=cy,
                d=shape_path(shape, cx, cy),
                title=f"{one.label}: {p.value:,} route{'' if p.value == 1 else 's'}, {utc(p.when)}",
            )
            for (cx, cy), p in zip(coords, one.points, strict=True)
        ]
        chart.lines.append(Line(label=one.label, index=index % 6, d=d, marks=marks))
    imports = max(len(s.points) for s in series)
    latest = "; ".join(f"{s.label} {s.latest.value:,}" for s in series)
    chart.summary = (
        f"Received routes of {len(series)} connection{'s' if len(series) != 1 else ''} over "
        f"up to {imports} import{'s' if imports != 1 else ''}, from {utc(min(times))} to "
        f"{utc(max(times))}. Latest: {latest}."
    )
    return chart


@register.simple_tag
def event_axis(events) -> Chart | None:
    """Events on a time axis, one lane per level (most severe on top)."""
    events = list(events or [])
    if not events:
        return None
    levels = [level for level in LEVELS if any(e.level == level for e in events)]
    levels += sorted({e.level for e in events} - set(levels))
    height = TOP + LANE_HEIGHT * len(levels) + BOTTOM
    x0, x1 = LEFT + 40, WIDTH - RIGHT
    x, x_ticks = _time_axis([e.when for e in events], x0, x1)
    lane_y = {level: TOP + LANE_HEIGHT * (i + 0.5) for i, level in enumerate(levels)}
    chart = Chart(
        width=WIDTH, height=height, x0=x0, x1=x1, y0=TOP, y1=height - BOTTOM, x_ticks=x_ticks
    )
    # One lane per level: drawn by the same frame as a line chart's value ticks.
    chart.lanes = [Tick(at=_r(lane_y[level]), label=level) for level in levels]
    chart.y_ticks = chart.lanes
    for event in events:
        cx, cy = _r(x(event.when)), _r(lane_y[event.level])
        chart.marks.append(
            Mark(
                x=cx,
                y=cy,
                d=shape_path(SHAPES.get(event.level, "circle"), cx, cy),
                title=f"{utc(event.when)} · {event.level} · {event.event_type}: {event.summary}",
                css=f"chart-level-{event.level.lower()}",
            )
        )
    counts = ", ".join(f"{sum(1 for e in events if e.level == level)} {level}" for level in levels)
    chart.summary = (
        f"{len(events)} event{'s' if len(events) != 1 else ''} from {utc(events[0].when)} to "
        f"{utc(events[-1].when)}: {counts}."
    )
    return chart
