"""Ingestion: where rates come from, what is kept of each fetch, and the validated rates."""
