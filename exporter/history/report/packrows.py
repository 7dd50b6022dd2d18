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


def _row(metric: str, unit: Unit, month: str, value: float | Decimal | None, currency: str) -> Row:
    """A row; money's unit is its currency code, as in the headline rows."""
    label = currency if unit is Unit.CURRENCY else unit.value
    return [metric, label, month, _cell(value, unit), "", "", "", ""]


def disclosure_rows(d: Disclosures, month: str, currency: str) -> list[Row]:
    out: list[Row] = []
    for c in d.currencies:
        k = c.currency
        out += [
            _row(f"mrr_by_currency_{k}", Unit.CURRENCY, month, c.mrr, currency),
            _row(f"mrr_by_currency_{k}_share", Unit.RATIO, month, d.share(c.mrr), currency),
            _row(f"mrr_by_currency_{k}_in_{k}", Unit.CURRENCY, month, c.amount, k),
            _row(f"fx_rate_min_{k}", Unit.RATIO, month, c.min_rate, currency),
            _row(f"fx_rate_max_{k}", Unit.RATIO, month, c.max_rate, currency),
            _row(f"fx_rate_weighted_average_{k}", Unit.RATIO, month, c.average_rate, currency),
            _row(f"fx_rate_month_end_{k}", Unit.RATIO, month, c.closing_rate, currency),
            _row(
                f"mrr_by_currency_{k}_at_month_end_rate",
                Unit.CURRENCY,
                month,
                c.mrr_at_closing_rate,
                currency,
            ),
        ]
    out += [
        _row("mrr_foreign_at_start_date_rates", Unit.CURRENCY, month, d.foreign_mrr, currency),
        _row(
            "mrr_foreign_at_month_end_rates",
            Unit.CURRENCY,
            month,
            d.foreign_mrr_at_closing_rates,
            currency,
        ),
    ]
    for x in d.left_out:
        key = f"left_out_{x.check}_{x.currency or 'unknown'}"
        out += [
            _row(f"{key}_rows", Unit.COUNT, month, x.periods, currency),
            _row(f"{key}_rows_live", Unit.COUNT, month, x.live_periods, currency),
            _row(
                f"{key}_monthly_in_{x.currency or 'unknown'}",
                Unit.CURRENCY,
                month,
                x.monthly_amount,
                x.currency or "unknown",
            ),
        ]
    for s in d.statuses:
        out += [
            _row(f"mrr_status_{s.status}_rows", Unit.COUNT, month, s.periods, currency),
            _row(f"mrr_status_{s.status}", Unit.CURRENCY, month, s.mrr, currency),
            _row(f"mrr_status_{s.status}_share", Unit.RATIO, month, d.share(s.mrr), currency),
        ]
    return out


def segment_rows(s: Segments, month: str, currency: str) -> list[Row]:
    out: list[Row] = []
    for dim, buckets in (
        ("plan", s.by_plan),
        ("category", s.by_category),
        ("country", s.by_country),
    ):
        for b in buckets:
            out.append(_row(f"mrr_by_{dim}_{b.label}", Unit.CURRENCY, month, b.mrr, currency))
            if b.paying is not None:
                out.append(
                    _row(
                        f"paying_suppliers_by_{dim}_{b.label}",
                        Unit.COUNT,
                        month,
                        b.paying,
                        currency,
                    )
                )
    out += [
        _row("net_new_mrr", Unit.CURRENCY, month, s.net_new, currency),
        _row("quick_ratio", Unit.RATIO, month, s.quick_ratio, currency),
        _row("ltv", Unit.CURRENCY, month, s.ltv, currency),
        _row("trial_conversion", Unit.RATIO, month, s.trial_conversion, currency),
        _row("mrr_at_risk", Unit.CURRENCY, month, s.mrr_at_risk, currency),
    ]
    for c in s.cohorts:
        for name, values in (("logo", c.logo), ("mrr", c.mrr)):
            for age, v in enumerate(values):
                if v is not None:
                    out.append(
                        _row(
                            f"cohort_{name}_retention_{c.label}_age_{age}",
                            Unit.RATIO,
                            month,
                            v,
                            currency,
                        )
                    )
    return out
