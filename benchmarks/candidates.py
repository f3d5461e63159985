"""Whether a robust estimator earns a place among the candidates: the selection's own nested
evaluation, with and without scikit-learn's ``HuberRegressor`` on every feature.

The candidate is scikit-learn's estimator itself (standardised features, Huber's loss, the
ridge candidate's penalty), refitted at every backtest origin: no fast path stands in for
it here. On each series the tests hold the selection to (the synthetic default and the
three real ones, ``ogrine_assets_tests/real_series.py``; needs the dev extra), the table
gives the method chosen and its MAE on the origins it was not chosen on, against naive's.
A candidate earns its place when it is chosen somewhere and lowers that score there.

    .venv/bin/python -m benchmarks.candidates
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import sys
import time
from collections.abc import Callable

import msgspec
import numpy as np
import pandas as pd

from ogrine_assets.model.candidates import RIDGE_PENALTY, Procedure, candidates
from ogrine_assets.model.estimators import linear_weights
from ogrine_assets.model.features import DailySeries, series_from_frame
from ogrine_assets.model.selection import Selection, select
from ogrine_assets.rates.cleaning import clean_rates
from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.rates.upstream import parse_rates


@dataclasses.dataclass(frozen=True)
class HuberProcedure(Procedure):
    """Every feature, standardised, fitted with Huber's loss: large errors weigh linearly."""

    def expanding_weights(
        self, design: np.ndarray, target: np.ndarray, ends: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.linear_model import HuberRegressor
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        coefficients, intercepts = [], []
        for end in ends:
            columns = [f"x{i}" for i in range(design.shape[1])]
            frame = pd.DataFrame(design[:end], columns=columns)
            huber = HuberRegressor(alpha=RIDGE_PENALTY * int(end), max_iter=500)
            fitted = Pipeline([("scale", StandardScaler()), ("ridge", huber)])
            fitted.fit(frame, target[:end])
            weights, intercept = linear_weights(fitted)
            coefficients.append(weights)
            intercepts.append(intercept)
        return np.array(coefficients), np.array(intercepts)


def synthetic() -> DailySeries:
    body = msgspec.json.encode(synthetic_payload(dt.date(2026, 11, 26)))
    return series_from_frame(clean_rates(parse_rates(body)).clean)


def row(name: str, chosen: Selection, seconds: float) -> str:
    return (
        f"| {name} | {chosen.winner.name} | {chosen.nested_mae:.3f} | "
        f"{chosen.nested_naive_mae:.3f} | {seconds:.1f} s |"
    )


def main() -> int:
    from ogrine_assets_tests.real_series import SERIES, series

    every: dict[str, Callable[[], DailySeries]] = {"synthetic": synthetic}
    every |= {name: functools.partial(series, name) for name in SERIES}
    print("| series | chosen | nested MAE | naive's | selection took |\n|---|---|---:|---:|---:|")
    for name, make in every.items():
        daily = make()
        base = candidates(daily)
        ridge = base[-1]
        # A kind of fit the product does not have (so not one of its Fit types), and one the
        # backtest must not take for the ridge's: it shares refits by (fit, features).
        huber = HuberProcedure("huber: every feature", "huber", ridge.features)  # type: ignore[arg-type]
        for label, procedures in ((name, base), (f"{name} + huber", [*base, huber])):
            began = time.perf_counter()
            chosen = select(daily, procedures=procedures)
            print(row(label, chosen, time.perf_counter() - began), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
