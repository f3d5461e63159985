"""The garbage collector's settings for the project's processes.

A process that runs the graph imports Dagster, MLflow, pandas and polars: hundreds of
thousands of objects that live as long as it does. Under Python's default thresholds the
collector walks them again and again while the run allocates, and the interpreter walks
them once more when the process exits.

- **A process that exists for one run** (``ogrine materialize`` and ``ogrine refresh``, and
  the run workers Dagster starts for each launched run: the daemon's schedules and sensors,
  the UI's Materialize button, ``dagster job execute``) collects rarely and freezes what is
  loaded before its first step. A launched run's process (``dagster job execute``, warm
  home) took 4.3 s, and 2.9 s with the executor doing so (docs/pipeline.md). A process that
  goes on after a run (the soak and the replay run hundreds in one process,
  ``simulation/runner.py``) thaws them again: a frozen object is never collected.
"""

from __future__ import annotations

import gc

RARELY = (20_000, 20, 20)  # the default is (700, 10, 10)


def collect_rarely() -> None:
    """A young collection every 20,000 net allocations instead of 700: the imports and the
    run's frames make few reference cycles, and each collection walks what is young."""
    gc.set_threshold(*RARELY)


def freeze_what_is_loaded() -> None:
    """Put every object alive now out of the collector's reach, for good: neither the
    collections during the run nor the final one at exit walk them again."""
    gc.freeze()


def thaw() -> None:
    """Give every frozen object back to the collector (the oldest generation), for a
    process that goes on after its run: what the run left is collectable again."""
    gc.unfreeze()
