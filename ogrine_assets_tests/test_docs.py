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


def _layout() -> dict[str, list[str]]:
    """The README's layout of ``ogrine_assets/``: each package's entries (``name.py`` or
    ``name/``) by the package's path, from the indentation of the lines that name them."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    listed: dict[str, list[str]] = {}
    parents: list[str] = []
    for line in block.splitlines():
        found = re.match(r"^( *)([\w.]+(?:\.py|/))(?:\s|$)", line)
        if not found:
            continue
        depth = len(found.group(1)) // 2
        if depth == 0 and found.group(2) != "ogrine_assets/":
            parents = []
            continue
        parents = [*parents[:depth], found.group(2)]
        if depth:
            listed.setdefault("".join(parents[:-1]), []).append(found.group(2))
    return listed


def _entries(folder: Path) -> set[str]:
    modules = {p.name for p in folder.glob("*.py") if p.name != "__init__.py"}
    packages = {f"{p.name}/" for p in folder.iterdir() if (p / "__init__.py").is_file()}
    return modules | packages


def test_the_readme_layout_is_the_package_as_it_is() -> None:
    """Every module and subpackage at the package's root is listed, and so are the domains
    of ``defs/``; nothing listed is gone. The root stays a short list (at most ten modules)."""
    listed = _layout()
    package = ROOT / "ogrine_assets"
    assert sorted(listed["ogrine_assets/"]) == sorted(_entries(package))
    assert sorted(listed["ogrine_assets/defs/"]) == sorted(_entries(package / "defs"))
    assert len([name for name in listed["ogrine_assets/"] if name.endswith(".py")]) <= 10


def test_no_module_is_longer_than_four_hundred_lines() -> None:
    lengths = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in (ROOT / "ogrine_assets").rglob("*.py")
    }
    assert {path: n for path, n in lengths.items() if n > 400} == {}
