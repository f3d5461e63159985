"""The method chosen per series: candidates, naive-family procedures, nested evaluation."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ogrine_assets.model.backtest import NAIVE, SEASONAL_NAIVE, backtest_origins, run_backtest
from ogrine_assets.model.candidates import (
    DRIFT,
    YEARLY_AFTER_DAYS,
    Procedure,
    candidates,
    procedure_of,
)
from ogrine_assets.model.candidates import NAIVE as NAIVE_PROCEDURE
from ogrine_assets.model.candidates import (
    SEASONAL_NAIVE as SEASONAL_NAIVE_PROCEDURE,
)
from ogrine_assets.model.estimators import fit_estimator, linear_weights
from ogrine_assets.model.features import YEARLY_FEATURES, DailySeries
from ogrine_assets.model.selection import (
    clearly_better,
    margin,
    per_origin_mae,
    select,
)
from ogrine_assets_tests.model.test_backtest import random_walk, trend_and_rhythm

START = dt.date(2022, 1, 3)


def test_the_naive_family_forecasts_exactly_as_its_definition() -> None:
    series = random_walk(400)
    origins = backtest_origins(series, days=60)
    backtest = run_backtest(
        series,
        {"n": NAIVE_PROCEDURE, "s": SEASONAL_NAIVE_PROCEDURE, "d": DRIFT},
        origins,
    )
    np.testing.assert_allclose(backtest.forecasts["n"], backtest.forecasts[NAIVE])
    np.testing.assert_allclose(backtest.forecasts["s"], backtest.forecasts[SEASONAL_NAIVE])
    # Drift: the last rate plus h times the mean daily change up to the origin.
    for row, origin in enumerate(origins):
        slope = (series.values[origin] - series.values[27]) / (origin - 27)
        expected = series.values[origin] + slope * np.arange(1, 8)
        np.testing.assert_allclose(backtest.forecasts["d"][row], expected, rtol=1e-9)


def test_a_random_walk_is_left_to_the_naive_family() -> None:
    for seed in (2, 3, 4):
        chosen = select(random_walk(900, seed)).winner
        assert chosen.naive_family, (seed, chosen.name)


def test_a_series_with_a_weekly_rhythm_gets_a_model_that_beats_naive_where_not_chosen() -> None:
    selection = select(trend_and_rhythm(900, 2.0))
    assert not selection.winner.naive_family
    assert "dow_tue" in selection.winner.features
    assert selection.nested_mae < selection.nested_naive_mae
    rows = selection.table()
    # Chosen on the older origins, reported on the newer ones (nested evaluation).
    best = min(rows, key=lambda row: row["selection_mae"])
    assert best["chosen"] and best["method"] == selection.winner.name  # clearly the best
    assert selection.nested_mae == pytest.approx(best["held_out_mae"], abs=1e-4)


def test_a_yearly_cycle_is_a_candidate_only_with_two_years_of_history() -> None:
    def yearly(days: int) -> DailySeries:
        rng = np.random.default_rng(5)
        t = np.arange(days)
        values = 1000 + 80 * np.sin(2 * np.pi * t / 365.25) + rng.normal(0, 3, days)
        return DailySeries(start=START, values=values)

    short = candidates(yearly(YEARLY_AFTER_DAYS - 1))
    assert not any(set(YEARLY_FEATURES) & set(p.features) for p in short)
    selection = select(yearly(3 * 365))
    assert set(YEARLY_FEATURES) <= set(selection.winner.features), selection.winner.name
    assert selection.nested_mae < selection.nested_naive_mae


def test_the_ridge_candidate_shrinks_the_least_squares_weights_mildly() -> None:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.normal(size=(200, 4)), columns=["a", "b", "c", "d"])
    target = frame.to_numpy() @ np.array([1.0, -2.0, 0.5, 0.0]) + 3 + rng.normal(0, 0.1, 200)
    names = tuple(frame.columns)
    ols, _ = linear_weights(fit_estimator(Procedure("ols", "ols", names), frame, target))
    shrunk, _ = linear_weights(fit_estimator(Procedure("ridge", "ridge", names), frame, target))
    assert np.linalg.norm(shrunk) < np.linalg.norm(ols)
    np.testing.assert_allclose(shrunk, ols, atol=0.01)  # a penalty of 1e-3 per row


def test_a_versions_procedure_comes_from_its_method_tag_and_features() -> None:
    assert procedure_of("naive", ["lag_1"]) == NAIVE_PROCEDURE
    assert procedure_of("drift", ["lag_1"]) == DRIFT
    assert procedure_of("ridge: every feature", ["lag_1", "trend"]).fit == "ridge"
    older = procedure_of(None, ["lag_1", "mean_7"])  # trained before the method was chosen
    assert (older.fit, older.features) == ("ols", ("lag_1", "mean_7"))
    # The fit tag, once recorded, decides over the name; one this code does not know does not.
    assert procedure_of("shrunk: every feature", ["lag_1"], "ridge").fit == "ridge"
    assert procedure_of("ridge-like", ["lag_1"], "ols").fit == "ols"
    assert procedure_of("renamed", ["lag_7"], "seasonal_naive") == SEASONAL_NAIVE_PROCEDURE
    assert procedure_of("ridge: every feature", ["lag_1"], "quantile").fit == "ridge"
    assert procedure_of("naive", ["lag_1", "trend"], "ols").features == ("lag_1", "trend")
    assert procedure_of("drift", ["lag_1"], "ridge").fit == "ridge"
    assert procedure_of("naive", ["lag_7"], "seasonal_naive") == SEASONAL_NAIVE_PROCEDURE


def test_the_margin_is_students_t_when_the_error_comes_from_a_few_blocks() -> None:
    assert margin(7) == pytest.approx(2.69, abs=0.005)  # the normal's, many blocks
    assert margin(7, blocks=13) == pytest.approx(3.24, abs=0.005)  # a 91-origin half


def rhythm_that_stops(seed: int, stopped_days: int = 91) -> DailySeries:
    """A random walk with a weekly rhythm that stops for its last ``stopped_days``."""
    t = np.arange(700)
    weekly = np.array([-6.0, -8.0, -4.0, 0.0, 4.0, 9.0, 5.0])[t % 7]
    weekly[-stopped_days:] = 0.0
    rng = np.random.default_rng(seed)
    return DailySeries(start=START, values=600 + np.cumsum(rng.normal(0, 2, 700)) + weekly)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_gain_gone_on_the_newer_origins_is_not_shipped(seed: int) -> None:
    selection = select(rhythm_that_stops(seed))
    rows = {row["method"]: row for row in selection.table()}
    best = min(rows.values(), key=lambda row: row["selection_mae"])
    half, backtest = selection.selected_on, selection.backtest
    gain = (per_origin_mae(backtest, NAIVE) - per_origin_mae(backtest, str(best["method"])))[:half]
    # Clearly better where it was chosen, worse than naive where it was not: vetoed.
    assert clearly_better(gain, backtest.horizon, len(rows) - 1)
    assert best["held_out_mae"] > rows["naive"]["held_out_mae"]
    assert selection.winner == NAIVE_PROCEDURE


def faint_rhythm(seed: int) -> DailySeries:
    """A random walk with a weekly rhythm too faint to be sure of (a sixth of the above)."""
    t = np.arange(700)
    weekly = 0.15 * np.array([-6.0, -8.0, -4.0, 0.0, 4.0, 9.0, 5.0])[t % 7]
    rng = np.random.default_rng(seed)
    return DailySeries(start=START, values=600 + np.cumsum(rng.normal(0, 2, 700)) + weekly)


def test_the_best_of_several_alternatives_must_clear_the_margin_for_all_of_them() -> None:
    """A gain that would be clear for one alternative but not for the best of all of them
    (Bonferroni): naive is kept. The series is fixed (seed 4), so this never varies."""
    selection = select(faint_rhythm(seed=4))
    rows = {row["method"]: row for row in selection.table()}
    best = min(rows.values(), key=lambda row: row["selection_mae"])
    half, backtest = selection.selected_on, selection.backtest
    gain = (per_origin_mae(backtest, NAIVE) - per_origin_mae(backtest, str(best["method"])))[:half]
    alternatives = len(rows) - 1
    assert best["method"] != "naive" and alternatives > 1
    assert clearly_better(gain, backtest.horizon, 1)  # clear, were it the only alternative
    assert not clearly_better(gain, backtest.horizon, alternatives)  # not as the best of them
    assert best["held_out_mae"] <= rows["naive"]["held_out_mae"]  # the newer half: no veto
    assert selection.winner == NAIVE_PROCEDURE


def test_a_gain_is_judged_on_whole_weeks_of_origins() -> None:
    """Two whole weeks of gains averaging 10 and 10.5 kamas: a mean of 10.25 against a
    standard error of 0.25 from two block means (Student's t with one degree of freedom:
    margin(1, 2) = 12.71, so 3.2 kamas) is clear. Fewer than two whole weeks never are, and
    a last, partial week does not count."""
    two_weeks = np.array([10.0] * 7 + [10.5] * 7)
    assert margin(1, blocks=2) == pytest.approx(12.71, abs=0.01)
    assert clearly_better(two_weeks, 7, 1)
    assert not clearly_better(two_weeks[:13], 7, 1)  # one whole week only
    assert clearly_better(np.concatenate([two_weeks, [-1000.0] * 6]), 7, 1)
    assert clearly_better(np.concatenate([two_weeks, [np.nan] * 3]), 7, 1)  # unknown: left out
    assert not clearly_better(np.array([10.0] * 7 + [-9.0] * 7), 7, 1)  # 0.5, error 9.5


def test_one_alternative_gets_the_two_sided_five_percent_margin() -> None:
    assert margin(1) == pytest.approx(1.96, abs=0.005)
    assert margin(0) == margin(1)


def test_select_judges_the_best_against_the_margin_for_all_its_alternatives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The count of alternatives select hands the margin: every candidate but naive."""
    from ogrine_assets.model import selection as selection_module

    asked: list[int] = []
    real_margin = selection_module.margin

    def recording(alternatives: int, blocks: int | None = None) -> float:
        asked.append(alternatives)
        return real_margin(alternatives, blocks)

    monkeypatch.setattr(selection_module, "margin", recording)
    series = faint_rhythm(seed=4)
    chosen = select(series)
    assert asked == [len(chosen.procedures) - 1] and len(chosen.procedures) > 2


def test_select_backtests_the_procedures_and_origins_it_is_given() -> None:
    series = faint_rhythm(seed=4)
    origins = backtest_origins(series, days=40)
    chosen = select(series, origins=origins, procedures=[NAIVE_PROCEDURE, DRIFT])
    assert chosen.procedures == (NAIVE_PROCEDURE, DRIFT)
    assert np.array_equal(chosen.backtest.origins, origins) and chosen.selected_on == 20
    rows = chosen.table()
    assert [row["method"] for row in rows] == [NAIVE_PROCEDURE.name, DRIFT.name]
    assert rows[1]["features"] == ", ".join(DRIFT.features)
    older = per_origin_mae(chosen.backtest, DRIFT.name)[:20]
    newer = per_origin_mae(chosen.backtest, DRIFT.name)[20:]
    assert rows[1]["selection_mae"] == pytest.approx(np.nanmean(older), abs=1e-4)
    assert rows[1]["held_out_mae"] == pytest.approx(np.nanmean(newer), abs=1e-4)
