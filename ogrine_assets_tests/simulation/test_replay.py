"""The replay: the real policy as of each past day, then what it published, scored."""

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import msgspec
import pytest

from ogrine_assets.forecast_document import decode
from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.simulation.replay import replay
from ogrine_assets.simulation.upstream import rows_as_of
from ogrine_assets_tests.support import ogrine

pytestmark = pytest.mark.integration

FIRST, LAST = dt.date(2026, 10, 5), dt.date(2026, 10, 13)  # Monday to the next Tuesday


def test_the_upstream_answers_only_what_was_known_that_day() -> None:
    rows = synthetic_payload(dt.date(2026, 10, 30))["rates"]
    answer = rows_as_of(rows)(dt.date(2026, 10, 10))
    last = max(row["datetime"] for row in answer["rates"])
    assert last.startswith("2026-10-09") and answer["count"] == len(answer["rates"])


def test_a_replay_runs_the_schedules_and_scores_every_published_day(tmp_path: Path) -> None:
    rows = synthetic_payload(LAST + dt.timedelta(days=8))["rates"]
    said: list[str] = []
    report = replay(tmp_path / "home", rows, FIRST, LAST, say=said.append)
    assert report.failed == []
    # Two Mondays: train, promote and publish; every day: the 02:00 refresh.
    assert report.runs == 2 + 9
    assert report.promoted + report.rejected == 2
    # Each day's refresh forecast from the day before only: no day saw its own future.
    archive = tmp_path / "home" / "archive" / "forecasts"
    for path in archive.glob("*.json"):
        document = decode(path.read_bytes())
        assert document.data.last_observed_date == document.generated_at.date() - dt.timedelta(
            days=1
        )
    # Nine days of published 7-day forecasts, all with their actuals by now.
    assert report.by_horizon["horizon_days"].to_list() == list(range(1, 8))
    assert report.by_horizon["forecasts"].to_list() == [9] * 7
    assert report.loop_mae > 0 and report.naive_mae > 0
    assert 0 <= report.coverage(80) <= report.coverage(95) <= 1
    assert "| MAE, all horizons: loop / naive |" in report.table()
    assert report.figure is not None
    ET.fromstring(report.figure.read_text())  # a well-formed SVG


def test_replay_scores_the_policy_on_a_file_of_rates(tmp_path: Path) -> None:
    rates = tmp_path / "rates.json"
    rates.write_bytes(msgspec.json.encode(synthetic_payload(dt.date(2026, 10, 16))))
    done = ogrine(  # the command, as a user runs it
        tmp_path / "unused-home",
        "replay",
        "--from",
        "2026-10-05",
        "--to",
        "2026-10-05",
        "--rates",
        str(rates),
        "--home",
        str(tmp_path / "replay"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| runs | 2 (0 failed) |" in done.stdout  # Monday's training, its refresh
    assert re.search(r"^\| 7 \| 1 \| [\d.]+ \| [\d.]+ \|", done.stdout, re.M)
    assert f"Figure: {tmp_path / 'replay' / 'replay.svg'}" in done.stdout
    assert not (tmp_path / "unused-home").exists()  # the user's home is never touched
