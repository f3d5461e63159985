"""Rates: the upstream contract, the embedded synthetic source, cleaning and the schema."""
