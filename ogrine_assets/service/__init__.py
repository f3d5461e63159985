"""The forecast service: a small Litestar app that serves the published forecast document.

It is its own small world: it imports nothing from Dagster, MLflow, scikit-learn, pandas or
polars. It reads the document the ``forecast`` asset publishes and never computes anything.
"""
