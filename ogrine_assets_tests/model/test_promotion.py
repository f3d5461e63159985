"""The promotion rule, on its own: every branch and the record it leaves."""

import datetime as dt

from ogrine_assets.model.promotion import (
    Contest,
    Decision,
    decide,
    decision_tags,
    fallen_champion,
    pending,
    standing_champion,
    unfinished,
    unloadable,
    veto_unusable,
)
from ogrine_assets.names import (
    BROKEN_TAG,
    CONTEST_TAG,
    DECISION_TAG,
    REASON_TAG,
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


def test_no_champion_promotes() -> None:
    decision = decide(contest(champion=None, champion_mae=None))
    assert (decision.promote, decision.reason) == (True, "no champion yet")


def test_better_and_tied_candidates_promote_and_worse_ones_do_not() -> None:
    better = decide(contest())
    assert better.promote and better.label == "promoted"
    assert better.reason == f"backtest MAE over {WINDOW}: 10.000 <= champion v4's 12.000"
    tie = decide(contest(candidate_mae=12.0, same_features=True))
    assert tie.promote
    assert tie.reason.endswith("(same features: the same procedure on fresher data)")
    worse = decide(contest(candidate_mae=12.5))
    assert not worse.promote and worse.label == "rejected"
    assert "12.500 > champion v4's 12.000" in worse.reason


def test_a_champion_that_cannot_be_refitted_gives_way() -> None:
    decision = decide(contest(champion_mae=None, champion_missing_features=["year"]))
    assert decision.promote
    assert decision.reason == "champion v4 needs features ['year'] no longer computed"


def test_a_champion_that_cannot_be_loaded_gives_way_and_naive_is_the_yardstick() -> None:
    beats = decide(contest(champion_mae=None, champion_broken="its files are gone"))
    assert beats.promote
    assert beats.reason == (
        "champion v4 cannot be loaded (its files are gone); judged against the naive "
        "forecast instead: 10.000 <= 15.000"
    )
    # Worse than naive, still promoted: a working model beats none, and the document says so.
    loses = decide(contest(candidate_mae=16.0, champion_mae=None, champion_broken="gone"))
    assert loses.promote and loses.reason.endswith("16.000 > 15.000")


def test_an_unusable_forecast_vetoes_a_promotion() -> None:
    vetoed = veto_unusable(decide(contest()), [-3.2, float("nan")])
    assert not vetoed.promote
    assert vetoed.reason.startswith("its own forecast is unusable [-3.2, nan], although")
    rejected = decide(contest(candidate_mae=13.0))
    assert veto_unusable(rejected, [-1.0]) == rejected  # nothing to veto
    assert veto_unusable(decide(contest()), []) == decide(contest())


def test_candidates_that_cannot_be_judged_are_rejected_with_their_cause() -> None:
    assert unfinished("7", "KILLED") == Decision(
        False, "its training run ended KILLED: v7 was never fully recorded"
    )
    assert unloadable("model version 7 cannot be loaded: gone") == Decision(
        False, "it cannot be used: model version 7 cannot be loaded: gone"
    )


def test_the_champion_is_the_newest_version_promoted_and_not_broken() -> None:
    decisions = {
        "1": {DECISION_TAG: "promoted"},
        "2": {DECISION_TAG: "promoted", BROKEN_TAG: "its files are gone"},
        "3": {DECISION_TAG: "rejected"},
        "10": {},
        "4": {},
    }
    assert standing_champion(decisions) == "1"
    assert pending(decisions) == ["4", "10"]  # oldest first, by number
    assert standing_champion({**decisions, "11": {DECISION_TAG: "promoted"}}) == "11"
    assert standing_champion({}) is None and pending({}) == []


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
    # The comparison in one readable line: scores, the champion, the origins.
    assert tags[CONTEST_TAG] == (
        "backtest MAE (kamas): candidate 10.00, champion v4 12.00, naive 15.00; "
        f"{made.origins} origins from 2026-05-27"
    )
    assert tags["promotion.decided_at"] == "2026-11-26T09:30:00+00:00"
    # Written last, so a record cut short by a killed process leaves the version pending.
    assert list(tags)[-1] == DECISION_TAG
    unjudged = decision_tags(
        unfinished("5", "KILLED"),
        None,
        decided_at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
        dagster_run_id="run",
    )
    assert list(unjudged) == [
        REASON_TAG,
        "promotion.decided_at",
        "promotion.dagster_run_id",
        DECISION_TAG,
    ]
    first = record(contest(champion=None, champion_mae=None))
    assert "champion" not in first[CONTEST_TAG]
    assert len(tags) == 5  # few tags, each readable in the MLflow UI


def test_a_fallen_champion_is_named_when_none_stands() -> None:
    decisions = {
        "1": {DECISION_TAG: "promoted", BROKEN_TAG: "gone"},
        "2": {DECISION_TAG: "rejected"},
    }
    assert standing_champion(decisions) is None and fallen_champion(decisions) == "1"
    assert fallen_champion({"1": {DECISION_TAG: "promoted"}}) is None
