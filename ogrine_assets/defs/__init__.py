"""Dagster definitions, one module per concern; pure logic lives in rates/ and model/."""
