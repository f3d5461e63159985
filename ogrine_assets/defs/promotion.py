"""champion_model: move the ``champion`` alias to a new version only when it earns it.

Both procedures (each version's feature set, refitted at every origin) are backtested on
the same origins of the newest data; see ``model/backtest.py`` for why procedures, not
frozen artifacts, are what can be compared honestly.
"""

import datetime as dt
import math
from typing import Any

import dagster as dg
import polars as pl

from ogrine_assets.defs.automation import MODEL_VERSION_TAG
from ogrine_assets.defs.resources import Clock, ModelRegistry
from ogrine_assets.model.backtest import NAIVE, SEASONAL_NAIVE, run_backtest
from ogrine_assets.model.evaluation import at_least_as_good
from ogrine_assets.model.features import CATALOGUE, series_from_frame
from ogrine_assets.model.forecasting import next_days
from ogrine_assets.model.plots import horizon_table_markdown

DECISION_TAG = "promotion.decision"
CANDIDATE, CHAMPION = "candidate", "champion"


@dg.asset(
    group_name="serving",
    kinds={"mlflow"},
    description="Backtests the newest registered version's procedure and the champion's on the "
    "same origins; moves the 'champion' alias only when the new one is at least as good.",
)
def champion_model(
    context: dg.AssetExecutionContext,
    ogrine_model: dict[str, Any],
    train_set: pl.DataFrame,
    test_set: pl.DataFrame,
    model_registry: ModelRegistry,
    clock: Clock,
) -> dg.MaterializeResult:
    # The sensor names the version it saw; a manual run judges the newest one in storage.
    candidate = context.run.tags.get(MODEL_VERSION_TAG) or str(ogrine_model["version"])
    recorded = model_registry.version(candidate).tags
    if DECISION_TAG in recorded:
        # Idempotent: a version is judged once; a re-run reports the recorded decision.
        champion = model_registry.champion()
        context.log.info(f"Version {candidate} was already judged: {recorded[DECISION_TAG]}.")
        return dg.MaterializeResult(
            metadata={
                "candidate_version": candidate,
                "decision": recorded[DECISION_TAG],
                "reason": recorded.get("promotion.reason", ""),
                "champion_version": champion.version if champion else "",
                "already_decided": True,
            }
        )

    series = series_from_frame(pl.concat([train_set, test_set]))
    specs = {CANDIDATE: model_registry.feature_names(candidate)}
    incumbent = model_registry.champion()
    reason = ""
    if incumbent is not None and incumbent.version != candidate:
        champion_features = model_registry.feature_names(incumbent.version)
        missing = sorted(set(champion_features) - set(CATALOGUE))
        if missing:  # features this code no longer computes: it cannot be refitted here
            reason = f"champion v{incumbent.version} needs features {missing} no longer computed"
        else:
            specs[CHAMPION] = champion_features
    backtest = run_backtest(series, specs)
    scores = {method: backtest.overall(method)["mae"] for method in backtest.forecasts}
    origins = len(backtest.origins)
    first_origin = series.start + dt.timedelta(days=int(backtest.origins[0]))

    if incumbent is None:
        promote, reason = True, "no champion yet"
    elif incumbent.version == candidate:
        promote, reason = True, "already the champion"
    elif CHAMPION not in specs:
        promote = True
    else:
        promote = at_least_as_good(scores[CANDIDATE], scores[CHAMPION])
        same = specs[CANDIDATE] == specs[CHAMPION]
        reason = (
            f"backtest MAE over {origins} origins x {backtest.horizon} days from {first_origin}: "
            f"{scores[CANDIDATE]:.3f} {'<=' if promote else '>'} champion v{incumbent.version}'s "
            f"{scores[CHAMPION]:.3f}"
            + (" (same features: the same procedure on fresher data)" if same else "")
        )
    if promote and (incumbent is None or incumbent.version != candidate):
        # The alias must never point at a model that cannot forecast: try the artifact first.
        smoke = next_days(model_registry.load_predictor(candidate), series)
        unusable = [round(rate, 1) for _, rate in smoke if not math.isfinite(rate) or rate <= 0]
        if unusable:
            promote, reason = False, f"its own forecast is unusable {unusable}, although {reason}"

    decision = "promoted" if promote else "rejected"
    if promote:
        model_registry.set_champion(candidate)
    tags = {
        DECISION_TAG: decision,
        "promotion.reason": reason,
        "promotion.score": "backtest MAE (kamas), mean over origins and horizon days",
        "promotion.backtest_origins": str(origins),
        "promotion.backtest_first_origin": str(first_origin),
        "promotion.candidate_backtest_mae": f"{scores[CANDIDATE]:.4f}",
        "promotion.naive_backtest_mae": f"{scores[NAIVE]:.4f}",
        "promotion.previous_champion": incumbent.version if incumbent else "",
        "promotion.decided_at": clock.now().isoformat(timespec="seconds"),
        "promotion.dagster_run_id": context.run.run_id,
    }
    if CHAMPION in scores:
        tags["promotion.champion_backtest_mae"] = f"{scores[CHAMPION]:.4f}"
    model_registry.tag_version(candidate, tags)
    context.log.info(f"Version {candidate} {decision}: {reason}")

    champion_now = candidate if promote else incumbent.version  # type: ignore[union-attr]
    metadata: dict[str, Any] = {
        "candidate_version": candidate,
        "decision": decision,
        "reason": reason,
        "champion_version": champion_now,
        "previous_champion_version": incumbent.version if incumbent else "",
        "backtest_origins": origins,
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
    model_mae = champion.tags.get("backtest_mae")
    naive_mae = champion.tags.get("backtest_naive_mae")
    if model_mae is None or naive_mae is None:
        return dg.AssetCheckResult(
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"champion v{champion.version} predates the backtest; nothing to compare",
        )
    beats = float(model_mae) < float(naive_mae)
    return dg.AssetCheckResult(
        passed=beats,
        severity=dg.AssetCheckSeverity.WARN,
        description=None if beats else "THE CHAMPION DOES NOT BEAT THE NAIVE FORECAST",
        metadata={
            "champion_version": champion.version,
            "champion_backtest_mae": float(model_mae),
            "naive_backtest_mae": float(naive_mae),
        },
    )
