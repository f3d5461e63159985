"""Dagster definitions, one package per domain, merged by ``ogrine_assets.definitions``.

- ``common/``: what every domain shares (the clock, the MLflow model registry and its
  tracking run, the executor and recovery, the Parquet IO manager, metadata helpers);
- ``ingestion/``: rates sources, the run archive, ``raw_rates`` and ``validated_rates``;
- ``training/``: ``train_set``/``test_set`` and ``ogrine_model``;
- ``serving/``: promotion (``champion_model``), live accuracy and the published ``forecast``;
- ``automation/``: the jobs, schedules and the promotion sensor.

Each domain's ``definitions.py`` binds the resources only it uses; shared ones are bound
once, in ``common/definitions.py``.
"""
