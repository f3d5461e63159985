"""The project reaches its libraries through their public APIs only (docs/libraries.md).

Every Python file of the package, its tests and its benchmarks is read for what it imports
from a dependency and which of a dependency's module attributes it uses: a ``_``-prefixed
module, function or attribute ties the project to one release of a library that moves monthly.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"ogrine_assets", "ogrine_assets_tests", "benchmarks"}
FOLDERS = sorted(OURS)


def _private(name: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in name.split("."))


def _dependency(module: str) -> bool:
    top = module.split(".")[0]
    return bool(top) and top not in OURS and top not in sys.stdlib_module_names


def private_uses(source: str) -> list[str]:
    """Each use of a dependency's ``_``-prefixed name in ``source``: ``line: what``."""
    found = []
    modules: set[str] = set()  # the names a dependency's module is bound to here
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _dependency(alias.name):
                    continue
                if _private(alias.name):
                    found.append(f"{node.lineno}: import {alias.name}")
                modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not _dependency(node.module):
                continue
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                if _private(name):
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
                modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(root := _root(node), ast.Name)
            and root.id in modules
        ):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node


def test_the_check_finds_each_kind_of_private_use() -> None:
    source = (
        "import dagster._core.instance\n"
        "from mlflow.utils import _get_thing\n"
        "from dagster._utils import backoff\n"
        "import mlflow as m\n"
        "m.store._private_store\n"
        "import os\n"
        "os._exit(0)\n"  # the standard library's own, documented
        "from ogrine_assets import _ours\n"
        "mlflow_client._private\n"  # an object, not a module
    )
    assert private_uses(source) == [
        "1: import dagster._core.instance",
        "2: from mlflow.utils import _get_thing",
        "3: from dagster._utils import backoff",
        "5: m.store._private_store",
    ]


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_private_name_of_a_dependency_is_used(folder: str) -> None:
    uses = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (found := private_uses(path.read_text()))
    }
    assert uses == {}
