"""The contract of an answer: what is not JSON, or not the envelope, is one named error; rows
of the wrong shape are kept with nulls and their original JSON."""

import json

import pytest

from ogrine_assets.rates.upstream import UpstreamError, parse_rates
from ogrine_assets_tests.fake_upstream import envelope


def test_html_with_status_200_is_not_json() -> None:
    with pytest.raises(
        UpstreamError, match=r"HTTP 200 with text/html that is not JSON .*maintenance"
    ):
        parse_rates(b"<html>maintenance</html>", content_type="text/html")


def test_malformed_json_is_not_json() -> None:
    with pytest.raises(UpstreamError, match="not JSON"):
        parse_rates(b'{"rates": [{"id": 1,', content_type="application/json")


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ([1, 2], r"\$ should be an object"),
        ({"status": 200}, r"\$\.rates is missing"),
        ({"rates": {"id": 1}}, r"\$\.rates should be a list"),
    ],
)
def test_bad_envelope_names_the_key_path(payload: object, path: str) -> None:
    with pytest.raises(UpstreamError, match=path):
        parse_rates(json.dumps(payload).encode())


def test_wrong_types_become_nulls_and_keep_their_original_json() -> None:
    rows = [
        {"id": 1, "datetime": "2024-01-01T00:00:00+00:00", "rateTenth": "7158", "rate": 715.8},
        {"id": 2, "datetime": "2024-01-02T00:00:00+00:00", "rateTenth": 7000.0, "rate": 700},
        {"id": True, "datetime": "2024-01-03T00:00:00+00:00", "rate": "x"},
        "not an object",
        {"id": 5, "datetime": "2024-01-05T00:00:00+00:00", "rateTenth": 7001, "rate": 700.1},
    ]
    frame = parse_rates(json.dumps(envelope(rows)).encode())
    assert frame["row"].to_list() == [0, 1, 2, 3, 4]
    assert frame["rateTenth"].to_list() == [None, 7000, None, None, 7001]
    assert frame["id"].to_list() == [1, 2, None, None, 5]
    raw = frame["raw_row"].to_list()
    assert json.loads(raw[0])["rateTenth"] == "7158"
    assert raw[1] is None and raw[4] is None  # 7000.0 is a whole number: taken as 7000
    assert json.loads(raw[3]) == "not an object"


def test_missing_keys_are_nulls_on_the_fast_path() -> None:
    frame = parse_rates(
        json.dumps(envelope([{"id": 1, "datetime": "2024-01-01T00:00:00+00:00"}])).encode()
    )
    first = frame.row(0, named=True)
    assert (first["id"], first["rateTenth"], first["rate"], first["raw_row"]) == (
        1,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"rates": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"rates": [' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"]}",
    ],
)
def test_json_nested_too_deeply_is_refused_in_one_line(body: bytes) -> None:
    with pytest.raises(UpstreamError, match="nested too deeply"):
        parse_rates(body)
