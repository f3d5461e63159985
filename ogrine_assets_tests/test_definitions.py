from pathlib import Path

import dagster as dg
from dagster.components.definitions import LazyDefinitions

from ogrine_assets.definitions import build_definitions, defs
from ogrine_assets.defs.ingestion.sources import HttpRatesSource, SyntheticRatesSource
from ogrine_assets.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_definitions_load_lazily_and_validate() -> None:
    # Importing the module built nothing: Dagster's tools call ``defs`` when they load it.
    assert isinstance(defs, LazyDefinitions)
    dg.Definitions.validate_loadable(defs())


def test_source_is_chosen_by_configuration(tmp_path: Path) -> None:
    synthetic = build_definitions(Settings.from_env({"OGRINE_HOME": str(tmp_path)}))
    http = build_definitions(
        Settings.from_env({"OGRINE_HOME": str(tmp_path), "OGRINE_API_URL": "http://127.0.0.1:9/x"})
    )
    assert isinstance(synthetic.resources["rates_source"], SyntheticRatesSource)
    assert isinstance(http.resources["rates_source"], HttpRatesSource)
    spec = synthetic.resolve_assets_def("raw_rates").specs_by_key[dg.AssetKey("raw_rates")]
    assert "SYNTHETIC" in spec.metadata["source"]  # the UI says so before any run


def test_groups_kinds_and_descriptions_on_every_asset() -> None:
    groups = {}
    for spec in defs().resolve_all_asset_specs():
        assert spec.description, spec.key
        assert spec.kinds, spec.key
        groups[spec.key.to_user_string()] = spec.group_name
    assert groups == {
        "raw_rates": "ingestion",
        "validated_rates": "ingestion",
        "train_set": "training",
        "test_set": "training",
        "ogrine_model": "training",
        "champion_model": "serving",
        "forecast_accuracy": "serving",
        "forecast": "serving",
        "notification": "serving",
    }
