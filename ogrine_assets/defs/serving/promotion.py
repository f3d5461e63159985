"""champion_model: judge the newest model version, and move the ``champion`` alias if it earns it.

The comparison and the rule are ``model/promotion.py``; this asset gathers their inputs
from the registry, carries the decision out and records it on the version.
"""

import dagster as dg
import polars as pl

from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.model.backtest import SEASONAL_NAIVE
from ogrine_assets.model.features import series_from_frame
from ogrine_assets.model.forecasting import next_days, unusable_rates
from ogrine_assets.model.plots import horizon_table_markdown
from ogrine_assets.model.promotion import (
    DECISION_TAG,
    REASON_TAG,
    compare,
    decide,
    decision_tags,
    veto_unusable,
)
from ogrine_assets.model.quality import BacktestSummary
from ogrine_assets.names import MODEL_VERSION_METADATA, MODEL_VERSION_TAG


def candidate_version(context: dg.AssetExecutionContext) -> str:
    """The version the sensor named for this run, else the one the newest ogrine_model
    materialization registered."""
    named = context.run.tags.get(MODEL_VERSION_TAG)
    if named:
        return named
    event = context.instance.get_latest_materialization_event(dg.AssetKey("ogrine_model"))
    entry = event.asset_materialization.metadata.get(MODEL_VERSION_METADATA) if event else None
    if entry is None:
        raise dg.Failure("No ogrine_model materialization names a model version yet.")
    return str(entry.value)


@dg.asset(
    group_name="serving",
    kinds={"mlflow"},
    deps=["ogrine_model"],
    description="Backtests the newest registered version's procedure and the champion's on the "
    "same origins; moves the 'champion' alias only when the new one is at least as good.",
)
def champion_model(
    context: dg.AssetExecutionContext,
    train_set: pl.DataFrame,
    test_set: pl.DataFrame,
    model_registry: ModelRegistry,
    clock: Clock,
) -> dg.MaterializeResult:
    candidate = candidate_version(context)
    recorded = model_registry.version(candidate).tags
    incumbent = model_registry.champion()
    champion = incumbent.version if incumbent else None
    if DECISION_TAG in recorded:
        # Idempotent: a version is judged once; a re-run reports the recorded decision.
        context.log.info(f"Version {candidate} was already judged: {recorded[DECISION_TAG]}.")
        return dg.MaterializeResult(
            metadata={
                "candidate_version": candidate,
                "decision": recorded[DECISION_TAG],
                "reason": recorded.get(REASON_TAG, ""),
                "champion_version": champion or "",
                "already_decided": True,
            }
        )

    series = series_from_frame(pl.concat([train_set, test_set]))
    rival = champion if champion != candidate else None
    contest, backtest = compare(
        series,
        candidate,
        model_registry.feature_names(candidate),
        champion,
        model_registry.feature_names(rival) if rival else (),
    )
    decision = decide(contest)
    if decision.moves_alias:
        # The alias must never point at a model that cannot forecast: try the artifact first.
        smoke = next_days(model_registry.load_predictor(candidate), series)
        decision = veto_unusable(decision, unusable_rates(smoke))
    if decision.moves_alias:
        model_registry.set_champion(candidate)
    model_registry.tag_version(
        candidate,
        decision_tags(decision, contest, decided_at=clock.now(), dagster_run_id=context.run.run_id),
    )
    context.log.info(f"Version {candidate} {decision.label}: {decision.reason}")
    return dg.MaterializeResult(
        metadata={
            "candidate_version": candidate,
            "decision": decision.label,
            "reason": decision.reason,
            "champion_version": (candidate if decision.promote else champion) or "",
            "previous_champion_version": champion or "",
            "backtest_origins": contest.origins,
            "candidate_backtest_mae": contest.candidate_mae,
            **(
                {"champion_backtest_mae": contest.champion_mae}
                if contest.champion_mae is not None
                else {}
            ),
            "naive_backtest_mae": contest.naive_mae,
            "seasonal_naive_backtest_mae": backtest.overall(SEASONAL_NAIVE)["mae"],
            "backtest_mae_by_horizon": dg.MetadataValue.md(horizon_table_markdown(backtest)),
            "candidate_model_version": dg.MetadataValue.url(model_registry.version_url(candidate)),
            "already_decided": False,
        }
    )


@dg.asset_check(
    asset=champion_model,
    description="Warns when the champion does not beat the naive last-value forecast on its "
    "backtest: then the forecast is no better than repeating the last rate.",
)
def champion_beats_naive(model_registry: ModelRegistry) -> dg.AssetCheckResult:
    champion = model_registry.champion()
    if champion is None:
        return dg.AssetCheckResult(passed=False, description="no champion yet")
    summary = BacktestSummary.from_tags(champion.tags)
    if summary is None:
        return dg.AssetCheckResult(
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"champion v{champion.version} predates the backtest; nothing to compare",
        )
    return dg.AssetCheckResult(
        passed=summary.beats_naive,
        severity=dg.AssetCheckSeverity.WARN,
        description=None
        if summary.beats_naive
        else "THE CHAMPION DOES NOT BEAT THE NAIVE FORECAST",
        metadata={
            "champion_version": champion.version,
            "champion_backtest_mae": summary.model_mae,
            "naive_backtest_mae": summary.naive_mae,
        },
    )
