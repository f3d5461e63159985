"""The promotion rule: when a new model version may take the ``champion`` alias.

Both versions' *procedures* (their feature sets, refitted at every origin) are backtested
on the same origins of the newest data (``backtest.py`` says why procedures, not frozen
artifacts, are what can be compared honestly). The rule and the record it leaves on the
version live here, pure, so they are tested on their own; the ``champion_model`` asset only
gathers the inputs and carries the decision out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ogrine_assets.model.backtest import NAIVE, Backtest, run_backtest
from ogrine_assets.model.features import DailySeries, unknown_features

CANDIDATE, CHAMPION = "candidate", "champion"  # their rows in the promotion backtest

# The version tags that record a decision; a version that carries DECISION_TAG is judged.
DECISION_TAG = "promotion.decision"
REASON_TAG = "promotion.reason"


def at_least_as_good(candidate_error: float, champion_error: float) -> bool:
    """The candidate's error does not exceed the champion's (ties promote: the same quality
    on fresher data)."""
    return bool(np.round(candidate_error, 9) <= np.round(champion_error, 9))


@dataclass(frozen=True)
class Contest:
    """What the rule weighs: the versions, and their backtest MAE on the same origins."""

    candidate: str
    champion: str | None  # the version the alias points at, if any
    candidate_mae: float
    champion_mae: float | None  # None: no champion, or its procedure could not be refitted
    naive_mae: float
    window: str  # the origins compared, in words ("182 origins x 7 days from 2026-05-27")
    origins: int
    first_origin: dt.date
    champion_missing_features: Sequence[str] = ()
    same_features: bool = False


def compare(
    series: DailySeries,
    candidate: str,
    candidate_features: Sequence[str],
    champion: str | None = None,
    champion_features: Sequence[str] = (),
) -> tuple[Contest, Backtest]:
    """Backtest the candidate's procedure and the champion's on the same origins of ``series``.

    A champion that needs features this code no longer computes cannot be refitted: the
    contest then records which, and the rule lets it give way.
    """
    specs = {CANDIDATE: list(candidate_features)}
    rival = champion is not None and champion != candidate
    missing = unknown_features(champion_features) if rival else []
    if rival and not missing:
        specs[CHAMPION] = list(champion_features)
    backtest = run_backtest(series, specs)
    mae = {method: backtest.overall(method)["mae"] for method in backtest.forecasts}
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
        same_features=specs[CANDIDATE] == specs.get(CHAMPION),
    )
    return contest, backtest


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str
    moves_alias: bool  # False when the candidate already is the champion

    @property
    def label(self) -> str:
        return "promoted" if self.promote else "rejected"


def decide(contest: Contest) -> Decision:
    """Promote when there is no comparable champion, or when the candidate is at least as good."""
    if contest.champion is None:
        return Decision(True, "no champion yet", moves_alias=True)
    if contest.champion == contest.candidate:
        return Decision(True, "already the champion", moves_alias=False)
    if contest.champion_mae is None:
        return Decision(
            True,
            f"champion v{contest.champion} needs features "
            f"{list(contest.champion_missing_features)} no longer computed",
            moves_alias=True,
        )
    promote = at_least_as_good(contest.candidate_mae, contest.champion_mae)
    reason = (
        f"backtest MAE over {contest.window}: {contest.candidate_mae:.3f} "
        f"{'<=' if promote else '>'} champion v{contest.champion}'s {contest.champion_mae:.3f}"
        + (" (same features: the same procedure on fresher data)" if contest.same_features else "")
    )
    return Decision(promote, reason, moves_alias=promote)


def veto_unusable(decision: Decision, unusable: Sequence[float]) -> Decision:
    """Reject a promotion whose candidate artifact forecasts ``unusable`` rates: the alias
    must never point at a model that cannot forecast."""
    if not (decision.promote and decision.moves_alias and unusable):
        return decision
    return replace(
        decision,
        promote=False,
        moves_alias=False,
        reason=f"its own forecast is unusable {[round(rate, 1) for rate in unusable]}, "
        f"although {decision.reason}",
    )


def decision_tags(
    decision: Decision, contest: Contest, *, decided_at: dt.datetime, dagster_run_id: str
) -> dict[str, str]:
    """The record left on the candidate version, readable in the MLflow UI."""
    tags = {
        DECISION_TAG: decision.label,
        REASON_TAG: decision.reason,
        "promotion.score": "backtest MAE (kamas), mean over origins and horizon days",
        "promotion.backtest_origins": str(contest.origins),
        "promotion.backtest_first_origin": str(contest.first_origin),
        "promotion.candidate_backtest_mae": f"{contest.candidate_mae:.4f}",
        "promotion.naive_backtest_mae": f"{contest.naive_mae:.4f}",
        "promotion.previous_champion": contest.champion or "",
        "promotion.decided_at": decided_at.isoformat(timespec="seconds"),
        "promotion.dagster_run_id": dagster_run_id,
    }
    if contest.champion_mae is not None:
        tags["promotion.champion_backtest_mae"] = f"{contest.champion_mae:.4f}"
    return tags
