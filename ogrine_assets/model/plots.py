"""A picture of the backtest for reviewers: forecasts against what really happened."""

from __future__ import annotations

import io

import numpy as np

from ogrine_assets.model.backtest import Backtest
from ogrine_assets.model.features import DailySeries


def backtest_png(series: DailySeries, backtest: Backtest, method: str) -> bytes:
    """Actual rates over the backtest, with the 1-day and 7-day-ahead forecasts of ``method``.

    Drawn on a bare Agg canvas: pyplot (its global state and backends) is never imported.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    origins = backtest.origins
    dates = series.dates
    figure = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(figure)
    axis = figure.add_subplot()
    span = slice(origins[0], origins[-1] + backtest.horizon + 1)
    axis.plot(dates[span], series.values[span], color="#2f6fdb", linewidth=1.5, label="actual")
    for step, style in ((1, "-"), (backtest.horizon, ":")):
        axis.plot(
            dates[origins + step],
            backtest.forecasts[method][:, step - 1],
            linestyle=style,
            color="#d9480f",
            linewidth=1.2,
            label=f"{method}, {step} day{'s' if step > 1 else ''} ahead",
        )
    naive = backtest.forecasts.get("naive")
    if naive is not None:
        axis.plot(dates[origins + backtest.horizon], naive[:, -1], color="#9aa1ad", linewidth=1,
                  label=f"naive, {backtest.horizon} days ahead")  # fmt: skip
    axis.set_ylabel("kamas per ogrine")
    axis.grid(alpha=0.3)
    axis.legend(loc="upper left", fontsize=8)
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def horizon_table_markdown(backtest: Backtest) -> str:
    """MAE per horizon day, one column per method: the table a reviewer reads first."""
    methods = list(backtest.forecasts)
    lines = ["| horizon | " + " | ".join(f"{m} MAE" for m in methods) + " |"]
    lines.append("|---:|" + "---:|" * len(methods))
    per = {m: backtest.per_horizon(m) for m in methods}
    for step in range(backtest.horizon):
        lines.append(
            f"| {step + 1} | " + " | ".join(f"{per[m]['mae'][step]:.2f}" for m in methods) + " |"
        )
    overall = " | ".join(f"**{float(np.mean(per[m]['mae'])):.2f}**" for m in methods)
    lines.append(f"| all | {overall} |")
    return "\n".join(lines)
