"""A version's backtest scores written as tags and read back; the document's quality."""

from ogrine_assets.model.intervals import Band, IntervalRecord
from ogrine_assets.model.quality import BacktestSummary, document_quality


def test_tags_round_trip() -> None:
    summary = BacktestSummary(
        model_mae=15.41234, naive_mae=19.9, seasonal_naive_mae=20.8, origins=182
    )
    tags = summary.as_tags()
    assert tags == {
        "backtest_mae": "15.4123",
        "backtest_naive_mae": "19.9000",
        "backtest_seasonal_naive_mae": "20.8000",
        "backtest_origins": "182",
    }
    assert BacktestSummary.from_tags(tags) == BacktestSummary(15.4123, 19.9, 20.8, 182)
    assert summary.beats_naive
    assert not BacktestSummary(20.0, 20.0, 21.0).beats_naive  # a tie does not beat naive


def test_a_version_without_scores_has_no_summary() -> None:
    assert BacktestSummary.from_tags({"dagster_run_id": "r"}) is None
    assert BacktestSummary.from_tags({"backtest_mae": "x", "backtest_naive_mae": "1"}) is None


def test_document_quality_joins_scores_and_bands() -> None:
    record = IntervalRecord(
        method="model",
        origins=150,
        bands={80: Band([-1.0], [1.0]), 95: Band([-2.0], [2.0])},
        held_out_coverage={80: 0.79, 95: 0.96},
        mae_by_horizon=[1.5],
    )
    quality = document_quality(BacktestSummary(10.0, 12.0, 13.0), record)
    assert quality.backtest_origins == 150  # from the record when the tags predate the count
    assert quality.beats_naive and quality.interval_coverage == {80: 0.79, 95: 0.96}
    assert quality.backtest_mae_by_horizon == [1.5]


def test_interval_records_round_trip_and_legacy_ones_read_as_percents() -> None:
    record = IntervalRecord(
        method="model",
        origins=3,
        bands={80: Band([-1.0, -2.0], [1.0, 2.0]), 95: Band([-3.0, -4.0], [3.0, 4.0])},
        held_out_coverage={80: 0.8, 95: 0.95},
        mae_by_horizon=[1.0, 2.0],
    )
    assert IntervalRecord.from_json(record.to_json()) == record
    legacy = (
        b'{"method": "model", "origins": 3,'
        b' "bands": {"0.8": {"lower": [-1.0, -2.0], "upper": [1.0, 2.0]},'
        b' "0.95": {"lower": [-3.0, -4.0], "upper": [3.0, 4.0]}},'
        b' "held_out_coverage": {"0.8": 0.8, "0.95": 0.95}, "mae_by_horizon": [1.0, 2.0]}'
    )
    assert IntervalRecord.from_json(legacy) == record
