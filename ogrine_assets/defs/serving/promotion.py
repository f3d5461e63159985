"""champion_model: judge the newest model version, and move the ``champion`` alias if it earns it.

The rule is ``model/promotion.py``; this asset gathers its inputs (the versions' feature
sets, one backtest of both on the same origins), carries the decision out and records it.
"""

import datetime as dt
from typing import Any

import dagster as dg
import polars as pl

from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.model.backtest import NAIVE, SEASONAL_NAIVE, run_backtest
from ogrine_assets.model.features import series_from_frame, unknown_features
from ogrine_assets.model.forecasting import next_days, unusable_rates
from ogrine_assets.model.plots import horizon_table_markdown
from ogrine_assets.model.promotion import (
    CANDIDATE,
    CHAMPION,
    DECISION_TAG,
    REASON_TAG,
    Contest,
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
    if DECISION_TAG in recorded:
        # Idempotent: a version is judged once; a re-run reports the recorded decision.
        context.log.info(f"Version {candidate} was already judged: {recorded[DECISION_TAG]}.")
        return dg.MaterializeResult(
            metadata={
                "candidate_version": candidate,
                "decision": recorded[DECISION_TAG],
                "reason": recorded.get(REASON_TAG, ""),
                "champion_version": incumbent.version if incumbent else "",
                "already_decided": True,
            }
        )

    series = series_from_frame(pl.concat([train_set, test_set]))
    specs = {CANDIDATE: model_registry.feature_names(candidate)}
    rival = incumbent.version if incumbent and incumbent.version != candidate else None
    rival_features = model_registry.feature_names(rival) if rival else []
    missing = unknown_features(rival_features)
    if rival and not missing:  # a champion needing features no longer computed cannot refit
        specs[CHAMPION] = rival_features
    backtest = run_backtest(series, specs)
    scores = {method: backtest.overall(method)["mae"] for method in backtest.forecasts}
    first_origin = series.start + dt.timedelta(days=int(backtest.origins[0]))
    contest = Contest(
        candidate=candidate,
        champion=incumbent.version if incumbent else None,
        candidate_mae=scores[CANDIDATE],
        champion_mae=scores.get(CHAMPION),
        window=f"{len(backtest.origins)} origins x {backtest.horizon} days from {first_origin}",
        champion_missing_features=missing,
        same_features=specs[CANDIDATE] == specs.get(CHAMPION),
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
        decision_tags(
            decision,
            contest,
            naive_mae=scores[NAIVE],
            origins=len(backtest.origins),
            first_origin=first_origin,
            decided_at=clock.now(),
            dagster_run_id=context.run.run_id,
        ),
    )
    context.log.info(f"Version {candidate} {decision.label}: {decision.reason}")

    champion_now = candidate if decision.promote else contest.champion
    metadata: dict[str, Any] = {
        "candidate_version": candidate,
        "decision": decision.label,
        "reason": decision.reason,
        "champion_version": champion_now or "",
        "previous_champion_version": contest.champion or "",
        "backtest_origins": len(backtest.origins),
        "candidate_backtest_mae": scores[CANDIDATE],
        "naive_backtest_mae": scores[NAIVE],
        "seasonal_naive_backtest_mae": scores[SEASONAL_NAIVE],
        "backtest_mae_by_horizon": dg.MetadataValue.md(horizon_table_markdown(backtest)),
        "candidate_model_version": dg.MetadataValue.url(model_registry.version_url(candidate)),
        "already_decided": False,
    }
    if CHAMPION in scores:
        metadata["champion_backtest_mae"] = scores[CHAMPION]
    return dg.MaterializeResult(metadata=metadata)


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
