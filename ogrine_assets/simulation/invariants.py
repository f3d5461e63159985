"""The invariants a home keeps, whatever happened to the runs (docs/reliability.md says them).

I1 the published document is complete and names the version the ``champion`` alias points to;
I2 no MLflow run stays RUNNING and no Dagster run stays in progress once its process is gone;
I3 one run at a time: the home's lock is free once its run has ended;
I4 every registered version gets exactly one promotion decision;
I5 the MLflow store is usable;
I6 the published forecast comes from the standing champion, a version that can be loaded;
I7 the published forecast passes the gate (``model/gate.py``) on the data it was made from
   (the raw snapshot of its run, cleaned as of its day).

A run that was killed leaves I1, I2 and I4 to the next run's start (its recovery): they are
checked in full after a run that succeeded, and in part after any other.
"""

from __future__ import annotations

import dagster as dg

from ogrine_assets.defs.common.mlflow_resources import model_registry_for, training_log_for
from ogrine_assets.defs.common.recovery import IN_PROGRESS
from ogrine_assets.forecast_document import ForecastDocument, InvalidDocument, decode
from ogrine_assets.local.lock import HomeLock, LockHeld
from ogrine_assets.local.stores import store_damage
from ogrine_assets.model.promotion import pending, standing_champion
from ogrine_assets.names import DECISION_TAG, PROMOTED
from ogrine_assets.settings import Settings


def violations(settings: Settings, *, after_success: bool) -> list[str]:
    """What breaks an invariant now, a sentence each (empty: all hold)."""
    found: list[str] = []
    if settings.uses_local_mlflow_store and (damage := store_damage(settings.local_mlflow_db)):
        return [f"I5: the MLflow store is damaged: {damage}"]
    registry = model_registry_for(settings)
    decisions = registry.decisions()
    document, published = None, None
    if settings.forecast_path.exists():
        try:
            document = decode(settings.forecast_path.read_bytes())
            published = document.model.version
        except (OSError, InvalidDocument) as exc:
            found.append(f"I1: the published document is not valid: {exc}")
    if published is not None and decisions.get(published, {}).get(DECISION_TAG) != PROMOTED:
        found.append(f"I1: the published document names v{published}, never promoted")
    if not after_success:
        return found
    aliased = registry.champion()
    if published is not None and (aliased is None or aliased.version != published):
        found.append(
            f"I1: the document names v{published}, the alias "
            f"{'nothing' if aliased is None else f'v{aliased.version}'}"
        )
    if running := training_log_for(settings).unfinished_runs():
        found.append(f"I2: MLflow runs left RUNNING: {sorted(running)}")
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        stuck = instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS))
        if stuck:
            found.append(
                f"I2: Dagster runs left in progress: {[r.dagster_run.run_id for r in stuck]}"
            )
    lock = HomeLock(settings.home)
    try:
        lock.acquire("the invariant check")
        lock.release()
    except LockHeld as exc:
        found.append(f"I3: the home is still locked after its run ended: {exc}")
    if waiting := pending(decisions):
        found.append(f"I4: versions without a decision: {waiting}")
    standing = standing_champion(decisions)
    if published is not None and published != standing:
        found.append(f"I6: the document names v{published}, the standing champion is v{standing}")
    return found + (implausible_published(settings, document) if document else [])


def implausible_published(settings: Settings, document: ForecastDocument) -> list[str]:
    """I7: the gate's verdict on the published ``document``, remade from its run's raw
    bytes."""
    from ogrine_assets.model.features import series_from_frame
    from ogrine_assets.model.gate import implausible
    from ogrine_assets.rates.cleaning import clean_rates
    from ogrine_assets.rates.upstream import parse_rates

    raw = settings.archive_dir / "raw" / f"{document.dagster_run_id}.json"
    cleaned = clean_rates(parse_rates(raw.read_bytes()), today=document.generated_at.date())
    series = series_from_frame(cleaned.clean)
    predictions = [(point.date, point.prediction_rate) for point in document.forecast]
    offsets = {}  # as training hands bands to the document: below and above each prediction
    for level, band in document.bands().items():
        pairs = list(zip(document.forecast, band, strict=True))
        offsets[level] = (
            [low - point.prediction_rate for point, (_, low, _) in pairs],
            [high - point.prediction_rate for point, (_, _, high) in pairs],
        )
    problems = implausible(series, predictions, offsets)
    return [f"I7: the published forecast fails the gate: {problems[0]}"] if problems else []
