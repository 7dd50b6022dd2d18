"""The CSV rows of the pack's disclosures and segments: one row per figure, in the
columns of ``csvfile.HEADER`` with the month's value only (no comparison columns).

Metric ids carry the breakdown in their name (``mrr_by_currency_EUR``,
``cohort_logo_retention_2025-06_age_3``); money is in the reporting currency except
where the id says ``_in_<currency>`` (the original currency). Money to the penny
(Decimal, exact), ratios to 6 places, counts whole.
"""

from __future__ import annotations

from decimal import Decimal

from exporter.history.report.disclosures import Disclosures
from exporter.history.report.segments import Segments
from exporter.vocabulary import Unit

Row = list[str]


def _cell(value: float | Decimal | None, unit: Unit) -> str:
    if value is None:
        return ""
    if unit is Unit.CURRENCY:
        text = f"{Decimal(str(value)).quantize(Decimal('0.01')):f}"
    elif unit is Unit.COUNT:
        text = f"{value:.0f}"
    else:
        text = f"{float(value):.6f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def _row(metric: str, unit: Unit, month: str, value: float | Decimal | None) -> Row:
    return [metric, unit.value, month, _cell(value, unit), "", "", "", ""]


def disclosure_rows(d: Disclosures, month: str) -> list[Row]:
    out: list[Row] = []
    for c in d.currencies:
        k = c.currency
        out += [
            _row(f"mrr_by_currency_{k}", Unit.CURRENCY, month, c.mrr),
            _row(f"mrr_by_currency_{k}_share", Unit.RATIO, month, d.share(c.mrr)),
            _row(f"mrr_by_currency_{k}_in_{k}", Unit.CURRENCY, month, c.amount),
            _row(f"fx_rate_min_{k}", Unit.RATIO, month, c.min_rate),
            _row(f"fx_rate_max_{k}", Unit.RATIO, month, c.max_rate),
            _row(f"fx_rate_weighted_average_{k}", Unit.RATIO, month, c.average_rate),
            _row(f"fx_rate_month_end_{k}", Unit.RATIO, month, c.closing_rate),
            _row(
                f"mrr_by_currency_{k}_at_month_end_rate",
                Unit.CURRENCY,
                month,
                c.mrr_at_closing_rate,
            ),
        ]
    out += [
        _row("mrr_foreign_at_start_date_rates", Unit.CURRENCY, month, d.foreign_mrr),
        _row(
            "mrr_foreign_at_month_end_rates", Unit.CURRENCY, month, d.foreign_mrr_at_closing_rates
        ),
    ]
    for x in d.left_out:
        key = f"left_out_{x.check}_{x.currency or 'unknown'}"
        out += [
            _row(f"{key}_rows", Unit.COUNT, month, x.periods),
            _row(f"{key}_rows_live", Unit.COUNT, month, x.live_periods),
            _row(
                f"{key}_monthly_in_{x.currency or 'unknown'}",
                Unit.CURRENCY,
                month,
                x.monthly_amount,
            ),
        ]
    for s in d.statuses:
        out += [
            _row(f"mrr_status_{s.status}_rows", Unit.COUNT, month, s.periods),
            _row(f"mrr_status_{s.status}", Unit.CURRENCY, month, s.mrr),
            _row(f"mrr_status_{s.status}_share", Unit.RATIO, month, d.share(s.mrr)),
        ]
    return out


def segment_rows(s: Segments, month: str) -> list[Row]:
    out: list[Row] = []
    for dim, buckets in (
        ("plan", s.by_plan),
        ("category", s.by_category),
        ("country", s.by_country),
    ):
        for b in buckets:
            out.append(_row(f"mrr_by_{dim}_{b.label}", Unit.CURRENCY, month, b.mrr))
            if b.paying is not None:
                out.append(
                    _row(f"paying_suppliers_by_{dim}_{b.label}", Unit.COUNT, month, b.paying)
                )
    out += [
        _row("net_new_mrr", Unit.CURRENCY, month, s.net_new),
        _row("quick_ratio", Unit.RATIO, month, s.quick_ratio),
        _row("ltv", Unit.CURRENCY, month, s.ltv),
        _row("trial_conversion", Unit.RATIO, month, s.trial_conversion),
        _row("mrr_at_risk", Unit.CURRENCY, month, s.mrr_at_risk),
    ]
    for c in s.cohorts:
        for name, values in (("logo", c.logo), ("mrr", c.mrr)):
            for age, v in enumerate(values):
                if v is not None:
                    out.append(
                        _row(f"cohort_{name}_retention_{c.label}_age_{age}", Unit.RATIO, month, v)
                    )
    return out
