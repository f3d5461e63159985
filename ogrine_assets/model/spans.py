"""The model's spans of days, in one place: every other part reads them from here.

Plain numbers, importable without NumPy: the code location reads them (check descriptions,
the history a run needs) without loading what models.
"""

WINDOW = 28  # the days before a target day that its features look at
HORIZON = 7  # the days forecast after the last observed one
TEST_DAYS = 30  # the newest days held out to score a training on
BACKTEST_DAYS = 182  # half a year of daily origins: enough errors per horizon for a 95% band
MIN_TRAINING_DAYS = 2 * WINDOW  # an origin needs this many training targets before it
# A test window plus enough to learn from, and at least two backtest origins.
MIN_HISTORY_DAYS = max(TEST_DAYS + 2 * WINDOW, WINDOW + MIN_TRAINING_DAYS + HORIZON + 1)
