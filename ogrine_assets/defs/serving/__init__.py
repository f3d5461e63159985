"""Serving: promotion to the champion alias, live accuracy and the published forecast."""
