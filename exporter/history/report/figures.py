"""The headline figures of the board report: what each is, where it comes from in an
evaluation, its unit, and which direction is good.

Every value is read from the engine's evaluation at one instant (the same samples that
``collect --at`` prints); the only figures the engine does not export are the month's
sign-ups, counted by ``sql/report/signups.sql`` over the month at the same instants,
and the daily average of DAU / MAU, from the active-users counts at each day's end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from exporter.catalog import PREFIX
from exporter.config import Config
from exporter.snapshot import Evaluation
from exporter.vocabulary import ActiveWindow, Movement, Unit, UserType


@dataclass(frozen=True)
class Point:
    """What the report knows at one instant: the evaluation, plus the month's sign-ups
    and, for the report's month and its comparison months, the month's daily average of
    DAU / MAU per side (``data.average_stickiness``)."""

    evaluation: Evaluation
    signups: Mapping[str, float] = field(default_factory=dict)
    stickiness_average: Mapping[str, float] = field(default_factory=dict)


Reader = Callable[[Point, Config], float | None]


@dataclass(frozen=True)
class Figure:
    key: str  # the CSV's metric id
    label: str
    unit: Unit
    better: int  # +1: up is good, -1: down is good, 0: neither
    read: Reader
    metrics: tuple[str, ...]  # the catalog metrics it is made of (for the appendix)
    definition: str = ""  # when it is not a catalog metric by itself
    indent: bool = False
    decimal: bool = False  # a ratio shown as a number (K = 0.85), not as a percentage
    verdict_from: str = ""  # the key of the figure whose change colours this one's


@dataclass(frozen=True)
class Value:
    """One series of the evaluation; ``{currency}`` and ``{viral}`` label values stand for
    the reporting currency and the viral window of the config."""

    name: str
    labels: tuple[tuple[str, str], ...]

    def __call__(self, p: Point, c: Config) -> float | None:
        context = {"{currency}": c.reporting.currency, "{viral}": str(c.viral.window)}
        labels = {k: context.get(v, v) for k, v in self.labels}
        return p.evaluation.value(PREFIX + self.name, **labels)


@dataclass(frozen=True)
class Ratio:
    num: Reader
    den: Reader

    def __call__(self, p: Point, c: Config) -> float | None:
        a, b = self.num(p, c), self.den(p, c)
        if a is None or b is None or b == 0:
            return None
        return a / b


@dataclass(frozen=True)
class Signups:
    user_type: str

    def __call__(self, p: Point, c: Config) -> float | None:
        return p.signups.get(self.user_type)


@dataclass(frozen=True)
class StickinessAverage:
    user_type: str

    def __call__(self, p: Point, c: Config) -> float | None:
        return p.stickiness_average.get(self.user_type)


AVERAGE_DEFINITION = (
    "The month's daily average of one side's stickiness: the mean, over the local days "
    "d of the month, of active users over 1 day / over 30 days "
    "(execmetrics_active_users) at the local midnight that ends d, so every weekday "
    "counts as often as in the month and the last term is the month-end value; a day "
    "with no one active in 30 days is left out, and the average is absent when every "
    "day is. Its change colours the month-end line too."
)


def _v(name: str, **labels: str) -> Value:
    return Value(name, tuple(sorted(labels.items())))


def _ratio(num: Reader, den: Reader) -> Ratio:
    return Ratio(num, den)


def _signups(user_type: str) -> Signups:
    return Signups(user_type)


CUR = "{currency}"
VIRAL = "{viral}"


def _figures() -> tuple[Figure, ...]:
    out: list[Figure] = [
        Figure("mrr", "MRR", Unit.CURRENCY, 1, _v("mrr", currency=CUR), (PREFIX + "mrr",)),
        Figure("arr", "ARR", Unit.CURRENCY, 1, _v("arr", currency=CUR), (PREFIX + "arr",)),
        Figure(
            "mrr_growth",
            "MRR growth (month on month)",
            Unit.RATIO,
            1,
            _v("mrr_growth_ratio"),
            (PREFIX + "mrr_growth_ratio",),
        ),
    ]
    for m in Movement:
        out.append(
            Figure(
                f"mrr_movement_{m}",
                f"{m.capitalize()} MRR",
                Unit.CURRENCY,
                m.sign,
                _v("mrr_movement", currency=CUR, movement=m.value),
                (PREFIX + "mrr_movement",),
                indent=True,
            )
        )
    out += [
        Figure(
            "customer_churn",
            "Customer churn",
            Unit.RATIO,
            -1,
            _v("customer_churn_ratio"),
            (PREFIX + "customer_churn_ratio",),
        ),
        Figure(
            "revenue_churn",
            "Revenue churn (gross)",
            Unit.RATIO,
            -1,
            _v("revenue_churn_ratio"),
            (PREFIX + "revenue_churn_ratio",),
        ),
        Figure(
            "net_revenue_retention",
            "Net revenue retention",
            Unit.RATIO,
            1,
            _v("net_revenue_retention_ratio"),
            (PREFIX + "net_revenue_retention_ratio",),
        ),
        Figure("arpa", "ARPA", Unit.CURRENCY, 1, _v("arpa", currency=CUR), (PREFIX + "arpa",)),
        Figure(
            "paying_suppliers",
            "Paying suppliers",
            Unit.COUNT,
            1,
            _v("paying_suppliers"),
            (PREFIX + "paying_suppliers",),
        ),
    ]
    for side in UserType:
        out.append(
            Figure(
                f"registered_users_{side}",
                f"Registered {side}s",
                Unit.COUNT,
                1,
                _v("registered_users", user_type=side.value),
                (PREFIX + "registered_users",),
            )
        )
    for side in UserType:
        out.append(
            Figure(
                f"active_users_{side}_30d",
                f"Active {side}s (30 days)",
                Unit.COUNT,
                1,
                _v("active_users", user_type=side.value, window=ActiveWindow.D30.value),
                (PREFIX + "active_users",),
            )
        )
    for side in UserType:
        out.append(
            Figure(
                f"signups_month_{side}",
                f"{side.capitalize()} sign-ups in the month",
                Unit.COUNT,
                1,
                _signups(side.value),
                (),
                definition="Users of that side created from the local midnight that starts "
                "the month (included) to the one that ends it (excluded).",
            )
        )
    out += [
        Figure(
            "invitations_sent",
            "Invitations sent (viral window)",
            Unit.COUNT,
            1,
            _v("invitations_sent", window=VIRAL),
            (PREFIX + "invitations_sent",),
        ),
        Figure(
            "invitations_accepted",
            "Invitations accepted (viral window)",
            Unit.COUNT,
            1,
            _v("invitations_accepted", window=VIRAL),
            (PREFIX + "invitations_accepted",),
        ),
        Figure(
            "viral_coefficient",
            "Viral coefficient K",
            Unit.RATIO,
            1,
            _v("viral_coefficient", window=VIRAL),
            (PREFIX + "viral_coefficient",),
            decimal=True,
        ),
    ]
    for side in UserType:
        out += [
            Figure(
                f"stickiness_{side}",
                f"DAU / MAU, {side}s (month end)",
                Unit.RATIO,
                1,
                _ratio(
                    _v("active_users", user_type=side.value, window=ActiveWindow.D1.value),
                    _v("active_users", user_type=side.value, window=ActiveWindow.D30.value),
                ),
                (),
                definition="Stickiness of one side at the month's end: active users over "
                "1 day / over 30 days (both execmetrics_active_users) at the local midnight "
                "that ends the month; absent when none was active in 30 days. One day "
                "against another weekday's, so its change is coloured by the daily "
                "average's.",
                verdict_from=f"stickiness_{side}_daily_average",
            ),
            Figure(
                f"stickiness_{side}_daily_average",
                f"DAU / MAU, {side}s (daily average)",
                Unit.RATIO,
                1,
                StickinessAverage(side.value),
                (),
                definition=AVERAGE_DEFINITION,
                indent=True,
            ),
        ]
    out.append(
        Figure(
            "session_duration_average",
            "Average session duration",
            Unit.SECONDS,
            1,
            _v("session_duration_average_seconds"),
            (PREFIX + "session_duration_average_seconds",),
        )
    )
    return tuple(out)


FIGURES: tuple[Figure, ...] = _figures()
BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}
