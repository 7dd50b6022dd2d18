"""The pack's segments: where MRR comes from and how it holds up.

Every number is read from the engine's evaluations (the samples ``collect --at``
prints), so the pack and the exporter cannot disagree:

- MRR by plan, category and country and paying suppliers by plan: the exporter's
  bounded breakdowns at the month end (``other`` and ``unknown`` as exported);
- net new MRR = new + reactivation + expansion − contraction − churn over the month,
  and the SaaS quick ratio (new + reactivation + expansion) / (contraction + churn),
  absent when the denominator is 0;
- LTV, trial conversion and MRR at risk (SPEC §6) at the month end;
- the supplier cohorts' logo and MRR retention (SPEC §6) as triangles: the cohort of
  month C at age k is the ratio exported at the end of month C + k, for the twelve
  cohorts of the report's month end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from exporter.catalog import PREFIX
from exporter.history.report import formats
from exporter.history.report.month import Month
from exporter.snapshot import Evaluation
from exporter.vocabulary import Movement

AGES = 12
_LAST = ("other", "unknown")


@dataclass(frozen=True)
class Bucket:
    label: str
    mrr: float
    paying: float | None  # exported by plan only


@dataclass(frozen=True)
class Cohort:
    label: str  # YYYY-MM
    logo: tuple[float | None, ...]  # by age 0..11; None: not yet, or no series
    mrr: tuple[float | None, ...]


@dataclass(frozen=True)
class Segments:
    currency: str
    mrr: float | None
    by_plan: tuple[Bucket, ...]
    by_category: tuple[Bucket, ...]
    by_country: tuple[Bucket, ...]
    movements: tuple[tuple[Movement, float], ...]
    ltv: float | None
    trial_conversion: float | None
    mrr_at_risk: float | None
    cohorts: tuple[Cohort, ...]

    def movement(self, m: Movement) -> float:
        return next(v for k, v in self.movements if k is m)

    @property
    def net_new(self) -> float:
        return sum(m.sign * v for m, v in self.movements)

    @property
    def quick_ratio(self) -> float | None:
        up = sum(v for m, v in self.movements if m.sign > 0)
        down = sum(v for m, v in self.movements if m.sign < 0)
        return None if down == 0 else up / down


def _buckets(ev: Evaluation, name: str, label: str, currency: str) -> tuple[Bucket, ...]:
    paying = {
        dict(k).get("plan", ""): v
        for k, v in ev.series(PREFIX + "paying_suppliers_by_plan").items()
    }
    rows = [
        Bucket(dict(k)[label], v, paying.get(dict(k)[label]) if label == "plan" else None)
        for k, v in ev.series(PREFIX + name).items()
        if dict(k).get("currency") == currency
    ]
    rows.sort(key=lambda b: (b.label in _LAST, -b.mrr, b.label))
    return tuple(rows)


def gather_segments(months: Sequence[tuple[Month, Evaluation]], currency: str) -> Segments:
    """``months``: the evaluations at the ends of the report's twelve months, oldest first."""
    by_month = {str(m): ev for m, ev in months}
    _, ev = months[-1]

    def v(name: str, **labels: str) -> float | None:
        return ev.value(PREFIX + name, **labels)

    labels = sorted(
        {
            dict(k)["cohort"]
            for name in ("cohort_logo_retention_ratio", "cohort_mrr_retention_ratio")
            for k in ev.series(PREFIX + name)
        }
    )

    def triangle(name: str, cohort: str) -> tuple[float | None, ...]:
        start = Month.parse(cohort)
        out: list[float | None] = []
        for age in range(AGES):
            at = by_month.get(str(start.shift(age)))
            out.append(None if at is None else at.value(PREFIX + name, cohort=cohort))
        return tuple(out)

    return Segments(
        currency=currency,
        mrr=v("mrr", currency=currency),
        by_plan=_buckets(ev, "mrr_by_plan", "plan", currency),
        by_category=_buckets(ev, "mrr_by_category", "category", currency),
        by_country=_buckets(ev, "mrr_by_country", "country", currency),
        movements=tuple(
            (m, v("mrr_movement", currency=currency, movement=m.value) or 0.0) for m in Movement
        ),
        ltv=v("ltv", currency=currency),
        trial_conversion=v("trial_conversion_ratio"),
        mrr_at_risk=v("mrr_at_risk", currency=currency),
        cohorts=tuple(
            Cohort(
                c,
                triangle("cohort_logo_retention_ratio", c),
                triangle("cohort_mrr_retention_ratio", c),
            )
            for c in labels
        ),
    )


def _colour(value: float | None) -> str:
    """A cell's background: red at 0 through amber to green at 100% and above."""
    if value is None:
        return "transparent"
    hue = round(120 * max(0.0, min(value, 1.0)))
    return f"hsl({hue}, 60%, 82%)"


def view(s: Segments) -> dict[str, Any]:
    cur = s.currency

    def share(x: float) -> str:
        return formats.percent(None if not s.mrr else x / s.mrr)

    def table(rows: tuple[Bucket, ...]) -> list[dict[str, str]]:
        return [
            {
                "label": b.label,
                "mrr": formats.money(b.mrr, cur, pence=True),
                "share": share(b.mrr),
                "paying": formats.count(b.paying),
            }
            for b in rows
        ]

    def cells(values: tuple[float | None, ...]) -> list[dict[str, str]]:
        return [
            {"text": "" if x is None else formats.percent(x), "colour": _colour(x)} for x in values
        ]

    return {
        "by_plan": table(s.by_plan),
        "by_category": table(s.by_category),
        "by_country": table(s.by_country),
        "movements": [
            {
                "name": m.value,
                "sign": "+" if m.sign > 0 else "−",
                "amount": formats.money(x, cur, pence=True),
            }
            for m, x in s.movements
        ],
        "net_new": formats.money(s.net_new, cur, pence=True),
        "quick_ratio": formats.DASH if s.quick_ratio is None else f"{s.quick_ratio:.2f}",
        "ltv": formats.money(s.ltv, cur, pence=True),
        "trial_conversion": formats.percent(s.trial_conversion),
        "mrr_at_risk": formats.money(s.mrr_at_risk, cur, pence=True),
        "mrr_at_risk_share": share(s.mrr_at_risk or 0.0),
        "ages": list(range(AGES)),
        "cohorts": [
            {"label": c.label, "logo": cells(c.logo), "mrr": cells(c.mrr)} for c in s.cohorts
        ],
    }
