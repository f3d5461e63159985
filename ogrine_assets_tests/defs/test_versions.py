"""The training code's version: a digest of the model package's files, so any edit of them
makes a new one (and ogrine_model trains again: defs/test_pipeline.py)."""

from pathlib import Path

import ogrine_assets.model
from ogrine_assets.defs.common.versions import TRAINING_CODE_VERSION, source_digest


def test_the_training_code_version_is_the_model_packages_digest() -> None:
    assert source_digest(Path(ogrine_assets.model.__file__).parent) == TRAINING_CODE_VERSION


def test_any_edit_of_a_python_file_makes_a_new_digest(tmp_path: Path) -> None:
    package = tmp_path / "model"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "fit.py").write_text("WEIGHT = 1\n")
    digests = [source_digest(package)]
    (package / "sub" / "fit.py").write_text("WEIGHT = 2\n")  # one character changed
    digests.append(source_digest(package))
    (package / "sub" / "fit.py").rename(package / "fit.py")  # moved, same content
    digests.append(source_digest(package))
    (package / "extra.py").write_text("")  # a new, empty module
    digests.append(source_digest(package))
    (package / "notes.txt").write_text("not code")  # not a Python file: no new version
    assert source_digest(package) == digests[-1]
    assert len(set(digests)) == len(digests) == 4
    assert source_digest(package) == source_digest(package)  # and stable
