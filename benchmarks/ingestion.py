"""How parsing, cleaning and validating the upstream's answer scale: 10k, 100k and 1M rows.

The rows follow the upstream contract (one per day, `+00:00` offsets, `rate` printed like
the server prints it). Each stage is timed on the same bytes, best of `--repeat` runs, next
to a reference measured in the same run: the standard library's `json.loads` of those
bytes, the least any Python reader of the answer must pay.

    .venv/bin/python benchmarks/ingestion.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import numpy as np
import polars as pl

from ogrine_assets.rates.cleaning import clean_rates
from ogrine_assets.rates.schema import validate
from ogrine_assets.rates.upstream import parse_rates

SIZES = (10_000, 100_000, 1_000_000)
START = dt.date(1000, 1, 1)  # a million days back from 3738: still valid dates


def answer(rows: int) -> tuple[bytes, dt.date]:
    """The upstream's JSON for ``rows`` consecutive days, built without a Python loop per row."""
    rng = np.random.default_rng(rows)
    tenths = np.clip(7000 + np.cumsum(rng.integers(-30, 31, rows)), 1000, 90_000)
    frame = pl.DataFrame(
        {
            "id": np.arange(1, rows + 1),
            "datetime": pl.date_range(
                START, START + dt.timedelta(days=rows - 1), eager=True
            ).dt.strftime("%Y-%m-%dT00:00:00+00:00"),
            "rateTenth": tenths,
            "rate": tenths / 10,
        }
    )
    body = b'{"status":200,"sort":"ASC","limit":null,"count":%d,"rates":' % rows
    body += frame.write_json().encode() + b"}"
    return body, START + dt.timedelta(days=rows)


Result = TypeVar("Result")


def best(repeat: int, work: Callable[[], Result]) -> tuple[float, Result]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - began)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    validate(clean_rates(parse_rates(answer(100)[0])).clean)  # imports and first-call costs

    columns = ["rows", "MB", "json.loads (ref)", "parse", "clean", "validate", "total"]
    print("\n| " + " | ".join([*columns, "total / ref", "µs per row"]) + " |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows in SIZES:
        body, today = answer(rows)
        reference, _ = best(args.repeat, partial(json.loads, body))
        parse_s, raw = best(args.repeat, partial(parse_rates, body))
        clean_s, cleaned = best(args.repeat, partial(clean_rates, raw, today))
        assert cleaned.clean.height == rows and cleaned.rejected_count == 0
        validate_s, _ = best(args.repeat, partial(validate, cleaned.clean))
        total = parse_s + clean_s + validate_s
        print(
            f"| {rows:,} | {len(body) / 1e6:.0f} | {reference:.3f} s | {parse_s:.3f} s | "
            f"{clean_s:.3f} s | {validate_s:.3f} s | **{total:.3f} s** | {total / reference:.2f} | "
            f"{total / rows * 1e6:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
