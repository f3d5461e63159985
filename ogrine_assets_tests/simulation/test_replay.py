"""The replay: the real policy as of each past day, then what it published, scored."""

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import msgspec
import polars as pl
import pytest

from ogrine_assets.forecast_document import decode
from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.simulation.replay import figure, replay
from ogrine_assets.simulation.upstream import rows_as_of
from ogrine_assets_tests.support import ogrine

pytestmark = pytest.mark.integration

FIRST, LAST = dt.date(2026, 10, 5), dt.date(2026, 10, 13)  # Monday to the next Tuesday
SVG = "{http://www.w3.org/2000/svg}"
MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"


def _texts(svg: ET.Element, css_class: str) -> list[str]:
    """The texts of the elements of every class in ``css_class`` (a group's: the texts in it)."""
    found = []
    for element in svg.iter():
        if set(css_class.split()) <= set((element.get("class") or "").split()):
            inside = element.iter(f"{SVG}text") if element.tag == f"{SVG}g" else [element]
            found += [text.text or "" for text in inside]
    return found


def test_the_figure_has_a_date_axis_naming_each_year_and_a_legend() -> None:
    """Two months across a new year: the date labels are dates (day and month, or month),
    in order along the axis, the year named on the first and on the first of the new one."""
    days = [dt.date(2025, 12, 1) + dt.timedelta(days=i) for i in range(62)]
    actual = [1300 + 40 * math.sin(i / 9) for i in range(len(days))]
    scored = pl.DataFrame(
        {
            "date": days,
            "horizon_days": [1] * len(days),
            "actual": actual,
            "predicted": [a + 5 for a in actual],
            "lower_80": [a - 15 for a in actual],
            "upper_80": [a + 25 for a in actual],
        }
    )
    drawn = ET.fromstring(figure(scored))
    labels = _texts(drawn, "axis x")
    assert len(labels) >= 3
    assert all(re.fullmatch(rf"(\d{{1,2}} )?{MONTH}( \d{{4}})?", label) for label in labels)
    years = [label[-4:] for label in labels if re.search(r"\d{4}$", label)]
    assert years == ["2025", "2026"], labels
    ticks = [
        float(line.get("x1") or "")
        for line in drawn.iter(f"{SVG}line")
        if line.get("class") == "tick"
    ]
    assert len(ticks) == len(labels) and ticks == sorted(ticks)
    assert _texts(drawn, "legend") == ["actual rate", "next-day forecast", "its 80 % band"]
    # The value axis covers everything drawn, as the service's chart does.
    values = [float(text.replace(",", "")) for text in _texts(drawn, "axis y")]  # "1,225"
    assert values[0] <= min(a - 15 for a in actual) and values[-1] >= max(a + 25 for a in actual)


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
    drawn = ET.fromstring(report.figure.read_text())  # a well-formed SVG
    assert _texts(drawn, "axis x")[0] == "5 Oct 2026"  # the first replayed day, its year named
    assert _texts(drawn, "legend") == ["actual rate", "next-day forecast", "its 80 % band"]


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
