"""Where the duration chart puts things: SVG coordinates for a duration history (past runs as
points, the forecast each got from the other runs as a line, its band as an area, and the
forecast for the next run at the right edge). The template only draws what this computes;
no script is involved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sounding.domain.insights import DurationHistory

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 64, 12, 28  # margins: y labels left, the next run right


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    kind: str  # "inside", "outside" (of its band), "plain" (no band) or "anomaly"
    title: str
    execution_id: str


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class NextRun:
    x: float
    y: float
    y_low: float | None
    y_high: float | None
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int
    bottom: float  # y of the time axis
    right: float  # x where the plot area ends
    dots: list[Dot]
    forecast_line: str  # SVG points of the leave-one-out forecasts, "" when none
    bands: list[str]  # SVG points of one polygon per run of consecutive bands
    next_run: NextRun | None
    ticks: list[Tick]
    first_label: str
    last_label: str
    label: str  # what a screen reader hears


def seconds_text(value: float) -> str:
    if value >= 120:
        return f"{value / 60:.3g} min"
    return f"{value:.3g} s"


def _nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def build_chart(history: DurationHistory) -> Chart | None:
    """The chart of ``history``; None without a completed run."""
    points = history.points
    if not points:
        return None
    values = [p.seconds for p in points]
    values += [v for p in points for v in (p.forecast, p.high) if v is not None]
    values += [v for v in (history.band_high, history.forecast and history.forecast.seconds) if v]
    top = _nice_top(max(values) * 1.05)
    plot_h = HEIGHT - TOP - BOTTOM
    right = WIDTH - RIGHT
    slot = (right - LEFT) / max(len(points), 1)

    def x_of(i: int) -> float:
        return round(LEFT + slot * (i + 0.5), 1)

    def y_of(v: float) -> float:
        return round(TOP + plot_h * (1 - min(v, top) / top), 1)

    anomalous = {a.execution_id for a in history.anomalies}
    dots = []
    for i, p in enumerate(points):
        kind = (
            "anomaly"
            if p.execution_id in anomalous
            else "plain"
            if p.inside is None
            else "inside"
            if p.inside
            else "outside"
        )
        title = f"{p.at:%Y-%m-%d %H:%M:%S} UTC · " if p.at else ""
        title += f"{seconds_text(p.seconds)} for {p.tasks} task(s)"
        if p.forecast is not None:
            title += f" · forecast {seconds_text(p.forecast)}"
        if p.low is not None and p.high is not None:
            title += f" (band {seconds_text(p.low)} to {seconds_text(p.high)})"
        dots.append(Dot(x_of(i), y_of(p.seconds), kind, title, p.execution_id))

    line = [(x_of(i), y_of(p.forecast)) for i, p in enumerate(points) if p.forecast is not None]
    segments: list[list[tuple[float, float, float]]] = [[]]
    for i, p in enumerate(points):
        if p.low is None or p.high is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((x_of(i), y_of(p.high), y_of(p.low)))

    next_run = None
    f = history.forecast
    if f is not None:
        nx = round(right + RIGHT / 2, 1)
        low, high = history.band_low, history.band_high
        y_low = y_of(low) if low is not None else None
        y_high = y_of(high) if high is not None else None
        title = f"Next run: {seconds_text(f.seconds)} for {f.tasks} task(s)"
        if low is not None and high is not None:
            title += f", {history.band_level:.0%} band {seconds_text(low)} to {seconds_text(high)}"
        next_run = NextRun(nx, y_of(f.seconds), y_low, y_high, title)

    first, last = points[0].at, points[-1].at
    what = f"step {history.step}" if history.step else "whole execution"
    label = (
        f"Durations of {history.workflow} ({what}) over {len(points)} completed run(s)"
        f", between {seconds_text(min(p.seconds for p in points))} and "
        f"{seconds_text(max(p.seconds for p in points))}"
    )
    if f is not None:
        label += f"; next run forecast {seconds_text(f.seconds)}"
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        bottom=HEIGHT - BOTTOM,
        right=right,
        dots=dots,
        forecast_line=" ".join(f"{x},{y}" for x, y in line),
        bands=[_polygon(s) for s in segments if len(s) >= 2],
        next_run=next_run,
        ticks=[Tick(y_of(v), seconds_text(v)) for v in (0.0, top / 2, top)],
        first_label=_time_label(first, last),
        last_label=_time_label(last, first),
        label=label,
    )


def _polygon(segment: list[tuple[float, float, float]]) -> str:
    upper = [f"{x},{hi}" for x, hi, _ in segment]
    lower = [f"{x},{lo}" for x, _, lo in reversed(segment)]
    return " ".join(upper + lower)


def _time_label(at: datetime | None, other: datetime | None) -> str:
    """A run's start for the time axis, to the second when both ends fall in one minute."""
    if at is None:
        return ""
    close = other is not None and abs((at - other).total_seconds()) < 60
    return f"{at:%Y-%m-%d %H:%M:%S}" if close else f"{at:%Y-%m-%d %H:%M}"
