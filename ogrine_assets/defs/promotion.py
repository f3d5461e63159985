"""champion_model: move the ``champion`` alias to a new version only when it earns it."""

from typing import Any

import dagster as dg
import polars as pl

from ogrine_assets.defs.resources import Clock, ModelRegistry
from ogrine_assets.model.evaluation import WindowScores, at_least_as_good, score_on_window
from ogrine_assets.model.features import series_from_frame

DECISION_TAG = "promotion.decision"


@dg.asset(
    group_name="serving",
    kinds={"mlflow"},
    description="Re-scores the newest registered version and the current champion on the same "
    "newest test window; moves the 'champion' alias only when the new one is at least as good.",
)
def champion_model(
    context: dg.AssetExecutionContext,
    ogrine_model: dict[str, Any],
    train_set: pl.DataFrame,
    test_set: pl.DataFrame,
    model_registry: ModelRegistry,
    clock: Clock,
) -> dg.MaterializeResult:
    candidate = str(ogrine_model["version"])
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
    window_start = test_set["date"].min()
    candidate_scores = score_on_window(
        model_registry.load_predictor(candidate), series, window_start
    )
    incumbent = model_registry.champion()
    incumbent_scores: WindowScores | None = None
    if incumbent is None:
        promote, reason = True, "no champion yet"
    elif incumbent.version == candidate:
        promote, reason = True, "already the champion"
    else:
        try:
            incumbent_scores = score_on_window(
                model_registry.load_predictor(incumbent.version), series, window_start
            )
        except ValueError as exc:  # the champion needs features this code no longer computes
            promote, reason = True, f"champion v{incumbent.version} cannot be scored here: {exc}"
        else:
            promote = at_least_as_good(candidate_scores, incumbent_scores)
            comparison = "<=" if promote else ">"
            reason = (
                f"test RMSE {candidate_scores.model['rmse']:.3f} {comparison} champion "
                f"v{incumbent.version}'s {incumbent_scores.model['rmse']:.3f} on the window "
                f"from {window_start}"
            )

    decision = "promoted" if promote else "rejected"
    if promote:
        model_registry.set_champion(candidate)
    tags = {
        DECISION_TAG: decision,
        "promotion.reason": reason,
        "promotion.window_start": str(window_start),
        "promotion.candidate_rmse": f"{candidate_scores.model['rmse']:.4f}",
        "promotion.previous_champion": incumbent.version if incumbent else "",
        "promotion.decided_at": clock.now().isoformat(timespec="seconds"),
        "promotion.dagster_run_id": context.run.run_id,
    }
    if incumbent_scores is not None:
        tags["promotion.champion_rmse"] = f"{incumbent_scores.model['rmse']:.4f}"
    model_registry.tag_version(candidate, tags)
    context.log.info(f"Version {candidate} {decision}: {reason}")

    champion_now = candidate if promote else incumbent.version  # type: ignore[union-attr]
    metadata: dict[str, Any] = {
        "candidate_version": candidate,
        "decision": decision,
        "reason": reason,
        "champion_version": champion_now,
        "previous_champion_version": incumbent.version if incumbent else "",
        "window_start": str(window_start),
        "candidate_test_rmse": candidate_scores.model["rmse"],
        "candidate_model_version": dg.MetadataValue.url(model_registry.version_url(candidate)),
        "already_decided": False,
    }
    if incumbent_scores is not None:
        metadata["champion_test_rmse"] = incumbent_scores.model["rmse"]
    return dg.MaterializeResult(metadata=metadata)
