import datetime as dt
import json

import pandera.errors
import polars as pl
import pytest

from ogrine_assets.rates.cleaning import clean_rates
from ogrine_assets.rates.schema import validate
from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.rates.upstream import parse_rates


@pytest.fixture
def clean() -> pl.DataFrame:
    return clean_rates(
        parse_rates(json.dumps(synthetic_payload(dt.date(2020, 1, 1))).encode())
    ).clean


def test_clean_synthetic_rates_pass(clean: pl.DataFrame) -> None:
    assert validate(clean).height == clean.height


def test_duplicate_and_unsorted_dates_fail_with_failure_cases(clean: pl.DataFrame) -> None:
    with pytest.raises(pandera.errors.SchemaErrors) as caught:
        validate(pl.concat([clean, clean.head(2)]))
    checks = set(caught.value.failure_cases["check"].to_list())
    assert "field_uniqueness" in checks
    assert "dates must be strictly ascending" in checks


def test_rate_must_agree_with_tenths(clean: pl.DataFrame) -> None:
    with pytest.raises(pandera.errors.SchemaErrors, match="rate must equal rate_tenth / 10"):
        validate(clean.with_columns(rate=pl.col("rate") + 1))


def test_out_of_range_and_naive_datetimes_fail(clean: pl.DataFrame) -> None:
    with pytest.raises(pandera.errors.SchemaErrors, match="rate_tenth"):
        validate(clean.with_columns(rate_tenth=pl.lit(5, dtype=pl.Int64), rate=pl.lit(0.5)))
    with pytest.raises(pandera.errors.SchemaErrors, match="observed_at"):
        validate(clean.with_columns(pl.col("observed_at").dt.replace_time_zone(None)))
