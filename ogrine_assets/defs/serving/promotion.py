"""champion_model: every registered version still waiting gets its one promotion decision.

The comparison and the rule are ``model/promotion.py``; this asset gathers their inputs
from the registry and records each decision on its version. The ``forecast`` asset then
publishes with the champion and moves the alias.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dagster as dg
import polars as pl

from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.common.metadata import meaningful, pairs_table, table
from ogrine_assets.defs.common.mlflow_store import ModelUnavailable
from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.defs.common.training_log import TrainingLog
from ogrine_assets.defs.ingestion.validation import suspect_days_now
from ogrine_assets.defs.serving import GROUP
from ogrine_assets.defs.training.model import ogrine_model
from ogrine_assets.failures import cause_of_exception
from ogrine_assets.model.promotion import (
    Contest,
    Decision,
    Decisions,
    decide,
    decision_tags,
    fallen_champion,
    pending,
    standing_champion,
    trained_on_suspect_days,
    unfinished,
    unjudgeable,
    unloadable,
    veto_implausible,
    veto_suspect,
    veto_unusable,
)
from ogrine_assets.model.quality import BacktestSummary
from ogrine_assets.names import (
    ALREADY_DECIDED_METADATA,
    BROKEN_TAG,
    CANDIDATE_METADATA,
    DECISION_METADATA,
    DECISION_TAG,
    MODEL_VERSION_METADATA,
    MODEL_VERSION_TAG,
    REASON_METADATA,
    REASON_TAG,
)

# What models is imported by the step, not when the code location loads (NumPy, pandas).
if TYPE_CHECKING:
    from ogrine_assets.model.backtest import Backtest
    from ogrine_assets.model.candidates import Procedure
    from ogrine_assets.model.features import DailySeries


BEATS_NAIVE_CHECK = "champion_beats_naive"


def named_version(context: dg.AssetExecutionContext) -> str | None:
    """The version the sensor named for this run, else the one the newest ogrine_model
    materialization registered (None before any)."""
    named = context.run.tags.get(MODEL_VERSION_TAG)
    if named:
        return named
    event = context.instance.get_latest_materialization_event(ogrine_model.key)
    entry = event.asset_materialization.metadata.get(MODEL_VERSION_METADATA) if event else None
    return str(entry.value) if entry is not None else None


@dataclass(frozen=True)
class Verdict:
    candidate: str
    decision: Decision
    contest: Contest | None = None
    backtest: "Backtest | None" = None


def judge(
    candidate: str,
    registry: ModelRegistry,
    training_log: TrainingLog,
    series: "DailySeries",
    decisions: Decisions,
    suspect_now: Sequence[str] = (),
) -> Verdict:
    """Gather what the rule needs about ``candidate`` and the standing champion, and apply
    it; ``decisions`` are every version's tags as they stand, ``suspect_now`` the days the
    data now quarantines as suspect."""
    from ogrine_assets.model.contest import compare
    from ogrine_assets.model.forecasting import next_days, unusable_rates
    from ogrine_assets.model.gate import implausible

    version = registry.version(candidate)
    status = training_log.run_status(version.run_id)
    if status != "FINISHED":
        return Verdict(candidate, unfinished(candidate, status))
    try:
        candidate_procedure = registry.procedure(candidate)
    except ModelUnavailable as exc:
        return Verdict(candidate, unloadable(str(exc)))
    champion = standing_champion(decisions)
    champion_procedure: Procedure | tuple[()] = ()
    broken = ""
    if champion is None and (fallen := fallen_champion(decisions)) is not None:
        champion, broken = fallen, decisions[fallen][BROKEN_TAG]  # found broken earlier
    elif champion is not None and champion != candidate:
        try:
            champion_procedure = registry.procedure(champion)
        except ModelUnavailable as exc:
            broken = str(exc)
            registry.mark_broken(champion, broken)
    contest, backtest = compare(
        series, candidate, candidate_procedure, champion, champion_procedure, broken
    )
    decision = decide(contest)
    if decision.promote:
        # A champion must be able to forecast: try the candidate's own artifact first.
        try:
            smoke = next_days(registry.load_predictor(candidate), series)
        except ModelUnavailable as exc:
            return Verdict(candidate, unloadable(str(exc)), contest, backtest)
        decision = veto_unusable(decision, unusable_rates(smoke))
        record = training_log.interval_record(version.run_id)
        bands = record.offsets(series.values, series.observed) if record else None
        decision = veto_implausible(decision, implausible(series, smoke, bands))
        decision = veto_suspect(decision, trained_on_suspect_days(version.tags, suspect_now))
    return Verdict(candidate, decision, contest, backtest)


@dg.asset(
    group_name=GROUP,
    kinds={"mlflow"},
    deps=[ogrine_model],
    description="Judges every registered version still waiting for a decision, oldest first: "
    "its procedure against the champion's, backtested on the same origins. A version that is "
    "at least as good is promoted; the forecast then publishes with it and moves the alias.",
    check_specs=[
        dg.AssetCheckSpec(
            BEATS_NAIVE_CHECK,
            asset="champion_model",
            description="Warns when the champion does not beat the naive last-value forecast "
            "on its backtest: then the forecast is no better than repeating the last rate.",
        )
    ],
)
def champion_model(
    context: dg.AssetExecutionContext,
    train_set: pl.DataFrame,
    test_set: pl.DataFrame,
    model_registry: ModelRegistry,
    training_log: TrainingLog,
    clock: Clock,
) -> dg.MaterializeResult:
    decisions = model_registry.decisions()
    waiting = pending(decisions)
    named = named_version(context)
    if not waiting:
        # Idempotent: every version has its one decision; a re-run reports the recorded one.
        recorded = decisions.get(named or "", {})
        context.log.info(f"Nothing to judge: version {named} is {recorded.get(DECISION_TAG)}.")
        return dg.MaterializeResult(
            metadata={
                CANDIDATE_METADATA: named or "",
                DECISION_METADATA: recorded.get(DECISION_TAG, ""),
                REASON_METADATA: recorded.get(REASON_TAG, ""),
                "champion_version": standing_champion(decisions) or "",
                ALREADY_DECIDED_METADATA: True,
            },
            check_results=[beats_naive(decisions)],
        )
    from ogrine_assets.model.features import series_from_frame

    series = series_from_frame(pl.concat([train_set, test_set]))
    suspect = suspect_days_now(context.instance)
    verdicts = []
    for candidate in waiting:
        try:
            verdict = judge(candidate, model_registry, training_log, series, decisions, suspect)
        except Exception as exc:
            if not _lasting(exc):
                raise  # a passing fault: the version stays waiting, judged at the next run
            # Lasting: its run is gone, it needs features no longer computed. Waiting would
            # fail every run after this one (the daily refresh judges waiting versions).
            verdict = Verdict(candidate, unjudgeable(cause_of_exception(exc)))
        tags = decision_tags(
            verdict.decision,
            verdict.contest,
            decided_at=clock.now(),
            dagster_run_id=context.run.run_id,
        )
        model_registry.tag_version(candidate, tags)
        decisions = model_registry.decisions()  # with this one, and a champion found broken
        context.log.info(f"Version {candidate} {verdict.decision.label}: {verdict.decision.reason}")
        verdicts.append(verdict)
    shown = next((v for v in verdicts if v.candidate == named), verdicts[-1])
    return dg.MaterializeResult(
        metadata=_metadata(shown, verdicts, model_registry, decisions),
        check_results=[beats_naive(decisions)],
    )


def _lasting(exc: Exception) -> bool:
    """Whether judging again could not help: something it needs is gone for good."""
    from mlflow.exceptions import MlflowException  # loaded by then: the registry raised it

    if isinstance(exc, MlflowException):
        return exc.error_code == "RESOURCE_DOES_NOT_EXIST"
    return isinstance(exc, KeyError | ValueError)


def _metadata(
    shown: Verdict,
    verdicts: list[Verdict],
    registry: ModelRegistry,
    decisions: Decisions,
) -> dict[str, Any]:
    from ogrine_assets.model.backtest import SEASONAL_NAIVE

    contest, backtest = shown.contest, shown.backtest
    metadata: dict[str, Any] = {
        CANDIDATE_METADATA: shown.candidate,
        DECISION_METADATA: shown.decision.label,
        REASON_METADATA: shown.decision.reason,
        "champion_version": standing_champion(decisions) or "",
        "judged_versions": pairs_table(
            {f"v{v.candidate}": f"{v.decision.label}: {v.decision.reason}" for v in verdicts},
            ("version", "decision"),
        ),
        "candidate_model_version": dg.MetadataValue.url(registry.version_url(shown.candidate)),
        ALREADY_DECIDED_METADATA: False,
    }
    if contest is not None and backtest is not None:
        metadata |= {
            "previous_champion_version": contest.champion or "",
            "backtest_origins": contest.origins,
            "candidate_backtest_mae": meaningful(contest.candidate_mae),
            "naive_backtest_mae": meaningful(contest.naive_mae),
            "seasonal_naive_backtest_mae": meaningful(backtest.overall(SEASONAL_NAIVE)["mae"]),
            "backtest_mae_by_horizon": table(backtest.mae_by_horizon()),
        }
        if contest.champion_mae is not None:
            metadata["champion_backtest_mae"] = meaningful(contest.champion_mae)
    return metadata


def beats_naive(decisions: Decisions) -> dg.AssetCheckResult:
    """The standing champion against the naive forecast, from the backtest scores recorded
    on its version (``decisions``: every version's tags, as the registry gives them)."""
    standing = standing_champion(decisions)
    if standing is None:
        return dg.AssetCheckResult(
            check_name=BEATS_NAIVE_CHECK, passed=False, description="no champion yet"
        )
    summary = BacktestSummary.from_tags(decisions[standing])
    if summary is None:
        return dg.AssetCheckResult(
            check_name=BEATS_NAIVE_CHECK,
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"champion v{standing} predates the backtest; nothing to compare",
        )
    return dg.AssetCheckResult(
        check_name=BEATS_NAIVE_CHECK,
        passed=summary.beats_naive,
        severity=dg.AssetCheckSeverity.WARN,
        description=None
        if summary.beats_naive
        else "THE CHAMPION DOES NOT BEAT THE NAIVE FORECAST",
        metadata={
            "champion_version": standing,
            "champion_backtest_mae": meaningful(summary.model_mae),
            "naive_backtest_mae": meaningful(summary.naive_mae),
        },
    )
