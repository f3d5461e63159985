"""The backtest's refits: the candidates' least-squares and ridge fits on hundreds of
growing prefixes of one series, solved incrementally instead of each anew.

A rolling-origin backtest refits a candidate at every origin (``model/backtest.py``), and
the prefixes differ by a row or two. What is registered, promoted and served is always the
scikit-learn estimator of ``model/estimators.py``; these solvers stand for it in the
backtest only, and ``ogrine_assets_tests/model/test_refits.py`` holds their weights and
forecasts equal to the estimator's: for every candidate of every series the tests have, at
the backtest's first and last origins and five between; and on chosen prefixes of the cases
that break an incremental solution.
"""

from __future__ import annotations

import numpy as np


def least_squares(design: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float]:
    """Ordinary least squares with an intercept, solved as scikit-learn's LinearRegression
    solves it (centred data, ``lstsq``): a prefix too short or too collinear for the
    incremental solution gets this one, the minimum-norm solution, as the estimator does."""
    x_mean, y_mean = design.mean(axis=0), target.mean()
    coefficients, *_ = np.linalg.lstsq(design - x_mean, target - y_mean, rcond=None)
    return coefficients, float(y_mean - x_mean @ coefficients)


# A prefix whose R factor has a diagonal entry this small, relative to the largest, has no
# well-determined unique solution: it is solved by lstsq, as every prefix used to be.
UNIQUE = 1e-9


def expanding_least_squares(
    design: np.ndarray, target: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`least_squares` on every prefix ``design[:end]`` of one design, for each of the
    ascending ``ends``: (coefficients, one row per end; intercepts).

    The rolling-origin backtest fits hundreds of prefixes that differ by a row or two.
    Solving each anew costs ~0.25 ms; here one QR factorisation of ``[1, X, y]`` grows by
    the new rows instead (~0.03 ms a prefix). QR is as stable as ``lstsq``'s SVD: the two
    agree to ~1e-10 of the rate on every series the tests hold them to. The columns are
    shifted by the first prefix's means, which keeps the intercept column well apart from
    the others, as centring does. A prefix too short or too collinear to have a unique
    solution gets ``lstsq``'s (the minimum-norm one), as before.
    """
    ends = _ascending(ends)
    width = design.shape[1] + 1  # the intercept and the features
    coefficients = np.empty((ends.size, design.shape[1]))
    intercepts = np.empty(ends.size)
    if ends.size == 0:
        return coefficients, intercepts
    first = max(int(ends[0]), 1)
    x_shift, y_shift = design[:first].mean(axis=0), target[:first].mean()
    rows = np.column_stack([np.ones(len(target)), design - x_shift, target - y_shift])
    factor = _r_factor(rows[:first])
    done = first
    for i, end in enumerate(ends):
        if end > done:
            factor = _r_factor(np.vstack([factor, rows[done:end]]))
            done = end
        diagonal = np.abs(np.diag(factor)[:width]) if factor.shape[0] >= width else None
        if diagonal is None or diagonal.min() <= UNIQUE * diagonal.max():
            coefficients[i], intercepts[i] = least_squares(design[:end], target[:end])
            continue
        solution = np.linalg.solve(factor[:width, :width], factor[:width, width])
        coefficients[i] = solution[1:]
        intercepts[i] = solution[0] + y_shift - x_shift @ solution[1:]
    return coefficients, intercepts


def _ascending(ends: np.ndarray) -> np.ndarray:
    """``ends`` as integers, refused unless ascending: the expanding fits grow prefixes."""
    ends = np.asarray(ends, dtype=int)
    if ends.size and np.any(np.diff(ends) < 0):
        raise ValueError("ends must be ascending")
    return ends


def _r_factor(matrix: np.ndarray) -> np.ndarray:
    """The R of ``matrix``'s QR factorisation (NumPy's stubs type ``mode="r"`` as a pair)."""
    return np.asarray(np.linalg.qr(matrix, mode="r"))


def expanding_ridge(
    design: np.ndarray, target: np.ndarray, ends: np.ndarray, penalty: float
) -> tuple[np.ndarray, np.ndarray]:
    """The ridge candidate (``estimators.py``: standardised features, an L2 penalty of
    ``penalty`` per training row, the intercept unpenalised) on every prefix
    ``design[:end]`` of one design, for each of the ascending ``ends``: (coefficients in
    the features' own units, one row per end; intercepts).

    A prefix's means, spreads and cross-products are running sums, so each refit is one
    small solve, all of them at once: ~2 ms for the backtest's 182 prefixes, against ~40 ms
    solving each anew.
    The sums are of the rows shifted by the first prefix's means: centring then subtracts
    numbers of the size of the spread, not of the rates, and loses no digits that matter
    (the test holds every prefix's forecasts within 1e-12 of the rate of the estimator's).
    """
    ends = _ascending(ends)
    if ends.size == 0:
        return np.empty((0, design.shape[1])), np.empty(0)
    if ends[0] < 1 or ends[-1] > len(target):
        raise ValueError(f"every prefix needs a row at least and at most {len(target)}")
    first = int(ends[0])
    x_shift, y_shift = design[:first].mean(axis=0), target[:first].mean()
    x, y = design[: ends[-1]] - x_shift, target[: ends[-1]] - y_shift
    head, tail = x[:first], x[first:]

    def running(first_sum: np.ndarray, added: np.ndarray) -> np.ndarray:
        """A sum over each prefix: the first prefix's, plus what each later row adds."""
        return np.cumsum(np.concatenate([first_sum[None], added]), axis=0)[ends - first]

    count = ends.astype(float)[:, None]
    mean = running(head.sum(axis=0), tail) / count
    y_mean = running(y[:first].sum(), y[first:]) / count[:, 0]
    centred = running(head.T @ head, tail[:, :, None] * tail[:, None, :])
    centred -= count[:, :, None] * mean[:, :, None] * mean[:, None, :]
    centred_xy = (
        running(head.T @ y[:first], tail * y[first:, None]) - count * mean * y_mean[:, None]
    )
    scale = np.sqrt(np.clip(np.diagonal(centred, axis1=1, axis2=2) / count, 0.0, None))
    scale = np.where(scale > 0, scale, 1.0)
    gram = centred / (scale[:, :, None] * scale[:, None, :])
    gram += penalty * count[:, :, None] * np.eye(design.shape[1])
    standard = np.linalg.solve(gram, (centred_xy / scale)[:, :, None])[:, :, 0]
    coefficients = standard / scale
    intercepts = y_mean + y_shift - np.einsum("ij,ij->i", mean + x_shift, coefficients)
    return coefficients, intercepts
