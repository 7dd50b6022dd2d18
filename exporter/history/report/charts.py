"""The report's twelve-month charts, drawn with matplotlib (Agg) as SVG text.

Imported only when a PDF is built: the scrape path never loads matplotlib.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from exporter.catalog import PREFIX
from exporter.history.report.data import ReportData
from exporter.history.report.figures import Point
from exporter.history.report.formats import money
from exporter.vocabulary import TARGETS, ActiveWindow, Bands, Movement, UserType

INK = "#1f2933"
GRID = "#d9dee3"
BLUE, TEAL, GREEN, RED, ORANGE, GREY = (
    "#2f6db3",
    "#1f9e89",
    "#2e8540",
    "#c0392b",
    "#e67e22",
    "#8a949e",
)
MOVEMENT_COLOURS = {
    Movement.NEW: "#2e8540",
    Movement.REACTIVATION: "#7fbf7f",
    Movement.EXPANSION: "#1f9e89",
    Movement.CONTRACTION: "#e67e22",
    Movement.CHURN: "#c0392b",
}

plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 8,
        "axes.edgecolor": GRID,
        "axes.labelcolor": INK,
        "axes.titlesize": 9,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "xtick.color": INK,
        "ytick.color": INK,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.grid.axis": "y",
        "grid.color": GRID,
        "grid.linewidth": 0.6,
        "legend.frameon": False,
        "legend.fontsize": 7.5,
        "svg.fonttype": "none",
        "svg.hashsalt": "execmetrics",
    }
)


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()


def _labels(data: ReportData) -> list[str]:
    return [m.short for m, _ in data.months]


def _series(data: ReportData, read: Callable[[Point], float | None]) -> list[float]:
    """One value per month shown; a gap (NaN) where it is absent or the month is before
    the first month with data."""
    return [
        float("nan") if m < data.first_month or (v := read(p)) is None else v
        for m, p in data.months
    ]


def _value(name: str, **labels: str) -> Callable[[Point], float | None]:
    return lambda p: p.evaluation.value(PREFIX + name, **labels)


def _money_axis(ax: Axes, currency: str) -> None:
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _: money(v, currency, pence=False) if v >= 0 else "")
    )


def _count_axis(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _pct_axis(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f}%"))


def mrr_and_movements(data: ReportData) -> str:
    cur = data.currency
    x = list(range(len(data.months)))
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(7.2, 4.6), sharex=True, gridspec_kw={"height_ratios": [1.3, 1]}
    )
    mrr = _series(data, _value("mrr", currency=cur))
    top.plot(x, mrr, color=BLUE, marker="o", markersize=3, linewidth=1.8)
    top.set_title(f"MRR at each month end ({cur})")
    top.set_ylim(bottom=0, top=(max([v for v in mrr if v == v], default=0) or 1) * 1.12)
    _money_axis(top, cur)
    up = [0.0] * len(x)
    down = [0.0] * len(x)
    for m in Movement:
        values = _series(data, _value("mrr_movement", currency=cur, movement=m.value))
        values = [0.0 if v != v else v for v in values]
        if m.sign > 0:
            bottom.bar(x, values, 0.7, bottom=up, color=MOVEMENT_COLOURS[m], label=m.value)
            up = [a + b for a, b in zip(up, values, strict=True)]
        else:
            neg = [-v for v in values]
            bottom.bar(x, neg, 0.7, bottom=down, color=MOVEMENT_COLOURS[m], label=m.value)
            down = [a + b for a, b in zip(down, neg, strict=True)]
    bottom.axhline(0, color=INK, linewidth=0.6)
    bottom.set_title("MRR movements in each month (contraction and churn below zero)")
    bottom.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _: ("−" if v < 0 else "") + money(abs(v), cur, pence=False))
    )
    bottom.legend(ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    bottom.set_xticks(x, _labels(data))
    fig.tight_layout()
    return _svg(fig)


def actives(data: ReportData) -> str:
    x = list(range(len(data.months)))
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.5))
    for ax, side, colour in zip(axes, UserType, (BLUE, TEAL), strict=True):
        for window, style in ((ActiveWindow.D30, "-"), (ActiveWindow.D7, "--")):
            ax.plot(
                x,
                _series(data, _value("active_users", user_type=side.value, window=window.value)),
                style,
                color=colour,
                marker="o",
                markersize=2.5,
                linewidth=1.5,
                label=f"{window.value} active",
            )
        ax.set_title(f"Active {side.value}s")
        ax.set_ylim(bottom=0)
        _count_axis(ax)
        ax.set_xticks(x, _labels(data), rotation=45, ha="right")
        ax.legend(loc="lower right")
    fig.tight_layout()
    return _svg(fig)


def viral(data: ReportData) -> str:
    x = list(range(len(data.months)))
    w = data.viral_window
    fig, (k_ax, inv_ax) = plt.subplots(1, 2, figsize=(7.2, 2.5))
    k = _series(data, _value("viral_coefficient", window=w))
    k_ax.plot(x, k, color=BLUE, marker="o", markersize=3, linewidth=1.8, label="K")
    k_ax.axhline(TARGETS.viral_coefficient, color=GREEN, linestyle="--", linewidth=1.2)
    k_ax.text(0, TARGETS.viral_coefficient, " target 1.0", color=GREEN, va="bottom", fontsize=7.5)
    top = max([v for v in k if v == v] + [TARGETS.viral_coefficient]) * 1.2
    k_ax.set_ylim(0, top)
    k_ax.set_title(f"Viral coefficient K ({w} window)")
    k_ax.set_xticks(x, _labels(data), rotation=45, ha="right")
    sent = _series(data, _value("invitations_sent", window=w))
    accepted = _series(data, _value("invitations_accepted", window=w))
    inv_ax.bar([i - 0.2 for i in x], sent, 0.4, color=BLUE, label="sent")
    inv_ax.bar([i + 0.2 for i in x], accepted, 0.4, color=GREEN, label="accepted")
    inv_ax.set_title(f"Invitations ({w} window)")
    _count_axis(inv_ax)
    inv_ax.set_xticks(x, _labels(data), rotation=45, ha="right")
    inv_ax.legend(loc="upper left")
    fig.tight_layout()
    return _svg(fig)


def _bands(ax: Axes, bands: Bands, top: float) -> None:
    edges: Sequence[tuple[float, float, str]] = (
        (0, bands.orange, "#f6d5d1"),
        (bands.orange, bands.yellow, "#fbe3cc"),
        (bands.yellow, bands.green, "#fbf3c8"),
        (bands.green, top, "#d8eedb"),
    )
    for low, high, colour in edges:
        ax.axhspan(low, high, color=colour, zorder=0, linewidth=0)


def stickiness(data: ReportData) -> str:
    x = list(range(len(data.months)))
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.5))
    for ax, side in zip(axes, UserType, strict=True):
        bands = (
            TARGETS.supplier_stickiness if side is UserType.SUPPLIER else TARGETS.couple_stickiness
        )
        dau = _series(data, _value("active_users", user_type=side.value, window="1d"))
        mau = _series(data, _value("active_users", user_type=side.value, window="30d"))
        ratio = [
            a / b if b and b == b and a == a else float("nan")
            for a, b in zip(dau, mau, strict=True)
        ]
        top = max([v for v in ratio if v == v] + [bands.green]) * 1.25
        _bands(ax, bands, top)
        ax.plot(x, ratio, color=INK, marker="o", markersize=3, linewidth=1.6)
        target = getattr(data.config.targets.stickiness, side.value)
        ax.axhline(target, color=GREY, linestyle=":", linewidth=1)
        ax.set_ylim(0, max(top, target * 1.25))
        ax.set_title(f"DAU / MAU, {side.value}s (dotted: the {target:.0%} target)")
        _pct_axis(ax)
        ax.set_xticks(x, _labels(data), rotation=45, ha="right")
    fig.tight_layout()
    return _svg(fig)


def forecast(data: ReportData) -> str:
    """MRR at the month ends shown, then the median and the 80% band to the year's end,
    and the target as a dashed line."""
    cur = data.currency
    ahead = data.outlook
    assert ahead is not None
    mrr = _series(data, _value("mrr", currency=cur))
    n = len(mrr)
    x_future = list(range(n - 1, n + len(ahead.median)))
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    ax.plot(range(n), mrr, color=BLUE, marker="o", markersize=3, linewidth=1.8, label="MRR")
    last = mrr[-1]
    ax.fill_between(
        x_future,
        [last, *ahead.low],
        [last, *ahead.high],
        color=BLUE,
        alpha=0.18,
        label="80% band (0.1 to 0.9)",
    )
    ax.plot(
        x_future,
        [last, *ahead.median],
        color=BLUE,
        linestyle="--",
        linewidth=1.4,
        label="median forecast",
    )
    top = max([v for v in [*mrr, *ahead.high] if v == v], default=0) or 1
    if ahead.target is not None:
        ax.axhline(ahead.target, color=INK, linestyle=":", linewidth=1.0, label="MRR target")
        top = max(top, ahead.target)
    ax.set_ylim(bottom=0, top=top * 1.12)
    _money_axis(ax, cur)
    labels = [*_labels(data), *(m.short for m in ahead.months)]
    ax.set_xticks(range(len(labels)), labels, rotation=45, fontsize=7)
    ax.set_title(f"MRR and its forecast to the year's end ({cur})")
    ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    return _svg(fig)


def all_charts(data: ReportData) -> dict[str, str]:
    extra = {"forecast": forecast(data)} if data.outlook is not None else {}
    return {
        **extra,
        "mrr": mrr_and_movements(data),
        "actives": actives(data),
        "viral": viral(data),
        "stickiness": stickiness(data),
    }
