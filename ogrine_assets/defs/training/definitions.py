"""The training domain's assets (its MLflow resources are shared, in ``common``)."""

import dagster as dg

from ogrine_assets.defs.training.model import ogrine_model
from ogrine_assets.defs.training.sets import train_test_sets


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[train_test_sets, ogrine_model])
