"""An independent, deliberately plain Python reading of SPEC §2-§4.

It works on in-memory rows (the dicts of ``tests/support.py``) and returns
``{(metric_name, labels): float}`` with ``labels`` a sorted tuple of (name, value)
pairs, exactly the keys of ``exporter.snapshot.Evaluation``. Undefined ratios are
absent. Money is summed in ``Decimal``; floats appear only in the result. Slow is fine:
every number is computed straight from its SPEC sentence, nothing is shared with the
engine (M1 and the local day start are computed here with ``zoneinfo``).

Readings of the SPEC where it is silent (each told to the lead):

R1  M1 whose local wall time does not exist (DST gap) or exists twice (DST overlap)
    is read with ``fold=0``: the offset in force before the change (the earlier
    instant of an overlap).
R2  Revenue does not look at the suppliers table: MRR(t) = Σ contrib(s, t) over every
    valid subscription row, whatever its supplier row says (missing, deleted).
R3  fx for the reporting currency is 1 even when fx_rates holds rows for it.
R4  Data-quality checks are counted independently over whole tables: a row failing two
    checks is counted by both; nothing is filtered by T except ``timestamp_in_future``,
    which counts rows stamped more than 5 minutes after the later of T and ``wall``, the
    wall clock of the run (a parameter here, never read from the clock).
R5  ``paid at some instant before M1`` means m_x(t) > 0 for some t < M1, with m_x built
    from valid rows only (a row left out of revenue never made anybody a payer).
R6  Active users (and active suppliers for the viral window) do not look at the
    suppliers/couples tables: distinct ids in valid sessions, deleted or not.
R7  signups_today counts every row created in [local day start, T], deleted since or not.
R8  The five movement series, MRR, ARR, paying suppliers, the user counts, sent and
    accepted, and all seven data-quality checks are always present (0 when empty).
R9  mrr_by_plan: a plan is present when at least one valid row of it is live and out
    of trial at T; its value is the plan's MRR(T) (0 for a free plan).
R10 The average session duration is absent when no session qualifies.
R12 SPEC §6 readings (docs/spec.md "Readings of §6"): a session whose user row is missing
    makes its user active but never "new" in the lifecycle (no creation instant is
    known, so "created after T - 30 days" is false: resurrected); lifecycle activity,
    like active users, counts deleted users' sessions; the supplier cohorts read revenue
    rows only (R2), whatever the suppliers table says; the activity cohorts and the
    couples' stages count only users registered at T; counts (lifecycle states, stages,
    MRR at risk, both residuals) are always present, 0 when empty; a cohort month with
    no member has no series.
R13 An fx rate that is not a positive finite number (0, negative, NaN, ±Infinity, NULL)
    is skipped as if its row were absent and counted once per fx_rates row
    (``fx_rate_invalid``), whatever its currency (the reporting currency's too).
R11 Not in SPEC, from exporter/catalog.py QUALITY_CHECKS: subscription_invalid_interval
    (interval_months NULL or <= 0) is counted and left out of every revenue number, like
    the three subscription checks SPEC lists (the formula divides by interval_months).
R12 A data-driven label is bounded (SPEC §4) after blank values become 'unknown': the
    labels rank by value, largest first, ties by the label in code-point order.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from typing_extensions import Unpack

PREFIX = "execmetrics_"
MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")
ACTIVE_WINDOWS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}
FUTURE_TOLERANCE = timedelta(minutes=5)
QUALITY_CHECKS = (
    "subscription_negative_amount",
    "subscription_missing_fx_rate",
    "subscription_ended_before_started",
    "subscription_invalid_interval",
    "fx_rate_invalid",
    "session_user_not_exactly_one",
    "session_nonpositive_duration",
    "invitation_accepted_before_sent",
    "timestamp_in_future",
)

Labels = tuple[tuple[str, str], ...]
Key = tuple[str, Labels]
Row = Mapping[str, Any]


def key(name: str, **labels: str) -> Key:
    return (PREFIX + name, tuple(sorted(labels.items())))


# --------------------------------------------------------------------------- time (SPEC §2)


def m1_of(t: datetime, tz: str) -> datetime:
    """T minus one calendar month in ``tz``: same wall time, day clipped (reading R1)."""
    zone = ZoneInfo(tz)
    wall = t.astimezone(zone)
    if wall.month == 1:
        year, month = wall.year - 1, 12
    else:
        year, month = wall.year, wall.month - 1
    last_day = calendar.monthrange(year, month)[1]
    day = wall.day if wall.day <= last_day else last_day
    back = datetime(
        year, month, day, wall.hour, wall.minute, wall.second, wall.microsecond, tzinfo=zone, fold=0
    )
    return back.astimezone(UTC)


def day_start_of(t: datetime, tz: str) -> datetime:
    """The first instant of T's calendar day in ``tz``."""
    zone = ZoneInfo(tz)
    wall = t.astimezone(zone)
    return datetime(wall.year, wall.month, wall.day, tzinfo=zone).astimezone(UTC)


def local_date(t: datetime, tz: str) -> date:
    return t.astimezone(ZoneInfo(tz)).date()


_WINDOW = re.compile(r"^([1-9][0-9]*)([hdw])$")


def window_delta(text: str) -> timedelta:
    m = _WINDOW.match(text)
    if m is None:
        raise ValueError(f"bad window {text!r}")
    n, unit = int(m[1]), m[2]
    return {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]


def in_window(x: datetime | None, t: datetime, length: timedelta) -> bool:
    """SPEC §2: "in the last w" means T - w < x <= T."""
    return x is not None and t - length < x <= t


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    timezone: str = "UTC"
    currency: str = "GBP"
    viral_window: str = "30d"
    session_cap: int = 14400
    engagement_window: str = "7d"
    top_n: int = 10
    at_risk_quiet: str = "14d"


def settings_of(cfg: Any) -> Settings:
    """Read the few settings the definitions use from an ``exporter.config.Config``."""
    return Settings(
        timezone=cfg.reporting.timezone,
        currency=cfg.reporting.currency,
        viral_window=str(cfg.viral.window),
        session_cap=int(cfg.engagement.session_cap),
        engagement_window=str(cfg.engagement.window),
        top_n=int(cfg.breakdowns.top_n),
        at_risk_quiet=str(cfg.targets.at_risk_quiet_period),
    )


# --------------------------------------------------------------------------- revenue


def rate_is_valid(value: Any) -> bool:
    """R13: a positive finite number."""
    if value is None:
        return False
    number = Decimal(str(value))
    return number.is_finite() and number > 0


class Revenue:
    """SPEC §3 revenue definitions over subscription rows."""

    def __init__(self, settings: Settings, subscriptions: Iterable[Row], fx_rates: Iterable[Row]):
        self.s = settings
        self.rates = [dict(r) for r in fx_rates]
        self.all_rows = [dict(r) for r in subscriptions]
        # Rows that survive the data-quality table: every revenue number uses only these.
        self.rows: list[tuple[dict[str, Any], Decimal]] = []
        for row in self.all_rows:
            fx = self.fx(row)
            if (
                row["amount_minor"] < 0
                or fx is None
                or self.ended_before_started(row)
                or self.invalid_interval(row)
            ):
                continue
            self.rows.append((row, fx))
        self.suppliers = sorted({row["supplier_id"] for row, _ in self.rows})

    @staticmethod
    def ended_before_started(row: Row) -> bool:
        return row["ended_at"] is not None and row["ended_at"] < row["started_at"]

    @staticmethod
    def invalid_interval(row: Row) -> bool:
        """R11: interval_months NULL or <= 0 (the catalog's extra check) is left out."""
        return row["interval_months"] is None or row["interval_months"] <= 0

    def fx(self, row: Row) -> Decimal | None:
        """Rate with the latest valid_from on or before the local start date (R3: 1 at home)."""
        currency = row["currency"].strip()
        if currency == self.s.currency:
            return Decimal(1)
        start_date = local_date(row["started_at"], self.s.timezone)
        best: Row | None = None
        for r in self.rates:
            if r["currency"].strip() != currency or r["valid_from"] > start_date:
                continue
            if not rate_is_valid(r["rate"]):
                continue
            if best is None or r["valid_from"] > best["valid_from"]:
                best = r
        return None if best is None else Decimal(str(best["rate"]))

    @staticmethod
    def live(row: Row, t: datetime) -> bool:
        started = row["started_at"] <= t
        not_ended = row["ended_at"] is None or t < row["ended_at"]
        out_of_trial = row["trial_ends_at"] is None or row["trial_ends_at"] <= t
        return started and not_ended and out_of_trial

    def contrib(self, row: Row, fx: Decimal, t: datetime) -> Decimal:
        if not self.live(row, t):
            return Decimal(0)
        return Decimal(row["amount_minor"]) / Decimal(row["interval_months"]) / 100 * fx

    def mrr(self, t: datetime) -> Decimal:
        return sum((self.contrib(row, fx, t) for row, fx in self.rows), Decimal(0))

    def m(self, supplier_id: Any, t: datetime) -> Decimal:
        return sum(
            (
                self.contrib(row, fx, t)
                for row, fx in self.rows
                if row["supplier_id"] == supplier_id
            ),
            Decimal(0),
        )

    def paid_before(self, supplier_id: Any, m1: datetime) -> bool:
        """m_x(t) > 0 for some t < M1 (R5).

        m_x is a right-continuous step function whose steps are at the rows' started_at,
        trial_ends_at and ended_at, so it is enough to look at each step before M1.
        """
        steps: set[datetime] = set()
        for row, _ in self.rows:
            if row["supplier_id"] != supplier_id:
                continue
            for col in ("started_at", "trial_ends_at", "ended_at"):
                if row[col] is not None and row[col] < m1:
                    steps.add(row[col])
        return any(self.m(supplier_id, step) > 0 for step in steps)

    def movements(self, m1: datetime, t: datetime) -> dict[str, Decimal]:
        """SPEC §3's five movements from M1 to t, each supplier in exactly one (or none)."""
        moves = dict.fromkeys(MOVEMENTS, Decimal(0))
        for x in self.suppliers:
            s, e = self.m(x, m1), self.m(x, t)
            if s == 0 and e > 0:
                moves["reactivation" if self.paid_before(x, m1) else "new"] += e
            elif 0 < s < e:
                moves["expansion"] += e - s
            elif 0 < e < s:
                moves["contraction"] += s - e
            elif s > 0 and e == 0:
                moves["churn"] += s
        return moves

    def by_plan(self, t: datetime) -> dict[str, Decimal]:
        plans: dict[str, Decimal] = {}
        for row, fx in self.rows:
            if self.live(row, t):
                plan = label_value(row["plan"])
                plans[plan] = plans.get(plan, Decimal(0)) + self.contrib(row, fx, t)
        return plans


def revenue_metrics(
    settings: Settings, t: datetime, subscriptions: Iterable[Row], fx_rates: Iterable[Row]
) -> dict[Key, float]:
    cur = settings.currency
    rev = Revenue(settings, subscriptions, fx_rates)
    m1 = m1_of(t, settings.timezone)
    out: dict[Key, float] = {}

    mrr_t = rev.mrr(t)
    mrr_m1 = rev.mrr(m1)
    out[key("mrr", currency=cur)] = float(mrr_t)
    out[key("arr", currency=cur)] = float(12 * mrr_t)

    moves = rev.movements(m1, t)
    paying_m1 = [x for x in rev.suppliers if rev.m(x, m1) > 0]
    paying_t = [x for x in rev.suppliers if rev.m(x, t) > 0]
    retained = sum((rev.m(x, t) for x in paying_m1), Decimal(0))
    for kind, amount in moves.items():
        out[key("mrr_movement", currency=cur, movement=kind)] = float(amount)

    if mrr_m1 != 0:
        out[key("mrr_growth_ratio")] = float((mrr_t - mrr_m1) / mrr_m1)
        out[key("revenue_churn_ratio")] = float((moves["churn"] + moves["contraction"]) / mrr_m1)
        out[key("net_revenue_retention_ratio")] = float(retained / mrr_m1)
    if paying_m1:
        churned = [x for x in paying_m1 if rev.m(x, t) == 0]
        out[key("customer_churn_ratio")] = len(churned) / len(paying_m1)

    out[key("paying_suppliers")] = float(len(paying_t))
    if paying_t:
        out[key("arpa", currency=cur)] = float(mrr_t / len(paying_t))

    for plan, amount in bounded(rev.by_plan(t), settings.top_n).items():
        out[key("mrr_by_plan", currency=cur, plan=plan)] = float(amount)
    return out


def label_value(value: str | None) -> str:
    """SPEC §4: a NULL, empty or blank label value is 'unknown'; blank = only ASCII white
    space (space, tab, newline, vertical tab, form feed, carriage return)."""
    return "unknown" if value is None or not value.strip(" \t\n\v\f\r") else value


def bounded(values: Mapping[str, Decimal], top_n: int) -> dict[str, Decimal]:
    """SPEC §4's bound: the top_n labels by value keep their name, the rest are summed as
    'other'. R12: ties rank by the label in code-point order (Python's str order)."""
    ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    out = dict(ranked[:top_n])
    if len(ranked) > top_n:
        out["other"] = out.get("other", Decimal(0)) + sum(
            (v for _, v in ranked[top_n:]), Decimal(0)
        )
    return out


# --------------------------------------------------------------------------- users


def exactly_one_user(s: Row) -> bool:
    return (s["supplier_id"] is None) != (s["couple_id"] is None)


def active_ids(sessions: Iterable[Row], user_type: str, t: datetime, length: timedelta) -> set:
    column = "supplier_id" if user_type == "supplier" else "couple_id"
    return {
        s[column]
        for s in sessions
        if exactly_one_user(s) and s[column] is not None and in_window(s["created_at"], t, length)
    }


def user_metrics(
    settings: Settings,
    t: datetime,
    suppliers: Iterable[Row],
    couples: Iterable[Row],
    sessions: Iterable[Row],
) -> dict[Key, float]:
    out: dict[Key, float] = {}
    day_start = day_start_of(t, settings.timezone)
    sessions = list(sessions)
    for user_type, rows in (("supplier", list(suppliers)), ("couple", list(couples))):
        total = [
            r
            for r in rows
            if r["created_at"] <= t and (r["deleted_at"] is None or r["deleted_at"] > t)
        ]
        out[key("registered_users", user_type=user_type)] = float(len(total))
        today = [r for r in rows if day_start <= r["created_at"] <= t]
        out[key("signups_today", user_type=user_type)] = float(len(today))
        for label, length in ACTIVE_WINDOWS.items():
            n = len(active_ids(sessions, user_type, t, length))
            out[key("active_users", user_type=user_type, window=label)] = float(n)
    return out


# --------------------------------------------------------------------------- viral


def viral_metrics(
    settings: Settings, t: datetime, invitations: Iterable[Row], sessions: Iterable[Row]
) -> dict[Key, float]:
    label = settings.viral_window
    length = window_delta(label)
    sent = [i for i in invitations if in_window(i["sent_at"], t, length)]
    accepted = [
        i for i in sent if i["accepted_at"] is not None and i["sent_at"] <= i["accepted_at"] <= t
    ]
    active = len(active_ids(sessions, "supplier", t, length))
    out: dict[Key, float] = {
        key("invitations_sent", window=label): float(len(sent)),
        key("invitations_accepted", window=label): float(len(accepted)),
    }
    if active:
        out[key("invites_per_supplier", window=label)] = len(sent) / active
        # K = accepted / active; when nothing was sent that is 0 / active = 0.
        out[key("viral_coefficient", window=label)] = len(accepted) / active
    if sent:
        out[key("invitation_conversion_ratio", window=label)] = len(accepted) / len(sent)
    return out


# --------------------------------------------------------------------------- engagement


def engagement_metrics(
    settings: Settings, t: datetime, sessions: Iterable[Row]
) -> dict[Key, float]:
    length = window_delta(settings.engagement_window)
    capped = [
        min(s["session_duration"], settings.session_cap)
        for s in sessions
        if exactly_one_user(s)
        and in_window(s["created_at"], t, length)
        and s["session_duration"] is not None
        and s["session_duration"] > 0
    ]
    if not capped:
        return {}
    return {key("session_duration_average_seconds"): sum(capped) / len(capped)}


# --------------------------------------------------------------------------- data quality


def in_future(stamp: datetime, t: datetime, wall: datetime) -> bool:
    """SPEC §3: stamped more than 5 minutes after the later of T and the run's wall clock.

    A row stamped after T but not after the wall clock is only later than T: no issue.
    """
    later = t if t >= wall else wall
    return stamp - later > FUTURE_TOLERANCE


def quality_metrics(
    settings: Settings, t: datetime, src: Source, *, wall: datetime
) -> dict[Key, float]:
    suppliers, couples, subscriptions = src.suppliers, src.couples, src.subscriptions
    fx_rates, sessions, invitations = src.fx_rates, src.user_sessions, src.invitations
    rev = Revenue(settings, [], fx_rates)
    wall = instant(wall)
    future = sum(1 for r in suppliers if in_future(r["created_at"], t, wall))
    future += sum(1 for r in couples if in_future(r["created_at"], t, wall))
    future += sum(1 for s in sessions if in_future(s["created_at"], t, wall))
    future += sum(1 for i in invitations if in_future(i["sent_at"], t, wall))
    counts = {
        "subscription_negative_amount": sum(1 for r in subscriptions if r["amount_minor"] < 0),
        "subscription_missing_fx_rate": sum(1 for r in subscriptions if rev.fx(r) is None),
        "subscription_ended_before_started": sum(
            1 for r in subscriptions if Revenue.ended_before_started(r)
        ),
        "subscription_invalid_interval": sum(
            1 for r in subscriptions if Revenue.invalid_interval(r)
        ),
        "fx_rate_invalid": sum(1 for r in fx_rates if not rate_is_valid(r["rate"])),
        "session_user_not_exactly_one": sum(1 for s in sessions if not exactly_one_user(s)),
        "session_nonpositive_duration": sum(
            1 for s in sessions if s["session_duration"] is not None and s["session_duration"] <= 0
        ),
        "invitation_accepted_before_sent": sum(
            1
            for i in invitations
            if i["accepted_at"] is not None and i["accepted_at"] < i["sent_at"]
        ),
        "timestamp_in_future": future,
    }
    assert tuple(counts) == QUALITY_CHECKS
    return {key("data_quality_issues", check=c): float(n) for c, n in counts.items()}


# --------------------------------------------------------------------------- everything


class Tables(TypedDict, total=False):
    """Rows of the SPEC §1 source tables, by table name (a table left out is empty)."""

    suppliers: Iterable[Row]
    couples: Iterable[Row]
    subscriptions: Iterable[Row]
    fx_rates: Iterable[Row]
    user_sessions: Iterable[Row]
    invitations: Iterable[Row]


def tables(*rows: list[Row]) -> Tables:
    """Every source table's rows, given in ``Tables`` order."""
    return cast(Tables, dict(zip(Tables.__annotations__, rows, strict=True)))


def instant(t: datetime) -> datetime:
    """``t`` in UTC; a naive ``t`` is refused."""
    if t.tzinfo is None:
        raise ValueError("t must carry a time zone")
    return t.astimezone(UTC)


@dataclass(frozen=True)
class Source:
    """Every source table's rows, as lists."""

    suppliers: list[Row]
    couples: list[Row]
    subscriptions: list[Row]
    fx_rates: list[Row]
    user_sessions: list[Row]
    invitations: list[Row]


def source(tables: Tables) -> Source:
    """The rows of ``tables``, a table left out being empty."""
    unknown = set(tables) - set(Tables.__annotations__)
    if unknown:
        raise TypeError(f"not a source table: {sorted(unknown)}")
    given = cast(Mapping[str, Iterable[Row]], tables)
    return Source(**{name: list(given.get(name, ())) for name in Tables.__annotations__})


def compute(
    settings: Settings, t: datetime, *, wall: datetime, **tables: Unpack[Tables]
) -> dict[Key, float]:
    """Every SPEC §4 contract series at instant ``t``, evaluated by a run whose wall clock
    reads ``wall`` (only ``timestamp_in_future`` looks at it)."""
    t, src = instant(t), source(tables)
    out: dict[Key, float] = {}
    out.update(revenue_metrics(settings, t, src.subscriptions, src.fx_rates))
    out.update(user_metrics(settings, t, src.suppliers, src.couples, src.user_sessions))
    out.update(viral_metrics(settings, t, src.invitations, src.user_sessions))
    out.update(engagement_metrics(settings, t, src.user_sessions))
    out.update(quality_metrics(settings, t, src, wall=wall))
    return out


# --------------------------------------------------------------------------- growth (SPEC §6)

LIFECYCLE_STATES = ("new", "returning", "resurrected", "dormant")
STAGES = ("planning", "married", "unknown")
CYCLE_QUANTILES = ("0.5", "0.9")
THIRTY_DAYS = timedelta(days=30)


def percentile_cont(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def cohort_labels(t: datetime, tz: str) -> list[str]:
    """The 12 local calendar months before T's local month, as YYYY-MM."""
    wall = t.astimezone(ZoneInfo(tz))
    year, month = wall.year, wall.month
    labels = []
    for _ in range(12):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        labels.append(f"{year:04d}-{month:02d}")
    return sorted(labels)


def month_label(x: datetime, tz: str) -> str:
    return x.astimezone(ZoneInfo(tz)).strftime("%Y-%m")


def registered(row: Row, t: datetime) -> bool:
    return row["created_at"] <= t and (row["deleted_at"] is None or row["deleted_at"] > t)


def accepted_properly(i: Row, t: datetime) -> bool:
    """Accepted at or before T, and not before it was sent."""
    return i["accepted_at"] is not None and i["sent_at"] <= i["accepted_at"] <= t


def growth_metrics(settings: Settings, t: datetime, src: Source) -> dict[Key, float]:
    suppliers, couples, subscriptions = src.suppliers, src.couples, src.subscriptions
    fx_rates, sessions, invitations = src.fx_rates, src.user_sessions, src.invitations
    cur = settings.currency
    tz = settings.timezone
    w_label = settings.viral_window
    w = window_delta(w_label)
    rev = Revenue(settings, subscriptions, fx_rates)
    m1 = m1_of(t, tz)
    out: dict[Key, float] = {}

    m_t = {x: rev.m(x, t) for x in rev.suppliers}
    m_m1 = {x: rev.m(x, m1) for x in rev.suppliers}
    paying_t = [x for x in rev.suppliers if m_t[x] > 0]
    paying_m1 = [x for x in rev.suppliers if m_m1[x] > 0]
    mrr_t, mrr_m1 = rev.mrr(t), rev.mrr(m1)

    # LTV = ARPA / customer churn.
    churned = [x for x in paying_m1 if m_t[x] == 0]
    if paying_t and paying_m1 and churned:
        arpa = mrr_t / len(paying_t)
        churn = Decimal(len(churned)) / Decimal(len(paying_m1))
        out[key("ltv", currency=cur)] = float(arpa / churn)

    # Trial conversion over revenue rows with mrr > 0.
    ended_trials = [
        row
        for row, fx in rev.rows
        if Decimal(row["amount_minor"]) * fx > 0
        and row["trial_ends_at"] is not None
        and m1 < row["trial_ends_at"] <= t
        and row["trial_ends_at"] > row["started_at"]
    ]
    if ended_trials:
        converted = [
            r for r in ended_trials if r["ended_at"] is None or r["ended_at"] > r["trial_ends_at"]
        ]
        out[key("trial_conversion_ratio")] = len(converted) / len(ended_trials)

    # Viral cycle time.
    lags = [
        (i["accepted_at"] - i["sent_at"]).total_seconds()
        for i in invitations
        if i["accepted_at"] is not None
        and in_window(i["accepted_at"], t, w)
        and i["accepted_at"] >= i["sent_at"]
    ]
    if lags:
        for label in CYCLE_QUANTILES:
            out[key("viral_cycle_time_seconds", window=w_label, quantile=label)] = percentile_cont(
                lags, float(label)
            )

    # K counting each couple once.
    active_suppliers = active_ids(sessions, "supplier", t, w)
    in_k = [i for i in invitations if in_window(i["sent_at"], t, w) and accepted_properly(i, t)]
    unique_couples = {i["couple_id"] for i in in_k if i["couple_id"] is not None}
    if active_suppliers:
        out[key("viral_coefficient_unique", window=w_label)] = len(unique_couples) / len(
            active_suppliers
        )

    # Marketplace liquidity.
    active_couples = active_ids(sessions, "couple", t, w)
    if active_couples:
        linked = [
            c
            for c in active_couples
            if any(
                i["couple_id"] == c and accepted_properly(i, t) and rev.m(i["supplier_id"], t) > 0
                for i in invitations
            )
        ]
        out[key("marketplace_liquidity_ratio", side="couple")] = len(linked) / len(active_couples)
    if paying_t:
        linked_suppliers = [
            x
            for x in paying_t
            if any(
                i["supplier_id"] == x
                and i["accepted_at"] is not None
                and in_window(i["accepted_at"], t, w)
                and i["accepted_at"] >= i["sent_at"]
                for i in invitations
            )
        ]
        out[key("marketplace_liquidity_ratio", side="supplier")] = len(linked_suppliers) / len(
            paying_t
        )

    # MRR at risk: paying suppliers quiet for the whole quiet period.
    quiet = window_delta(settings.at_risk_quiet)
    at_risk = Decimal(0)
    for x in paying_t:
        spoke = any(
            exactly_one_user(s) and s["supplier_id"] == x and in_window(s["created_at"], t, quiet)
            for s in sessions
        ) or any(i["supplier_id"] == x and in_window(i["sent_at"], t, quiet) for i in invitations)
        if not spoke:
            at_risk += m_t[x]
    out[key("mrr_at_risk", currency=cur)] = float(at_risk)

    # Couples by stage.
    today = local_date(t, tz)
    stages = dict.fromkeys(STAGES, 0)
    for c in couples:
        if not registered(c, t):
            continue
        if c["wedding_date"] is None:
            stages["unknown"] += 1
        elif c["wedding_date"] >= today:
            stages["planning"] += 1
        else:
            stages["married"] += 1
    for stage, n in stages.items():
        out[key("couples", stage=stage)] = float(n)

    # Reconciliation residuals.
    moves = rev.movements(m1, t)
    residual = (
        mrr_m1
        + moves["new"]
        + moves["reactivation"]
        + moves["expansion"]
        - moves["contraction"]
        - moves["churn"]
        - mrr_t
    )
    out[key("reconciliation_residual", currency=cur, check="movements")] = float(residual)
    by_plan = sum(rev.by_plan(t).values(), Decimal(0)) - mrr_t
    out[key("reconciliation_residual", currency=cur, check="by_plan")] = float(by_plan)

    # User lifecycle per side.
    labels = cohort_labels(t, tz)
    for user_type, rows in (("supplier", suppliers), ("couple", couples)):
        column = "supplier_id" if user_type == "supplier" else "couple_id"
        created = {r["id"]: r["created_at"] for r in rows}
        now = active_ids(sessions, user_type, t, THIRTY_DAYS)
        before = {
            s[column]
            for s in sessions
            if exactly_one_user(s)
            and s[column] is not None
            and t - 2 * THIRTY_DAYS < s["created_at"] <= t - THIRTY_DAYS
        }
        counts = dict.fromkeys(LIFECYCLE_STATES, 0)
        for u in now:
            if u in before:
                counts["returning"] += 1
            elif created.get(u) is not None and created[u] > t - THIRTY_DAYS:
                counts["new"] += 1
            else:
                counts["resurrected"] += 1
        counts["dormant"] = len(before - now)
        for state, n in counts.items():
            out[key("user_lifecycle", user_type=user_type, state=state)] = float(n)

        # Activity cohorts by sign-up month.
        for label in labels:
            members = [
                r["id"]
                for r in rows
                if registered(r, t) and month_label(r["created_at"], tz) == label
            ]
            if members:
                out[key("cohort_active_ratio", user_type=user_type, cohort=label)] = sum(
                    1 for u in members if u in now
                ) / len(members)

    # Supplier cohorts by first paying month.
    first: dict[Any, datetime] = {}
    for row, fx in rev.rows:
        if Decimal(row["amount_minor"]) * fx <= 0:
            continue
        live_from = row["started_at"]
        if row["trial_ends_at"] is not None and row["trial_ends_at"] > live_from:
            live_from = row["trial_ends_at"]
        if row["ended_at"] is not None and not live_from < row["ended_at"]:
            continue
        x = row["supplier_id"]
        if x not in first or live_from < first[x]:
            first[x] = live_from
    for label in labels:
        cohort = [x for x, f in first.items() if month_label(f, tz) == label]
        if not cohort:
            continue
        out[key("cohort_logo_retention_ratio", cohort=label)] = sum(
            1 for x in cohort if m_t[x] > 0
        ) / len(cohort)
        at_first = sum((rev.m(x, first[x]) for x in cohort), Decimal(0))
        if at_first:
            out[key("cohort_mrr_retention_ratio", cohort=label)] = float(
                sum((m_t[x] for x in cohort), Decimal(0)) / at_first
            )
    return out


def compute_growth(settings: Settings, t: datetime, **tables: Unpack[Tables]) -> dict[Key, float]:
    """Every SPEC §6 series at instant ``t``."""
    return growth_metrics(settings, instant(t), source(tables))
