"""What every domain shares: its resources are bound once, in ``definitions.py``."""
