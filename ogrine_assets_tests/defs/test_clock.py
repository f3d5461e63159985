"""A wrong clock costs the runs made while it was wrong, never the ones after."""

import datetime as dt
import json
from pathlib import Path

from ogrine_assets_tests.support import FIXED_NOW, deployment

A_YEAR_AHEAD = FIXED_NOW + dt.timedelta(days=358)


def test_a_run_with_the_clock_a_year_ahead_does_not_block_the_runs_at_the_right_time(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    with deployment(home, now=A_YEAR_AHEAD, on_disk=True) as ahead:
        # The embedded source answers as the upstream would on the run's date: a year more.
        assert ahead.run("train_and_publish_job").success
        assert ahead.metadata("validated_rates")["last_date"] == str(
            A_YEAR_AHEAD.date() - dt.timedelta(days=1)
        )
    with deployment(home, on_disk=True) as back:
        result = back.run("forecast_refresh_job")
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        said = [entry.user_message for entry in back.instance.all_logs(result.run_id)]
        assert any("after today 2026-11-26: a clock was ahead" in line for line in said)
        yesterday = str(FIXED_NOW.date() - dt.timedelta(days=1))
        assert back.metadata("validated_rates")["last_date"] == yesterday
        document = json.loads(back.settings.forecast_path.read_text())
        assert document["data"]["last_observed_date"] == yesterday
        assert document["forecast"][0]["date"] == str(FIXED_NOW.date())
