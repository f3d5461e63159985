"""ogrine_assets: a Dagster asset graph that keeps a 7-day Ogrine rate forecast fresh."""
