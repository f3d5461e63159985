"""The loop carries on by itself: a full forecast disk, a champion whose files are gone, a
home moved elsewhere, runs abandoned by dead processes."""

import shutil
from pathlib import Path

import dagster as dg
import pytest

from ogrine_assets.defs.common.mlflow_resources import model_registry_for
from ogrine_assets.defs.common.recovery import (
    PROCESS_TAG,
    align_alias_with_document,
    close_abandoned_mlflow_runs,
    fail_abandoned_runs,
    recover,
)
from ogrine_assets.forecast_document import decode
from ogrine_assets.model.promotion import standing_champion
from ogrine_assets.names import BROKEN_TAG, DECISION_TAG, REJECTED
from ogrine_assets_tests.support import Deployment, deployment, fill, tmpfs

pytestmark = pytest.mark.integration


def published_version(world: Deployment) -> str:
    return decode(world.settings.forecast_path.read_bytes()).model.version


def aliased_version(world: Deployment) -> str | None:
    champion = model_registry_for(world.settings).champion()
    return champion.version if champion else None


def model_folder(world: Deployment, version: str) -> Path:
    return Path(world.registry().model_location(version).removeprefix("file://"))


def test_a_forecast_that_cannot_be_written_leaves_document_and_alias_agreeing(
    tmp_path: Path,
) -> None:
    with tmpfs(tmp_path / "forecast-disk", "1m") as disk:
        forecast_path = disk / "forecast.json"
        with deployment(tmp_path / "home", forecast_path=forecast_path) as world:
            assert world.run("training_job").success and world.run("promotion_job").success
            assert published_version(world) == aliased_version(world) == "1"
            filler = fill(disk)
            assert world.run("training_job", retrain=True).success
            failed = world.run("promotion_job")
            assert not failed.success
            errors = [
                e.step_failure_data.error.message for e in failed.all_events if e.is_step_failure
            ]
            assert any("No space left on device" in m and "are as they were" in m for m in errors)
            # v2 is promoted (the decision is recorded), but neither the document nor the
            # alias moved: they still agree, on v1.
            assert standing_champion(world.registry().decisions()) == "2"
            assert published_version(world) == aliased_version(world) == "1"
            filler.unlink()
            assert world.run("forecast_refresh_job").success
            assert published_version(world) == aliased_version(world) == "2"


def test_a_champion_whose_files_are_gone_gives_way_at_the_next_training(tmp_path: Path) -> None:
    with deployment(tmp_path / "home") as world:
        assert world.run("training_job").success and world.run("promotion_job").success
        shutil.rmtree(model_folder(world, "1"))
        refresh = world.run("forecast_refresh_job")
        assert not refresh.success  # nothing promoted can forecast; said, not hidden
        assert "cannot be loaded" in world.registry().version("1").tags[BROKEN_TAG]
        assert world.run("training_job").success and world.run("promotion_job").success
        reason = world.registry().version("2").tags["promotion.reason"]
        assert reason.startswith("champion v1 cannot be loaded (")
        assert published_version(world) == aliased_version(world) == "2"


def test_a_home_moved_elsewhere_writes_its_new_models_at_home(tmp_path: Path) -> None:
    with deployment(tmp_path / "old") as before:
        assert before.run("training_job").success and before.run("promotion_job").success
    shutil.copytree(tmp_path / "old", tmp_path / "new")
    shutil.rmtree(tmp_path / "old")
    with deployment(tmp_path / "new") as moved:
        assert moved.run("training_job").success and moved.run("promotion_job").success
        assert str(model_folder(moved, "2")).startswith(str(tmp_path / "new"))
        assert "cannot be loaded" in moved.registry().version("1").tags[BROKEN_TAG]
        assert published_version(moved) == aliased_version(moved) == "2"
        experiments = {e.name for e in moved.client().search_experiments()}
        assert any(
            name.startswith("ogrine-rate-forecaster (artifacts at file://") for name in experiments
        )


def test_runs_whose_process_is_gone_are_failed_and_the_others_left_alone(tmp_path: Path) -> None:
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:

        def started(identity: str | None) -> str:
            run = instance.create_run_for_job(dg.GraphDefinition("nothing").to_job())
            if identity:
                instance.add_run_tags(run.run_id, {PROCESS_TAG: f"{run.run_id}@{identity}"})
            instance.handle_run_event(
                run.run_id,
                dg.DagsterEvent(  # mark it started
                    event_type_value="PIPELINE_START", job_name=run.job_name
                ),
            )
            return run.run_id

        dead, alive, elsewhere, fresh, retried = (
            started("h/1/1"),
            started("h/2/2"),
            started("x/3/3"),
            started(None),
            started(None),
        )
        # A re-executed run inherits its parent's tags: the dead parent's process is not its own.
        instance.add_run_tags(retried, {PROCESS_TAG: f"{dead}@h/1/1"})
        states = {"h/1/1": False, "h/2/2": True, "x/3/3": None}
        notes = fail_abandoned_runs(instance, None, states.get, now=lambda: 0.0)
        runs = (dead, alive, elsewhere, fresh, retried)
        status = {r: instance.get_run_by_id(r).status for r in runs}
        assert status[dead] == dg.DagsterRunStatus.FAILURE
        assert {status[r] for r in runs[1:]} == {dg.DagsterRunStatus.STARTED}
        assert notes == [
            f"marked failed: run {dead} (nothing) was left in progress: its process (1) is gone"
        ]
        late = fail_abandoned_runs(instance, None, states.get, now=lambda: 10**10)
        assert sorted(late) == sorted(
            f"marked failed: run {run} (nothing) was left in progress: "
            "it never reached its first step"
            for run in (fresh, retried)
        )


def test_the_alias_is_moved_to_the_published_version_when_a_run_stopped_in_between(
    tmp_path: Path,
) -> None:
    with deployment(tmp_path / "home") as world:
        assert world.run("training_job").success and world.run("promotion_job").success
        assert world.run("training_job", retrain=True).success
        assert world.run("promotion_job").success
        registry = world.registry()
        registry.set_champion("1")  # as if killed between publishing v2 and moving the alias
        notes = align_alias_with_document(registry, world.settings.forecast_path)
        assert notes == ["moved the 'champion' alias to v2, the published one"]
        assert aliased_version(world) == "2"
        assert align_alias_with_document(registry, world.settings.forecast_path) == []
        everything = recover(world.settings, world.instance, world.training_log(), registry)
        assert everything == []  # nothing else to repair
        assert all(DECISION_TAG in tags for tags in registry.decisions().values())


def test_a_training_run_left_running_is_ended_killed_and_its_version_never_promoted(
    tmp_path: Path,
) -> None:
    """A process killed after registering its version leaves that version's MLflow run
    RUNNING. The next run's recovery ends it KILLED in the MLflow store (not FINISHED: the
    version was never fully recorded), and promotion then refuses the version."""
    with deployment(tmp_path / "home") as world:
        assert world.run("training_job").success
        registry, client = world.registry(), world.client()
        run_id = registry.version("1").run_id
        client.update_run(run_id, status="RUNNING")  # what the killed process left
        notes = recover(world.settings, world.instance, world.training_log(), registry)
        assert [note for note in notes if run_id in note] == [
            f"ended MLflow run {run_id} as KILLED: its Dagster run is over"
        ]
        assert client.get_run(run_id).info.status == "KILLED"
        promoted = world.run("promotion_job")
        # The only version refused, nothing is left to forecast with: only that step fails.
        assert [e.step_key for e in promoted.all_events if e.is_step_failure] == ["forecast"]
        assert registry.decisions()["1"][DECISION_TAG] == REJECTED
        assert aliased_version(world) is None
        assert not world.settings.forecast_path.exists()


def test_an_mlflow_run_whose_dagster_run_is_still_in_progress_is_left_running(
    tmp_path: Path,
) -> None:
    """Recovery ends only the MLflow runs of Dagster runs that are over: one whose Dagster
    run is still in progress (another live process training) is not its to end."""
    with deployment(tmp_path / "home") as world:
        dagster_run = world.instance.create_run_for_job(dg.GraphDefinition("nothing").to_job())
        world.instance.handle_run_event(
            dagster_run.run_id,
            dg.DagsterEvent(event_type_value="PIPELINE_START", job_name=dagster_run.job_name),
        )
        log, client = world.training_log(), world.client()
        mlflow_run = client.create_run(
            log.experiment_id(), tags={"dagster_run_id": dagster_run.run_id}
        ).info.run_id
        assert close_abandoned_mlflow_runs(world.instance, log) == []
        assert client.get_run(mlflow_run).info.status == "RUNNING"
        world.instance.report_run_failed(world.instance.get_run_by_id(dagster_run.run_id))
        assert close_abandoned_mlflow_runs(world.instance, log) == [
            f"ended MLflow run {mlflow_run} as KILLED: its Dagster run is over"
        ]
        assert client.get_run(mlflow_run).info.status == "KILLED"
