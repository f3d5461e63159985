"""The promotion rule, on its own: every branch and the record it leaves."""

import datetime as dt

import numpy as np
import pytest

from ogrine_assets.model.features import MODEL_FEATURES, DailySeries
from ogrine_assets.model.promotion import (
    DECISION_TAG,
    REASON_TAG,
    Contest,
    compare,
    decide,
    decision_tags,
    veto_unusable,
)

WINDOW = "182 origins x 7 days from 2026-05-27"


def contest(**changes: object) -> Contest:
    fields: dict = {
        "candidate": "5",
        "champion": "4",
        "candidate_mae": 10.0,
        "champion_mae": 12.0,
        "naive_mae": 15.0,
        "window": WINDOW,
        "origins": 182,
        "first_origin": dt.date(2026, 5, 27),
    }
    return Contest(**{**fields, **changes})


def rhythm(days: int = 300) -> DailySeries:
    t = np.arange(days)
    weekly = np.array([-6.0, -8, -4, 0, 4, 9, 5])[t % 7]
    noise = np.random.default_rng(2).normal(0, 1, days)
    return DailySeries(dt.date(2024, 1, 1), 600 + 0.2 * t + weekly + noise)


def test_compare_backtests_both_procedures_on_the_same_origins() -> None:
    series = rhythm()
    made, backtest = compare(series, "2", MODEL_FEATURES, "1", ["mean_28"])
    assert made.champion_mae is not None and made.candidate_mae < made.champion_mae
    assert made.naive_mae == pytest.approx(backtest.overall("naive")["mae"])
    assert made.origins == len(backtest.origins) and made.window == backtest.window()
    assert made.first_origin == series.start + dt.timedelta(days=int(backtest.origins[0]))
    assert not made.same_features
    same, _ = compare(series, "2", MODEL_FEATURES, "1", MODEL_FEATURES)
    assert same.same_features and same.candidate_mae == same.champion_mae


def test_compare_without_a_comparable_champion() -> None:
    series = rhythm()
    first, backtest = compare(series, "1", MODEL_FEATURES)
    assert first.champion is None and first.champion_mae is None
    assert set(backtest.forecasts) == {"candidate", "naive", "seasonal_naive"}
    itself, _ = compare(series, "3", MODEL_FEATURES, "3", MODEL_FEATURES)
    assert itself.champion_mae is None
    old, _ = compare(series, "4", MODEL_FEATURES, "3", ["lag_1", "year"])
    assert old.champion_mae is None and old.champion_missing_features == ["year"]
    assert decide(old).reason == "champion v3 needs features ['year'] no longer computed"


def test_no_champion_promotes() -> None:
    decision = decide(contest(champion=None, champion_mae=None))
    assert (decision.promote, decision.moves_alias, decision.reason) == (
        True,
        True,
        "no champion yet",
    )


def test_the_champion_itself_is_promoted_without_moving_the_alias() -> None:
    decision = decide(contest(champion="5", champion_mae=None))
    assert decision.promote and not decision.moves_alias
    assert decision.reason == "already the champion"


def test_better_and_tied_candidates_promote_and_worse_ones_do_not() -> None:
    better = decide(contest())
    assert better.promote and better.moves_alias and better.label == "promoted"
    assert better.reason == f"backtest MAE over {WINDOW}: 10.000 <= champion v4's 12.000"
    tie = decide(contest(candidate_mae=12.0, same_features=True))
    assert tie.promote
    assert tie.reason.endswith("(same features: the same procedure on fresher data)")
    worse = decide(contest(candidate_mae=12.5))
    assert not worse.promote and not worse.moves_alias and worse.label == "rejected"
    assert "12.500 > champion v4's 12.000" in worse.reason


def test_a_champion_that_cannot_be_refitted_gives_way() -> None:
    decision = decide(contest(champion_mae=None, champion_missing_features=["year"]))
    assert decision.promote and decision.moves_alias
    assert decision.reason == "champion v4 needs features ['year'] no longer computed"


def test_an_unusable_forecast_vetoes_only_a_move_of_the_alias() -> None:
    vetoed = veto_unusable(decide(contest()), [-3.2, float("nan")])
    assert not vetoed.promote and not vetoed.moves_alias
    assert vetoed.reason.startswith("its own forecast is unusable [-3.2, nan], although")
    kept = decide(contest(champion="5", champion_mae=None))
    assert veto_unusable(kept, [-1.0]) == kept  # the alias does not move: nothing to veto
    assert veto_unusable(decide(contest()), []) == decide(contest())


def record(made: Contest) -> dict[str, str]:
    return decision_tags(
        decide(made),
        made,
        decided_at=dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC),
        dagster_run_id="run",
    )


def test_the_record_names_the_decision_and_both_scores() -> None:
    made = contest()
    tags = record(made)
    assert tags[DECISION_TAG] == "promoted" and tags[REASON_TAG] == decide(made).reason
    assert tags["promotion.candidate_backtest_mae"] == "10.0000"
    assert tags["promotion.champion_backtest_mae"] == "12.0000"
    assert tags["promotion.naive_backtest_mae"] == "15.0000"
    assert tags["promotion.previous_champion"] == "4"
    assert tags["promotion.backtest_first_origin"] == "2026-05-27"
    assert tags["promotion.decided_at"] == "2026-11-26T09:30:00+00:00"
    first = record(contest(champion=None, champion_mae=None))
    assert first["promotion.previous_champion"] == ""
    assert "promotion.champion_backtest_mae" not in first
