"""Training: the time split, and a new model version fitted, scored, logged and registered."""
