"""Which features earn their place: greedy forward selection by rolling-origin backtest.

Starting from nothing, each step adds the feature group (the weekday one-hots count as one)
that lowers the backtest's MAE the most, and stops when no group improves it by at least
``--min-gain`` (0.5 %). The series is the embedded synthetic source up to a fixed day, or a
validated_rates Parquet file given with ``--parquet``. The naive and seasonal-naive
forecasts on the same origins are the reference. (Training no longer uses one hand-chosen
set: it chooses among candidates per series, ``model/candidates.py``; this script shows
which single features matter on a series, to design that candidate set.)

    .venv/bin/python benchmarks/features.py [--parquet ~/.ogrine/storage/validated_rates.parquet]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import msgspec
import polars as pl

from ogrine_assets.model.backtest import NAIVE, SEASONAL_NAIVE, backtest_origins, run_backtest
from ogrine_assets.model.features import (
    MODEL_FEATURES,
    PATH_FEATURES,
    WEEKDAY_FEATURES,
    series_from_frame,
)
from ogrine_assets.rates.cleaning import clean_rates, date_bounds
from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.rates.upstream import parse_rates

GROUPS = {name: (name,) for name in PATH_FEATURES} | {"weekday": WEEKDAY_FEATURES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parquet", help="a validated_rates Parquet file (default: synthetic)")
    parser.add_argument("--until", default="2026-11-25", help="last synthetic day")
    parser.add_argument("--min-gain", type=float, default=0.005)
    args = parser.parse_args()
    if args.parquet:
        frame = pl.read_parquet(args.parquet)
    else:
        today = dt.date.fromisoformat(args.until) + dt.timedelta(days=1)
        frame = clean_rates(parse_rates(msgspec.json.encode(synthetic_payload(today)))).clean
    series = series_from_frame(frame)
    origins = backtest_origins(series)

    def mae(features: tuple[str, ...]) -> float:
        return run_backtest(series, {"model": features}, origins).overall("model")["mae"]

    baselines = run_backtest(series, {}, origins)
    first, last = date_bounds(frame["date"])
    span = f"{first} to {last}"
    print(f"\n{len(origins)} origins, 7-day forecasts, data {span}\n")
    print("| step | features | backtest MAE | gain |")
    print("|---:|---|---:|---:|")
    print(f"| | naive (last value) | {baselines.overall(NAIVE)['mae']:.2f} | |")
    seasonal = baselines.overall(SEASONAL_NAIVE)["mae"]
    print(f"| | seasonal naive (same weekday last week) | {seasonal:.2f} | |")
    chosen: list[str] = []
    best = baselines.overall(NAIVE)["mae"]
    for step in range(1, len(GROUPS) + 1):
        trials = {
            group: mae(tuple(f for g in [*chosen, group] for f in GROUPS[g]))
            for group in GROUPS
            if group not in chosen
        }
        group, score = min(trials.items(), key=lambda item: item[1])
        gain = (best - score) / best
        if step > 1 and gain < args.min_gain:
            note = f"next best: + {group}, {score:.2f}, gain {gain:.1%} < {args.min_gain:.1%}: stop"
            print(f"| | ({note}) | | |")
            break
        chosen.append(group)
        best = score
        print(f"| {step} | {' + '.join(chosen)} | {score:.2f} | {gain:.1%} |")
    listed = ", ".join(MODEL_FEATURES)
    print(f"| | MODEL_FEATURES (a candidate): {listed} | {mae(MODEL_FEATURES):.2f} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
