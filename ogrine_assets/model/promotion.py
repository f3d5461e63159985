"""The promotion rule: when a new model version may replace the champion, and which is it.

Both versions' *procedures* (their feature sets, refitted at every origin) are backtested
on the same origins of the newest data (``contest.py``; ``backtest.py`` says why
procedures, not frozen artifacts, are what can be compared honestly). The rule and the
record it leaves on the version live here, pure (no NumPy: the code location reads the
record), so they are tested on their own; the ``champion_model`` asset only gathers the
inputs and carries the decision out.

The record on the versions is the truth: every version gets one decision, and the champion
is the newest version promoted and not found broken (:func:`standing_champion`). The
``champion`` alias follows the published forecast: it is moved to that version once the
forecast made by it is in place, so the two never name different versions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from ogrine_assets.names import (
    BROKEN_TAG,
    CONTEST_TAG,
    DATA_FIRST_DATE_TAG,
    DATA_LAST_DATE_TAG,
    DATA_SUSPECT_DAYS_TAG,
    DECIDED_AT_TAG,
    DECISION_TAG,
    PROMOTED,
    REASON_TAG,
    REJECTED,
)

Decisions = Mapping[str, Mapping[str, str]]  # version -> its tags


def _newest_first(decisions: Decisions) -> list[str]:
    return sorted(decisions, key=int, reverse=True)


def standing_champion(decisions: Decisions) -> str | None:
    """The newest version promoted and not found broken: what the forecast is made with."""
    for version in _newest_first(decisions):
        tags = decisions[version]
        if tags.get(DECISION_TAG) == PROMOTED and BROKEN_TAG not in tags:
            return version
    return None


def fallen_champion(decisions: Decisions) -> str | None:
    """The newest version promoted but since found broken: named when no champion stands."""
    for version in _newest_first(decisions):
        tags = decisions[version]
        if tags.get(DECISION_TAG) == PROMOTED and BROKEN_TAG in tags:
            return version
    return None


def pending(decisions: Decisions) -> list[str]:
    """The versions still waiting for a decision, oldest first: each gets exactly one."""
    return [v for v in reversed(_newest_first(decisions)) if DECISION_TAG not in decisions[v]]


def at_least_as_good(candidate_error: float, champion_error: float) -> bool:
    """The candidate's error does not exceed the champion's (ties promote: the same quality
    on fresher data)."""
    return bool(round(candidate_error, 9) <= round(champion_error, 9))


@dataclass(frozen=True)
class Contest:
    """What the rule weighs: the versions, and their backtest MAE on the same origins."""

    candidate: str
    champion: str | None  # the standing champion, if any
    candidate_mae: float
    champion_mae: float | None  # None: no champion, or its procedure could not be refitted
    naive_mae: float
    window: str  # the origins compared, in words ("182 origins x 7 days from 2026-05-27")
    origins: int
    first_origin: dt.date
    champion_missing_features: Sequence[str] = ()
    champion_broken: str = ""  # why the champion cannot be loaded, when it cannot
    same_features: bool = False
    # The candidate repeats the last rate, and the champion does not beat that clearly on
    # these origins (the selection's test, model/selection.py): the simpler method wins.
    champion_no_better_than_naive: bool = False


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str

    @property
    def label(self) -> str:
        return PROMOTED if self.promote else REJECTED


def decide(contest: Contest) -> Decision:
    """Promote when there is no working champion to compare with, or when the candidate is at
    least as good as it.

    A champion that cannot be loaded gives way like no champion at all: a working model
    beats none. The candidate's score against the naive forecast is recorded instead.
    """
    if contest.champion is None:
        return Decision(True, "no champion yet")
    if contest.champion_broken:
        versus_naive = at_least_as_good(contest.candidate_mae, contest.naive_mae)
        return Decision(
            True,
            f"champion v{contest.champion} cannot be loaded ({contest.champion_broken}); "
            f"judged against the naive forecast instead: {contest.candidate_mae:.3f} "
            f"{'<=' if versus_naive else '>'} {contest.naive_mae:.3f}",
        )
    if contest.champion_mae is None:
        return Decision(
            True,
            f"champion v{contest.champion} needs features "
            f"{list(contest.champion_missing_features)} no longer computed",
        )
    if contest.champion_no_better_than_naive:
        return Decision(
            True,
            f"champion v{contest.champion} does not clearly beat repeating the last rate "
            f"(backtest MAE over {contest.window}: {contest.champion_mae:.3f} against "
            f"{contest.candidate_mae:.3f}): the simpler method wins",
        )
    promote = at_least_as_good(contest.candidate_mae, contest.champion_mae)
    reason = (
        f"backtest MAE over {contest.window}: {contest.candidate_mae:.3f} "
        f"{'<=' if promote else '>'} champion v{contest.champion}'s {contest.champion_mae:.3f}"
        + (" (same features: the same procedure on fresher data)" if contest.same_features else "")
    )
    return Decision(promote, reason)


def veto_unusable(decision: Decision, unusable: Sequence[float]) -> Decision:
    """Reject a promotion whose candidate artifact forecasts ``unusable`` rates: the champion
    must never be a model that cannot forecast."""
    if not (decision.promote and unusable):
        return decision
    return replace(
        decision,
        promote=False,
        reason=f"its own forecast is unusable {[round(rate, 1) for rate in unusable]}, "
        f"although {decision.reason}",
    )


def veto_implausible(decision: Decision, problems: Sequence[str]) -> Decision:
    """Reject a promotion whose candidate's own forecast fails the gate (``gate.py``): a
    champion whose forecast could not be published would leave the players without one."""
    if not (decision.promote and problems):
        return decision
    return replace(
        decision,
        promote=False,
        reason=f"its own forecast is implausible ({problems[0]}), although {decision.reason}",
    )


def trained_on_suspect_days(tags: Mapping[str, str], suspect_now: Iterable[str]) -> list[str]:
    """The days now found suspect that a version trained on: inside its data's span and not
    among those it already left out. A version that does not say its span (trained before
    it was recorded) is taken as it is."""
    first, last = tags.get(DATA_FIRST_DATE_TAG), tags.get(DATA_LAST_DATE_TAG)
    if not first or not last:
        return []
    left_out = set(tags.get(DATA_SUSPECT_DAYS_TAG, "").split(","))
    return sorted(day for day in suspect_now if first <= day <= last and day not in left_out)


def veto_suspect(decision: Decision, days: Sequence[str]) -> Decision:
    """Reject a promotion whose candidate learned from ``days`` since found suspect."""
    if not (decision.promote and days):
        return decision
    shown = ", ".join(days[:3]) + (f" and {len(days) - 3} more" if len(days) > 3 else "")
    return replace(
        decision,
        promote=False,
        reason=f"it was trained on days since found suspect ({shown}), although {decision.reason}",
    )


def unloadable(why: str) -> Decision:
    """The decision for a candidate whose own model cannot be loaded."""
    return Decision(False, f"it cannot be used: {why}")


def unjudgeable(why: str) -> Decision:
    """The decision for a candidate that cannot be compared at all (its training run is
    gone, it needs features this code no longer computes): waiting would not mend it."""
    return Decision(False, f"it cannot be judged: {why}")


def unfinished(version: str, status: str) -> Decision:
    """The decision for a version whose training run never finished (its process died after
    registering it): it was never fully recorded, so it cannot be trusted."""
    return Decision(False, f"its training run ended {status}: v{version} was never fully recorded")


def decision_tags(
    decision: Decision,
    contest: Contest | None,
    *,
    decided_at: dt.datetime,
    dagster_run_id: str,
) -> dict[str, str]:
    """The record left on the candidate version, readable in the MLflow UI (``contest`` is
    None when the version could not be compared at all).

    The decision tag comes last: tags are written one by one, and a version counts as
    decided only once its whole record is there, so a process stopped half-way leaves it
    pending, to be judged again.
    """
    tags = {
        REASON_TAG: decision.reason,
        DECIDED_AT_TAG: decided_at.isoformat(timespec="seconds"),
        "promotion.dagster_run_id": dagster_run_id,
    }
    if contest is None:
        return tags | {DECISION_TAG: decision.label}
    against = (
        f"champion v{contest.champion} {contest.champion_mae:.2f}, "
        if (contest.champion is not None and contest.champion_mae is not None)
        else ""
    )
    tags[CONTEST_TAG] = (
        f"backtest MAE (kamas): candidate {contest.candidate_mae:.2f}, {against}"
        f"naive {contest.naive_mae:.2f}; {contest.origins} origins from {contest.first_origin}"
    )
    return tags | {DECISION_TAG: decision.label}
