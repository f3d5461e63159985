"""The method choice and its bands on real daily series (``real_series.py``): per series, the
chosen method is no worse than naive where it was not chosen, a random-walk-like price is left
to the naive family, and every series' bands hold within 8 points of their level on origins
they were not fitted on."""

import pytest

from ogrine_assets.model.intervals import IntervalRecord, scaled_interval_record
from ogrine_assets.model.selection import Selection, select
from ogrine_assets.names import MODEL_METHOD
from ogrine_assets_tests.real_series import SERIES, series

NOMINAL = {80: 0.80, 95: 0.95}
TOLERANCE = 0.08  # band coverage within 8 points of nominal


@pytest.fixture(scope="module")
def selections() -> dict[str, Selection]:
    return {name: select(series(name)) for name in SERIES}


@pytest.mark.parametrize("name", list(SERIES))
def test_the_chosen_method_is_no_worse_than_naive_where_it_was_not_chosen(
    selections: dict[str, Selection], name: str
) -> None:
    chosen = selections[name]
    assert chosen.nested_mae <= 1.0 * chosen.nested_naive_mae, chosen.table()


def test_a_price_like_a_random_walk_is_left_to_the_naive_family(
    selections: dict[str, Selection],
) -> None:
    assert selections["gold"].winner.naive_family, selections["gold"].winner.name


@pytest.mark.parametrize("name", ["temperature", "deaths"])
def test_cycles_and_shifts_get_a_fitted_model(selections: dict[str, Selection], name: str) -> None:
    chosen = selections[name]
    assert not chosen.winner.naive_family, chosen.winner.name
    assert chosen.nested_mae < 0.9 * chosen.nested_naive_mae


@pytest.mark.parametrize("name", list(SERIES))
def test_the_bands_hold_where_they_were_not_fitted(
    selections: dict[str, Selection], name: str
) -> None:
    coverage = _bands(selections[name], name).held_out_coverage
    for level, nominal in NOMINAL.items():
        assert abs(coverage[level] - nominal) <= TOLERANCE, (level, coverage)


def _bands(chosen: Selection, name: str) -> IntervalRecord:
    daily = series(name)
    return scaled_interval_record(chosen.chosen(), MODEL_METHOD, daily.values, daily.observed)
