"""The contest behind a promotion decision: the candidate's procedure and the champion's,
backtested on the same origins of the newest data (``promotion.py`` holds the rule)."""

from __future__ import annotations

from ogrine_assets.model.backtest import NAIVE, Backtest, Spec, as_procedure, run_backtest
from ogrine_assets.model.features import DailySeries, unknown_features
from ogrine_assets.model.promotion import Contest
from ogrine_assets.model.selection import clearly_better, per_origin_mae

CANDIDATE, CHAMPION = "candidate", "champion"  # their rows in the promotion backtest


def compare(
    series: DailySeries,
    candidate: str,
    candidate_procedure: Spec,
    champion: str | None = None,
    champion_procedure: Spec = (),
    champion_broken: str = "",
) -> tuple[Contest, Backtest]:
    """Backtest the candidate's procedure and the champion's on the same origins of ``series``.

    A procedure is a method and its features (``model/candidates.py``); a plain feature list
    means least squares on them, as every version was before the method was chosen. A
    champion that needs features this code no longer computes, or that cannot be loaded at
    all (``champion_broken`` says why), cannot be refitted: the contest records why, and the
    rule lets it give way.
    """
    ours = as_procedure(candidate_procedure)
    theirs = as_procedure(champion_procedure)
    specs = {CANDIDATE: ours}
    rival = champion is not None and champion != candidate and not champion_broken
    missing = unknown_features(theirs.features) if rival else []
    if rival and not missing:
        specs[CHAMPION] = theirs
    backtest = run_backtest(series, specs)
    mae = {method: backtest.overall(method)["mae"] for method in backtest.forecasts}
    no_better = False
    if ours.fit == "naive" and CHAMPION in specs and theirs.fit != "naive":
        gain = per_origin_mae(backtest, CANDIDATE) - per_origin_mae(backtest, CHAMPION)
        no_better = not clearly_better(gain, backtest.horizon, 1)
    contest = Contest(
        candidate=candidate,
        champion=champion,
        candidate_mae=mae[CANDIDATE],
        champion_mae=mae.get(CHAMPION),
        naive_mae=mae[NAIVE],
        window=backtest.window(),
        origins=len(backtest.origins),
        first_origin=backtest.first_origin,
        champion_missing_features=missing,
        champion_broken=champion_broken,
        same_features=CHAMPION in specs
        and (ours.fit, ours.features) == (theirs.fit, theirs.features),
        champion_no_better_than_naive=no_better,
    )
    return contest, backtest
