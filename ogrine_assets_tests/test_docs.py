"""The README and docs/ point only at things that exist."""

import json
import re
from pathlib import Path

import msgspec

from ogrine_assets.forecast_document import (
    DataInfo,
    ForecastDocument,
    ForecastPoint,
    HistoryPoint,
    LiveAccuracy,
    ModelInfo,
    Quality,
)

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\((?!https?://)([^)#\s]+)")


def test_every_relative_link_resolves() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert len(pages) > 5
    for page in pages:
        for target in LINK.findall(page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_the_readme_stays_a_front_door() -> None:
    assert len((ROOT / "README.md").read_bytes()) < 7_000


def test_the_example_forecast_document_carries_every_field() -> None:
    """The example in docs/forecast-document.md names every field of the document's structs
    (and nothing else), and each example object decodes into its struct."""
    text = (ROOT / "docs" / "forecast-document.md").read_text()
    (block,) = re.findall(r"```json\n(.*?)```", text, re.S)
    example = json.loads(block)

    def fields(struct: type[msgspec.Struct]) -> set[str]:
        return {field.encode_name for field in msgspec.structs.fields(struct)}

    objects = [
        (ForecastDocument, example),
        (ModelInfo, example["model"]),
        (DataInfo, example["data"]),
        (HistoryPoint, example["history"][0]),
        (ForecastPoint, example["forecast"][0]),
        (Quality, example["quality"]),
        (LiveAccuracy, example["live_accuracy"][0]),
    ]
    for struct, shown in objects:
        assert set(shown) == fields(struct), struct.__name__
        if struct is not ForecastDocument:  # its lists end in "…" placeholders
            msgspec.convert(shown, struct, strict=False)
