"""The pack's disclosures: what stands behind the month-end MRR.

Read at the month's instant T with the report SQL of ``sql/report/disclosure_*.sql``
(plain queries over ``subscription_periods`` and the source tables; the report never
changes the schema):

- MRR by the currency each row is priced in, with the start-date rates it was
  converted at (their range and their weighted average, MRR ÷ original amount);
- constant currency: the foreign-currency rows' MRR at their start-date rates (what
  MRR counts, SPEC §3) against the same rows at the rates in force on the month's last
  local day;
- what the data-quality checks of SPEC §3 left out of revenue, in rows (as
  ``execmetrics_data_quality_issues{check}`` counts them) and in money per month, in
  each row's own currency;
- MRR by recorded status: status is informational (SPEC §1), so a ``past_due`` row
  live at T is in MRR, and the pack shows its share.

Money stays exact (``Decimal`` from PostgreSQL numeric) until it is formatted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from exporter.history.report import formats
from exporter.history.report.month import Month
from exporter.sqlfiles import read_sql

PAST_DUE = "past_due"
REVENUE_CHECKS = (
    "subscription_negative_amount",
    "subscription_missing_fx_rate",
    "subscription_ended_before_started",
    "subscription_invalid_interval",
)


@dataclass(frozen=True)
class CurrencyLine:
    currency: str
    periods: int
    mrr: Decimal  # reporting currency, each row at its start-date rate
    amount: Decimal  # the same rows per month in their own currency
    min_rate: Decimal
    max_rate: Decimal
    closing_rate: Decimal | None  # in force on the month's last local day
    mrr_at_closing_rate: Decimal | None

    @property
    def average_rate(self) -> Decimal | None:
        """The start-date rates weighted by each row's original-currency amount."""
        return None if self.amount == 0 else self.mrr / self.amount


@dataclass(frozen=True)
class LeftOut:
    check: str
    currency: str | None
    periods: int  # over the whole table, as the data-quality gauge counts them
    live_periods: int  # of them, live at T
    monthly_amount: Decimal | None  # of the live ones, in their own currency


@dataclass(frozen=True)
class StatusLine:
    status: str
    periods: int
    suppliers: int
    mrr: Decimal


@dataclass(frozen=True)
class Disclosures:
    reporting_currency: str
    rate_date: str  # ISO date of the month's last local day
    currencies: tuple[CurrencyLine, ...]
    left_out: tuple[LeftOut, ...]
    statuses: tuple[StatusLine, ...]

    @property
    def mrr(self) -> Decimal:
        return sum((c.mrr for c in self.currencies), Decimal(0))

    def share(self, amount: Decimal) -> float | None:
        total = self.mrr
        return None if total == 0 else float(amount / total)

    @property
    def foreign(self) -> tuple[CurrencyLine, ...]:
        return tuple(c for c in self.currencies if c.currency != self.reporting_currency)

    @property
    def foreign_mrr(self) -> Decimal:
        return sum((c.mrr for c in self.foreign), Decimal(0))

    @property
    def foreign_mrr_at_closing_rates(self) -> Decimal | None:
        """Absent when a foreign currency has no rate on the closing date."""
        values = [c.mrr_at_closing_rate for c in self.foreign]
        if any(v is None for v in values):
            return None
        return sum((v for v in values if v is not None), Decimal(0))

    @property
    def past_due(self) -> StatusLine:
        found = [s for s in self.statuses if s.status == PAST_DUE]
        return found[0] if found else StatusLine(PAST_DUE, 0, 0, Decimal(0))

    def rows_left_out(self, check: str) -> int:
        return sum(x.periods for x in self.left_out if x.check == check)


def gather_disclosures(conn: Any, t: datetime, rate_date: str, currency: str) -> Disclosures:
    """The disclosures at instant ``t`` (the local midnight that ends the month), with
    the closing rates of ``rate_date`` (the month's last local day)."""
    params = {"t": t, "rate_date": rate_date}
    currencies = tuple(
        CurrencyLine(str(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], r[7])
        for r in conn.execute(read_sql("report/disclosure_currencies.sql"), params).fetchall()
    )
    left_out = tuple(
        LeftOut(str(r[0]), None if r[1] is None else str(r[1]), int(r[2]), int(r[3]), r[4])
        for r in conn.execute(read_sql("report/disclosure_left_out.sql"), params).fetchall()
    )
    statuses = tuple(
        StatusLine(str(r[0]), int(r[1]), int(r[2]), r[3])
        for r in conn.execute(read_sql("report/disclosure_status.sql"), params).fetchall()
    )
    return Disclosures(currency, rate_date, currencies, left_out, statuses)


def closing_date(month: Month) -> str:
    """The month's last local day."""
    return (month.shift(1).first_day - timedelta(days=1)).isoformat()


def _rate(value: Decimal | None) -> str:
    return formats.DASH if value is None else f"{value:.4f}"


def _money(value: Decimal | None, currency: str) -> str:
    return formats.DASH if value is None else formats.money(float(value), currency, pence=True)


def view(d: Disclosures) -> dict[str, Any]:
    """The disclosures as the template shows them (money to the penny, rates to 4 places)."""
    cur = d.reporting_currency
    currencies = [
        {
            "currency": c.currency,
            "periods": f"{c.periods:,}",
            "mrr": _money(c.mrr, cur),
            "share": formats.percent(d.share(c.mrr)),
            "amount": _money(c.amount, c.currency),
            "rates": (
                _rate(c.min_rate)
                if c.min_rate == c.max_rate
                else f"{_rate(c.min_rate)}–{_rate(c.max_rate)}"
            ),
            "average": _rate(c.average_rate),
            "closing": _rate(c.closing_rate),
            "at_closing": _money(c.mrr_at_closing_rate, cur),
        }
        for c in d.currencies
    ]
    closing = d.foreign_mrr_at_closing_rates
    left_out = [
        {
            "check": x.check,
            "currency": x.currency or "unknown",
            "periods": f"{x.periods:,}",
            "live": f"{x.live_periods:,}",
            "amount": _money(x.monthly_amount, x.currency or ""),
        }
        for x in d.left_out
    ]
    pd = d.past_due
    return {
        "rate_date": d.rate_date,
        "currencies": currencies,
        "total": _money(d.mrr, cur),
        "foreign_codes": "/".join(c.currency for c in d.foreign),
        "foreign_share": formats.percent(d.share(d.foreign_mrr)),
        "foreign_mrr": _money(d.foreign_mrr, cur),
        "foreign_at_closing": _money(closing, cur),
        "foreign_difference": _money(None if closing is None else closing - d.foreign_mrr, cur),
        "has_foreign": bool(d.foreign),
        "left_out": left_out,
        "left_out_rows": {c: f"{d.rows_left_out(c):,}" for c in REVENUE_CHECKS},
        "statuses": [
            {
                "status": s.status,
                "periods": f"{s.periods:,}",
                "suppliers": f"{s.suppliers:,}",
                "mrr": _money(s.mrr, cur),
                "share": formats.percent(d.share(s.mrr)),
            }
            for s in d.statuses
        ],
        "past_due": {
            "periods": f"{pd.periods:,}",
            "mrr": _money(pd.mrr, cur),
            "share": formats.percent(d.share(pd.mrr)),
        },
    }
