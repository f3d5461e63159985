"""`ogrine materialize` when runs collide, the data is bad or the store damaged: one line
that says why, and a home the next run carries on from (a killed run and a full disk:
``test_materialize_killed.py``)."""

import datetime as dt
import gc
import signal
import subprocess
from pathlib import Path

import dagster as dg
import pytest
from mlflow.tracking import MlflowClient

from ogrine_assets.failures import LINE_LIMIT
from ogrine_assets.forecast_document import decode
from ogrine_assets.names import CHAMPION_ALIAS, DECISION_TAG, EXPERIMENT_NAME, REGISTERED_MODEL_NAME
from ogrine_assets.simulation.calendar import Step
from ogrine_assets.simulation.runner import run_here
from ogrine_assets_tests.fake_upstream import FakeUpstream
from ogrine_assets_tests.local.test_lock import hold_lock
from ogrine_assets_tests.support import (
    FIXED_NOW,
    OGRINE,
    half_migrated_store,
    make_settings,
    materialized_home,
    ogrine_env,
)

pytestmark = pytest.mark.integration


def registry(home: Path) -> MlflowClient:
    uri = f"sqlite:///{home}/mlflow/mlflow.db"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def assert_consistent(home: Path) -> None:
    """The invariants a finished run leaves: one decision per version, the published document
    names the champion, nothing left running."""
    client = registry(home)
    versions = client.search_model_versions(f"name = '{REGISTERED_MODEL_NAME}'")
    assert versions and all(DECISION_TAG in v.tags for v in versions)
    document = decode((home / "forecast" / "forecast.json").read_bytes())
    champion = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    assert document.model.version == str(champion.version)
    experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
    statuses = {r.info.status for r in client.search_runs([experiment.experiment_id])}
    assert "RUNNING" not in statuses
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        in_progress = instance.get_run_records(
            filters=dg.RunsFilter(
                statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
            )
        )
        assert in_progress == []


def test_two_runs_at_once_one_waits_for_none_and_says_who_holds_the_home(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    env = ogrine_env(home)
    both = [
        subprocess.Popen(
            [OGRINE, "materialize"],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outcomes = [(p.wait(timeout=600), *p.communicate()) for p in both]
    assert sorted(code for code, _, _ in outcomes) == [0, 1]
    (refused,) = [err for code, _, err in outcomes if code == 1]
    last = refused.strip().splitlines()[-1]
    assert last.startswith("ogrine materialize FAILED at startup: another run holds")
    assert "ogrine materialize, since" in last and "wait for it, or stop it" in last
    assert_consistent(home)


def test_a_run_refused_at_the_door_leaves_its_process_collecting(tmp_path: Path) -> None:
    """A run stops the collector while it loads (local/processes.py); refused by the lock
    before it could start it again, it still does: this process goes on."""
    home = tmp_path / "home"
    home.mkdir()
    holder = hold_lock(home)
    try:
        status, said = run_here(Step(FIXED_NOW, "materialize"), ogrine_env(home))
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    collecting = gc.isenabled()
    gc.enable()  # this worker goes on, whatever the assertion says
    assert status == 1 and "another run holds" in said
    assert collecting


def test_a_failed_validation_ends_in_one_plain_line_and_keeps_the_forecast(
    tmp_path: Path,
) -> None:
    home = materialized_home(tmp_path / "home")
    published = (home / "forecast" / "forecast.json").read_bytes()
    day_before = Step(FIXED_NOW - dt.timedelta(days=1), "materialize")  # older data than kept
    status, said = run_here(day_before, ogrine_env(home))
    assert status == 1
    last = said.strip().splitlines()[-1]
    assert last.startswith(
        "ogrine materialize FAILED at validated_rates: The newest usable rate is "
    )
    assert "The last good validated_rates are kept. Nothing that needs it ran; details in " in last
    assert "Traceback" not in said
    assert (home / "forecast" / "forecast.json").read_bytes() == published


def test_an_upstream_error_ends_in_one_short_line_naming_its_url_once(tmp_path: Path) -> None:
    """An upstream answering HTTP 500 with its debug-mode JSON error (the exception's whole
    trace, the request's URL in it): the last line says the step, the URL once and the
    error's detail, in at most LINE_LIMIT characters before the run log's path."""
    detail = "An exception occurred in the driver: SQLSTATE[HY000] [2002] Connection refused"
    upstream = FakeUpstream().start()
    frames = [
        {
            "file": "/srv/app/src/Controller/OgrineRateController.php",
            "line": n,
            "args": [["string", upstream.url]],
        }
        for n in range(300)
    ]
    error = {"status": 500, "detail": detail, "class": "Doctrine\\DBAL\\Exception", "trace": frames}
    # Retry-After: 0, so the four attempts cost no backoff.
    upstream.answer_with(upstream.json(error, status=500, Retry_After="0"))
    home = tmp_path / "home"
    make_settings(home)
    try:
        env = ogrine_env(home, OGRINE_API_URL=upstream.url)
        status, said = run_here(Step(FIXED_NOW, "materialize"), env)
    finally:
        upstream.stop()
    assert status == 1 and len(upstream.requests) == 4
    last = said.strip().splitlines()[-1]
    glance, log = last.split("; details in ")
    assert len(glance) <= LINE_LIMIT, glance
    assert glance.startswith("ogrine materialize FAILED at raw_rates: ")
    assert last.count(upstream.url) == 1
    assert f'failed 4 times; last: HTTP 500 "{detail[:40]}' in glance
    assert "Doctrine" not in said and "/srv/app" not in said  # summarised, never dumped
    assert Path(log).is_file() and "Traceback" not in said


def test_a_damaged_store_ends_in_one_line_with_the_way_out(tmp_path: Path) -> None:
    database = half_migrated_store(tmp_path / "home" / "mlflow" / "mlflow.db")
    status, said = run_here(Step(FIXED_NOW, "materialize"), ogrine_env(tmp_path / "home"))
    assert status == 1
    last = said.strip().splitlines()[-1]
    glance, log = last.split("; details in ")
    assert glance.startswith(f"ogrine materialize FAILED at startup: {database} is damaged")
    assert len(glance) <= LINE_LIMIT and "Traceback" not in said
    # The way out is on the line, even with this home's long path; the rest is in the log.
    assert f"{database} is damaged: rename it mlflow.db.damaged and run again" in glance
    assert "without the runs and models it held" in Path(log).read_text()
