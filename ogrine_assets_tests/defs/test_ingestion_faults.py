"""Every upstream fault, through the real graph: the outcome the data policy promises.

A fake upstream on 127.0.0.1 first serves good data, the graph trains, promotes and
publishes; then each test makes the upstream misbehave and runs the training job again.
Faults that fail the run must leave the validated data, the champion alias and the
published forecast byte for byte as they were; faults that are repaired or rejected must
show up, counted, in the metadata and the quarantine.
"""

import datetime as dt
import gzip
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import mlflow
import polars as pl
import pytest
from litestar.testing import TestClient

from ogrine_assets.defs.ingestion.sources import HttpRatesSource
from ogrine_assets.failures import cause_of
from ogrine_assets.model.spans import MIN_HISTORY_DAYS
from ogrine_assets.names import CHAMPION_ALIAS, EXPERIMENT_NAME, REGISTERED_MODEL_NAME
from ogrine_assets.service.app import create_app
from ogrine_assets.service.config import ServiceConfig
from ogrine_assets.settings import Settings
from ogrine_assets_tests.fake_upstream import FakeUpstream, good_rows
from ogrine_assets_tests.support import Deployment, deployment, series_source

pytestmark = pytest.mark.integration

INGESTION = [dg.AssetKey("raw_rates"), dg.AssetKey("validated_rates")]


@dataclass
class World:
    """A deployment fed by a fake upstream that each test can make misbehave."""

    deployment: Deployment
    upstream: FakeUpstream

    @property
    def settings(self) -> Settings:
        return self.deployment.settings

    def run(self, *, only_ingestion: bool = False) -> dg.ExecuteInProcessResult:
        selection = INGESTION if only_ingestion else None
        return self.deployment.run("training_job", asset_selection=selection)

    def metadata(self, key: str) -> dict:
        return self.deployment.metadata(key)

    def champion(self) -> str:
        client = self.deployment.client()
        return str(client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS).version)

    def mlflow_statuses(self) -> list[str]:
        """Statuses of every MLflow run of the experiment, oldest first."""
        client = self.deployment.client()
        experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
        runs = client.search_runs(
            [experiment.experiment_id], order_by=["attributes.start_time ASC"]
        )
        return [run.info.status for run in runs]

    def state(self) -> tuple[bytes, bytes, str]:
        validated = (self.settings.storage_dir / "validated_rates.parquet").read_bytes()
        return validated, self.settings.forecast_path.read_bytes(), self.champion()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    upstream = FakeUpstream().start()
    source = HttpRatesSource(
        api_url=upstream.url, read_timeout_seconds=0.5, max_attempts=3, backoff_base_seconds=0.0
    )
    home = tmp_path_factory.mktemp("faults") / "home"
    with deployment(home, rates_source=source) as deployed:
        world = World(deployed, upstream)
        assert world.run().success
        assert deployed.run("promotion_job").success
        yield world
    upstream.stop()


@pytest.fixture
def good(world: World) -> Iterator[None]:
    """Each test starts from an upstream serving good data, and restores it after."""
    world.upstream.answer_with(world.upstream.rows(good_rows()))
    yield
    world.upstream.answer_with(world.upstream.rows(good_rows()))


def failure_messages(result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(
        event.step_failure_data.error.message
        for event in result.all_events
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error
    )


def rows_with(change: Callable[[list[dict]], None], rows: list[dict] | None = None) -> list[dict]:
    rows = [dict(row) for row in (rows or good_rows())]
    change(rows)
    return rows


def _replace_every(step: int, **fields: object) -> Callable[[list[dict]], None]:
    def change(rows: list[dict]) -> None:
        for row in rows[::step]:
            row.update(fields)

    return change


HTML_404 = b"<html><h1>Not Found</h1></html>"
TRUNCATED_JSON = b'{"status": 200, "rates": [{"id": 1,'

# fault: (how the upstream misbehaves, what the failure must say)
FAILING = {
    "persistent 500": (
        lambda u: u.answer_with(u.raw(500, b"Internal Server Error", "text/plain")),
        "failed 3 times; last: HTTP 500",
    ),
    "404 html page": (lambda u: u.answer_with(u.raw(404, HTML_404, "text/html")), "HTTP 404"),
    "slower than the timeout": (
        lambda u: u.answer_with(u.hang()),
        "no answer within the timeout",
    ),
    "malformed json": (lambda u: u.answer_with(u.raw(200, TRUNCATED_JSON)), "not JSON"),
    "html with status 200": (
        lambda u: u.answer_with(u.raw(200, b"<html>We are down</html>", "text/html")),
        "text/html that is not JSON",
    ),
    "envelope without rates": (
        lambda u: u.answer_with(u.json({"status": 200, "count": 0})),
        "$.rates is missing",
    ),
    "rates not a list": (
        lambda u: u.answer_with(u.json({"rates": "soon"})),
        "$.rates should be a list",
    ),
    "empty list": (lambda u: u.answer_with(u.rows([])), "answered an empty list"),
    "every row unusable": (
        lambda u: u.answer_with(u.rows(rows_with(_replace_every(1, rateTenth=None)))),
        # The reasons and their counts, as for a partial rejection.
        f"No usable row among {len(good_rows())}: rateTenth missing or not an integer: "
        f"{len(good_rows())}.",
    ),
    "too many rejected rows": (
        lambda u: u.answer_with(u.rows(rows_with(_replace_every(10, rateTenth=-1)))),
        "rows rejected (10.0% > 5%): rateTenth not positive: ",  # the reasons, with counts
    ),
    "a compression bomb": (
        lambda u: u.answer_with(u.encoded(gzip.compress(b" " * 80 * 2**20))),  # 80 MiB
        "inflated to more than the limit of 67,108,864 bytes",
    ),
    "json nested too deeply": (
        lambda u: u.answer_with(u.raw(200, b'{"rates": [' + b"[" * 10**5 + b"]" * 10**5 + b"]}")),
        "nested too deeply",
    ),
    "data went backwards": (
        lambda u: u.answer_with(u.rows(good_rows(dt.date(2026, 10, 1)))),
        "older than the last good",
    ),
    "history truncated": (
        lambda u: u.answer_with(u.rows(good_rows()[1000:])),
        "the upstream lost history",
    ),
}


@pytest.mark.parametrize("fault", list(FAILING))
def test_a_fault_that_fails_the_run_loses_nothing(world: World, good: None, fault: str) -> None:
    misbehave, message = FAILING[fault]
    before = world.state()
    misbehave(world.upstream)
    result = world.run()
    assert not result.success
    assert message in failure_messages(result)
    assert "last good" in failure_messages(result)
    assert world.state() == before  # validated data, forecast document and alias unchanged
    # The MLflow run started for this Dagster run is closed as FAILED, not left RUNNING.
    assert mlflow.active_run() is None
    assert world.mlflow_statuses()[-1] == "FAILED" and "RUNNING" not in world.mlflow_statuses()
    with TestClient(
        create_app(ServiceConfig(forecast_path=world.settings.forecast_path))
    ) as client:
        assert client.get("/forecast").json()["model"]["version"] == before[2]
    if fault == "a compression bomb":  # refused while streaming: not a byte of it is kept
        assert not (world.settings.archive_dir / "raw" / f"{result.run_id}.json").exists()


def test_503_then_recovery(world: World, good: None) -> None:
    ok = world.upstream.answers[0]
    world.upstream.answer_with(
        world.upstream.raw(503, b"busy"), world.upstream.raw(502, b"gateway"), ok
    )
    assert world.run(only_ingestion=True).success
    assert world.metadata("raw_rates")["fetch_attempts"] == 3


def test_429_with_retry_after_then_recovery(world: World, good: None) -> None:
    ok = world.upstream.answers[0]
    world.upstream.answer_with(world.upstream.raw(429, b"slow down", Retry_After="0"), ok)
    assert world.run(only_ingestion=True).success
    assert world.metadata("raw_rates")["fetch_attempts"] == 2


def test_raw_snapshot_keeps_the_exact_bytes(world: World, good: None) -> None:
    result = world.run(only_ingestion=True)
    metadata = world.metadata("raw_rates")
    snapshot = Path(metadata["snapshot"])
    assert snapshot.name == f"{result.run_id}.json"
    assert json.loads(snapshot.read_bytes())["rates"] == good_rows()


def run_with(world: World, rows: list) -> dict:
    world.upstream.answer_with(world.upstream.rows(rows))
    result = world.run(only_ingestion=True)
    assert result.success, failure_messages(result)
    return world.metadata("validated_rates")


def validated(world: World) -> pl.DataFrame:
    return pl.read_parquet(world.settings.storage_dir / "validated_rates.parquet")


def test_duplicates_are_merged(world: World, good: None) -> None:
    rows = good_rows()
    metadata = run_with(world, rows + rows[-50:])
    assert metadata["same_day_rows_merged"] == 50 and metadata["rejected_row_count"] == 0
    assert validated(world).height == len(rows)


def test_two_rows_on_one_day_keep_the_latest(world: World, good: None) -> None:
    rows = good_rows()
    late = dict(
        rows[-1],
        id=99_999,
        datetime=rows[-1]["datetime"].replace("T00:00", "T18:00"),
        rateTenth=rows[-1]["rateTenth"] + 7,
        rate=(rows[-1]["rateTenth"] + 7) / 10,
    )
    metadata = run_with(world, [*rows, late])
    assert metadata["same_day_rows_merged"] == 1 and metadata["non_midnight_times"] == 1
    assert validated(world)["rate_tenth"][-1] == rows[-1]["rateTenth"] + 7


def test_a_spike_is_quarantined_and_a_jump_on_the_newest_day_waits(
    world: World, good: None
) -> None:
    rows = good_rows()
    spiked = [dict(r) for r in rows]
    for index in (-30, -1):  # 7x the level, inside the plausible range
        spiked[index]["rateTenth"] *= 7
        spiked[index]["rate"] = spiked[index]["rateTenth"] / 10
    metadata = run_with(world, spiked)
    days = validated(world)["date"].to_list()
    held = [dt.date.fromisoformat(spiked[i]["datetime"][:10]) for i in (-30, -1)]
    assert not set(held) & set(days) and days[-1] == held[1] - dt.timedelta(days=1)
    reasons = metadata["rejected_reasons"].records
    said = sorted(r.data["reason"] for r in reasons)  # +6xx %: from the day before
    assert re.fullmatch(r"a jump of \+6\d\d% on the newest day, held until a later .+", said[0])
    assert re.fullmatch(r"a spike of \+6\d\d% for 1 day\(s\) that did not last", said[1])
    quarantined = Path(metadata["quarantine"]).read_text().splitlines()
    assert len(quarantined) == 2


def test_gaps_are_reported(world: World, good: None) -> None:
    rows = good_rows()
    metadata = run_with(world, rows[:-40] + rows[-30:])  # ten days missing
    assert metadata["missing_days"] == 10 and metadata["longest_gap_days"] == 10


def test_shuffled_rows_are_sorted(world: World, good: None) -> None:
    rows = good_rows()
    metadata = run_with(world, rows[::-1])
    assert metadata["out_of_order_rows"] == len(rows) - 1
    assert validated(world)["date"].is_sorted()


def test_other_offsets_are_converted_to_their_utc_day(world: World, good: None) -> None:
    rows = good_rows()
    day = dt.date.fromisoformat(rows[-2]["datetime"][:10])
    shifted = dict(rows[-2], datetime=f"{day - dt.timedelta(days=1)}T22:00:00-02:00")
    metadata = run_with(world, [*rows[:-2], shifted, rows[-1]])
    assert metadata["non_utc_offsets"] == 1 and metadata["rejected_row_count"] == 0
    assert validated(world).filter(pl.col("date") == day)["rate_tenth"][0] == rows[-2]["rateTenth"]


def test_bad_rows_are_rejected_counted_and_quarantined(world: World, good: None) -> None:
    rows = good_rows()
    rows[10] = dict(rows[10], rateTenth=0)
    rows[11] = dict(rows[11], rateTenth=-70)
    rows[12] = {k: v for k, v in rows[12].items() if k != "rateTenth"}
    rows[13] = dict(rows[13], rateTenth="7158")
    rows[14] = dict(rows[14], rate=1.0)
    rows[15] = dict(rows[15], datetime="2030-01-01T00:00:00+00:00")
    rows[16] = dict(rows[16], datetime=None)
    rows[17] = dict(rows[17], rateTenth=10**9)
    metadata = run_with(world, rows)
    assert metadata["rejected_row_count"] == 8
    reasons = {row.data["reason"]: row.data["rows"] for row in metadata["rejected_reasons"].records}
    assert reasons["rateTenth not positive"] >= 1
    quarantined = [
        json.loads(line) for line in Path(metadata["quarantine"]).read_text().splitlines()
    ]
    assert sorted(row["row"] for row in quarantined) == list(range(10, 18))
    assert all(row["reason"] for row in quarantined)
    assert (
        json.loads(next(r for r in quarantined if r["row"] == 13)["raw_row"])["rateTenth"] == "7158"
    )


def test_no_new_day_is_a_warning_not_a_failure(world: World, good: None) -> None:
    metadata = run_with(world, good_rows())
    assert metadata["new_days"] == 0


def test_a_short_history_is_kept_but_trains_nothing(tmp_path: Path) -> None:
    # Good data, just too little of it: stored (it is the truth), but the blocking check
    # keeps the split and the training from running on it.
    with deployment(tmp_path / "home", rates_source=series_source([700.0] * 60)) as short:
        result = short.run("training_job")
        assert not result.success
        (evaluation,) = [
            e
            for e in result.get_asset_check_evaluations()
            if e.check_name == "validated_rates_history_length"
        ]
        assert not evaluation.passed
        assert short.metadata("validated_rates")["dagster/row_count"] == 60
        materialized = {
            e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
        }
        assert materialized == {"raw_rates", "validated_rates"}
        assert not short.settings.forecast_path.exists()
        # The run's failure says it in words: the days it has and needs.
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert failure.step_key == "validated_rates" and failure.step_failure_data.error
        assert cause_of(failure.step_failure_data.error).startswith(
            f"60 days of history; {MIN_HISTORY_DAYS} needed to train"
        )
