"""The replay: the real policy run as of each past day, and how what it published did.

It shares the soak's clock machinery: ``calendar.scheduled`` says what runs when (weekly
training and promotion on Mondays, the daily refresh), and ``SimulatedUpstream`` answers,
as of each simulated day, only what the upstream knew then. Unlike the soak it injects no
fault and runs every step in this process (``runner.run_here``), on one Dagster instance
held in memory for the replay: what the loop leaves (MLflow's runs and versions, the
published forecasts) is in the scratch home, not Dagster's record of each run, whose
writing to SQLite was much of every step's time (docs/model.md).

Afterwards every document the loop published (the archive) is matched to the rates that
came later (``model/live_accuracy.py``): MAE per horizon day against the naive forecast
made on the same day, band coverage, and the versions promoted and rejected, as a table and
a figure (``replay.svg``: the actual rate, the next-day forecasts and their 80 % band, on
a date axis, with a legend).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from ogrine_assets.defs.common.mlflow_resources import model_registry_for
from ogrine_assets.forecast_document import decode
from ogrine_assets.model.live_accuracy import by_horizon as live_by_horizon
from ogrine_assets.model.live_accuracy import match_actuals, published_points
from ogrine_assets.names import DECISION_TAG, METHOD_TAG, PROMOTED, REJECTED
from ogrine_assets.settings import Settings
from ogrine_assets.simulation.calendar import Step, scheduled
from ogrine_assets.simulation.runner import environment, run_here
from ogrine_assets.simulation.upstream import SimulatedUpstream, rows_as_of
from ogrine_assets.svg import (
    Frame,
    Key,
    covering_ticks,
    date_axis,
    legend,
    text_width,
    tick_label,
)

Rows = Sequence[dict[str, Any]]  # upstream rows: id, datetime, rateTenth, rate


@dataclass
class ReplayReport:
    first_day: dt.date
    last_day: dt.date
    runs: int = 0
    failed: list[str] = field(default_factory=list)
    promoted: int = 0
    rejected: int = 0
    methods: dict[str, str] = field(default_factory=dict)  # version -> method
    by_horizon: pl.DataFrame = field(default_factory=pl.DataFrame)
    seconds: float = 0.0
    figure: Path | None = None

    @property
    def loop_mae(self) -> float:
        return _weighted(self.by_horizon, "loop_mae")

    @property
    def naive_mae(self) -> float:
        return _weighted(self.by_horizon, "naive_mae")

    def coverage(self, level: int) -> float:
        return _weighted(self.by_horizon, f"coverage_{level}")

    def table(self) -> str:
        days = (self.last_day - self.first_day).days + 1
        rows = [
            ("days replayed", f"{days} ({self.first_day} to {self.last_day})"),
            ("runs", f"{self.runs} ({len(self.failed)} failed)"),
            ("versions promoted / rejected", f"{self.promoted} / {self.rejected}"),
            ("methods registered", " · ".join(sorted(set(self.methods.values()))) or "none"),
            ("forecast days scored", str(int(self.by_horizon["forecasts"].sum()))),
            (
                "MAE, all horizons: loop / naive",
                f"{self.loop_mae:.3f} / {self.naive_mae:.3f} "
                f"({self.loop_mae / self.naive_mae:.3f})",
            ),
            ("band coverage 80 % / 95 %", f"{self.coverage(80):.1%} / {self.coverage(95):.1%}"),
            ("wall time", f"{self.seconds / 60:.1f} min"),
        ]
        lines = ["| figure | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]
        lines += ["", "| horizon | forecasts | loop MAE | naive MAE | coverage 80 % | 95 % |"]
        lines.append("|---:|---:|---:|---:|---:|---:|")
        for row in self.by_horizon.iter_rows(named=True):
            lines.append(
                f"| {row['horizon_days']} | {row['forecasts']} | {row['loop_mae']:.3f} | "
                f"{row['naive_mae']:.3f} | {row['coverage_80']:.1%} | {row['coverage_95']:.1%} |"
            )
        lines += [f"- failed: {failure}" for failure in self.failed]
        return "\n".join(lines)


def _weighted(frame: pl.DataFrame, column: str) -> float:
    weights = frame["forecasts"].cast(pl.Float64)
    return float((frame[column] * weights).sum()) / float(weights.sum())


def replay(
    home: Path,
    rows: Rows,
    first_day: dt.date,
    last_day: dt.date,
    say: Callable[[str], None] = print,
) -> ReplayReport:
    """Run the schedules' steps from ``first_day`` to ``last_day`` on ``home`` (a scratch
    home), the upstream answering ``rows`` as of each day; then score what was published."""
    began = time.monotonic()
    report = ReplayReport(first_day, last_day)
    days = (last_day - first_day).days + 1
    with (
        SimulatedUpstream(first_day, payload=rows_as_of(rows)) as upstream,
        dg.DagsterInstance.ephemeral() as instance,
    ):
        environ = environment(home, upstream.url)
        steps = scheduled(first_day, days)
        if first_day.weekday() != 0:  # a champion from the first day, as a user would have
            steps.insert(0, Step(steps[0].at - dt.timedelta(hours=1), "materialize"))
        for number, step in enumerate(steps, start=1):
            upstream.today = step.at.date()
            status, said = run_here(step, environ, by="replay", instance=instance)
            report.runs += 1
            if status != 0:
                last = said.strip().splitlines()[-1:] or ["(no output)"]
                report.failed.append(f"{step.at:%Y-%m-%d %H:%M} {step.command}: {last[0]}")
            if step.command == "materialize" or number == len(steps):
                say(f"{step.at:%Y-%m-%d} {step.command}: {'ok' if status == 0 else 'FAILED'}")
    settings = Settings.from_env(environ)
    decisions = model_registry_for(settings).decisions()
    report.promoted = sum(1 for t in decisions.values() if t.get(DECISION_TAG) == PROMOTED)
    report.rejected = sum(1 for t in decisions.values() if t.get(DECISION_TAG) == REJECTED)
    report.methods = {v: t.get(METHOD_TAG, "") for v, t in decisions.items()}
    scored = score(settings.archive_dir / "forecasts", rows)
    report.by_horizon = by_horizon(scored)
    report.figure = home / "replay.svg"
    report.figure.write_text(figure(scored))
    report.seconds = time.monotonic() - began
    return report


def actual_rates(rows: Rows) -> pl.DataFrame:
    """(date, rate) of every upstream row, one per day (the last of a day wins)."""
    return (
        pl.DataFrame(
            {
                "date": [dt.date.fromisoformat(str(r["datetime"])[:10]) for r in rows],
                "rate": [int(r["rateTenth"]) / 10 for r in rows],
            }
        )
        .unique("date", keep="last")
        .sort("date")
    )


def score(archive: Path, rows: Rows) -> pl.DataFrame:
    """Every published forecast day whose actual is known, with the naive forecast of the
    same origin (the rate on its last observed day) and both errors."""
    documents = [decode(path.read_bytes()) for path in sorted(archive.glob("*.json"))]
    actuals = actual_rates(rows)
    matched = match_actuals(published_points(documents), actuals)
    at_origin = actuals.select(pl.col("date").alias("origin"), pl.col("rate").alias("naive"))
    return matched.join(at_origin, on="origin", how="inner").with_columns(
        naive_abs_error=(pl.col("actual") - pl.col("naive")).abs()
    )


def by_horizon(scored: pl.DataFrame) -> pl.DataFrame:
    """Live accuracy per horizon day (``live_accuracy.by_horizon``), the naive forecast's
    error beside it."""
    naive = scored.group_by("horizon_days").agg(pl.col("naive_abs_error").mean().alias("naive_mae"))
    return (
        live_by_horizon(scored)
        .rename({"live_mae": "loop_mae"})
        .join(naive, on="horizon_days")
        .sort("horizon_days")
    )


# The figure's series, drawn as its legend shows them.
ACTUAL = Key("actual rate", stroke="#2166ac")
NEXT_DAY = Key("next-day forecast", stroke="#b2182b", dash="3 2")
BAND_80 = Key("its 80 % band", fill="#f4a582", opacity=0.5)


def figure(scored: pl.DataFrame, width: int = 720, height: int = 320, font: int = 11) -> str:
    """The actual rate, the next-day forecasts and their 80 % band, over the replay, drawn
    as the service's chart is: a value axis from at or below the lowest value drawn to at
    or above the highest, with grid lines; a date axis naming the year; and a legend."""
    next_day = scored.filter(pl.col("horizon_days") == 1).sort("date")
    if next_day.is_empty():
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"/>'
    dates = next_day["date"].to_list()
    first, last = dates[0], dates[-1]
    days = [(day - first).days for day in dates]
    columns = ("actual", "predicted", "lower_80", "upper_80")
    values = [v for c in columns for v in next_day[c].to_list() if v is not None]
    ticks = covering_ticks(min(values), max(values), 6)
    step = ticks[1] - ticks[0]
    labels = [tick_label(tick, step) for tick in ticks]
    left = round(max(text_width(label, font) for label in labels) + 10)
    top, bottom, right = round(font * 2.6), round(font * 1.6 + 10), 16
    frame = Frame(width, height, left, right, top, bottom, max(days[-1], 1), ticks[0], ticks[-1])
    upper = frame.points(days, next_day["upper_80"].fill_null(float("nan")).to_list())
    lower = frame.points(days[::-1], next_day["lower_80"].fill_null(float("nan")).to_list()[::-1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="{font}" fill="#333">',
        legend([ACTUAL, NEXT_DAY, BAND_80], left, font * 1.2, font),
    ]
    for tick, label in zip(ticks, labels, strict=True):
        at = f"{frame.y(tick):.1f}"
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{at}" y2="{at}" '
            'stroke="#ddd"/>'
            f'<text class="axis y" x="{left - 6}" y="{frame.y(tick) + font * 0.35:.1f}" '
            f'text-anchor="end">{label}</text>'
        )
    plot_bottom = height - bottom
    axis = date_axis(
        first,
        last,
        lambda day: frame.x((day - first).days),
        width=width,
        font=font,
        max_labels=8,
    )
    for day, label, centre in axis:
        at = f"{frame.x((day - first).days):.1f}"
        parts.append(
            f'<line class="tick" x1="{at}" x2="{at}" y1="{plot_bottom}" y2="{plot_bottom + 4}" '
            'stroke="#333"/>'
            f'<text class="axis x" x="{centre:.1f}" y="{height - 6}" text-anchor="middle">'
            f"{label}</text>"
        )
    parts += [
        f'<polygon class="band" points="{upper} {lower}" fill="{BAND_80.fill}" '
        f'opacity="{BAND_80.opacity:g}"/>',
        f'<polyline class="actual" points="{frame.points(days, next_day["actual"].to_list())}" '
        f'fill="none" stroke="{ACTUAL.stroke}" stroke-width="1.5"/>',
        f'<polyline class="forecast" '
        f'points="{frame.points(days, next_day["predicted"].to_list())}" fill="none" '
        f'stroke="{NEXT_DAY.stroke}" stroke-width="1" stroke-dasharray="{NEXT_DAY.dash}"/>',
        "</svg>",
    ]
    return "".join(parts)
