"""Panels shown on more than one board: the headline cards and trends of each area.

The cards are a table of :class:`Card` specs: a metric, a title and what is particular
about it; :meth:`Card.stat` makes the panel, its query from :func:`dashboards.queries.agg`
and its unit from the catalog. The overview passes ``links`` so that each card opens its
area's detail board and the table of the records behind its number (``records``, a key
of :data:`dashboards.records.RECORDS`); the detail boards reuse the same specs without
links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from grafana_foundation_sdk.models import dashboard as models

from dashboards.links import AREAS, Link
from dashboards.options import BuildOptions
from dashboards.queries import RULES, Re, agg, rule
from dashboards.records import RECORDS
from dashboards.specs import (
    CARD,
    HALF,
    NARROW_CARD,
    THIRD,
    TWO_THIRDS,
    Bars,
    Size,
    Stat,
    Target,
    Trend,
)
from dashboards.thresholds import (
    AT_LEAST_ONE,
    COUPLE_STICKINESS_BANDS,
    INDUSTRY_AVERAGE,
    ISSUES,
    K_TARGET,
    NEUTRAL,
    STALE,
    STALENESS,
    SUPPLIER_STICKINESS_BANDS,
    UP_GREEN,
    band_text,
    percent,
    steps,
)
from dashboards.units import INTERVALS, unit_for
from dashboards.variables import CURRENCY, VIRAL_WINDOW
from exporter import catalog
from exporter.vocabulary import (
    PACED_TARGETS,
    TARGETS,
    ActiveWindow,
    Bands,
    GroupName,
    Movement,
    TargetName,
    UserType,
)

Links = tuple[Link, ...]

# The MAU window of SPEC §3 (active suppliers = active{supplier, 30d}).
MAU = ActiveWindow.D30
DAY = ActiveWindow.D1
WINDOW_NAMES = {ActiveWindow.D1: "DAU", ActiveWindow.D7: "WAU", ActiveWindow.D30: "MAU"}
IN_CURRENCY = {"currency": CURRENCY}
IN_VIRAL_WINDOW = {"window": VIRAL_WINDOW}


# What the recording rules that the boards read compute (the catalog defines the metrics).
# A panel's note follows the definition, punctuation first.
RULE_DEFINITIONS = {
    "execmetrics:mrr_quick_ratio:ratio": "(new + expansion) / (contraction + churn) MRR over "
    "the trailing month (recording rule execmetrics:mrr_quick_ratio:ratio)",
    "execmetrics:net_mrr_churn:ratio": "(churn + contraction - expansion) / MRR one month "
    "earlier (recording rule execmetrics:net_mrr_churn:ratio)",
    "execmetrics:user_quick_ratio:ratio": "(new + resurrected) / dormant users over the last "
    "30 days, per side (recording rule execmetrics:user_quick_ratio:ratio)",
}


def d(name: str) -> str:
    """The catalog definition of a metric (or what a recording rule computes), for panel
    descriptions."""
    if name in RULE_DEFINITIONS:
        return RULE_DEFINITIONS[name]
    return catalog.BY_NAME[name].definition


@dataclass(frozen=True)
class Series:
    """One more series of a card: a catalog metric (or recording rule) under matchers."""

    metric: str
    legend: str
    matchers: Mapping[str, str] = field(default_factory=dict)

    def target(self) -> Target:
        query = rule if self.metric in RULES else agg
        return Target(query(self.metric, **self.matchers), self.legend)


@dataclass(frozen=True)
class Card:
    """A stat card of a catalog metric or recording rule: its title, legend, and what
    sets it apart. The description is ``intro``, the catalog definitions of the metrics
    shown (a recording rule has none: ``note`` describes it), then ``note``."""

    title: str
    metric: str
    legend: str
    note: str = ""
    matchers: Mapping[str, str] = field(default_factory=dict)
    thresholds: list[models.Threshold] = field(default_factory=lambda: NEUTRAL)
    color_mode: Literal["value", "background", "none"] = "none"
    decimals: int | None = None
    size: Size = CARD
    intro: str = ""
    more: tuple[Series, ...] = ()
    records: str = ""  # the key of the records table behind the number, if any

    def __post_init__(self) -> None:
        if self.records and self.records not in RECORDS:
            raise KeyError(f"{self.title}: no records table {self.records!r}")

    @property
    def series(self) -> tuple[Series, ...]:
        return (Series(self.metric, self.legend, self.matchers), *self.more)

    def stat(self, opts: BuildOptions, links: Links = ()) -> Stat:
        if links and self.records:  # on the overview: the records behind the number too
            links = (*links, RECORDS[self.records].link())
        metrics = dict.fromkeys(s.metric for s in self.series if s.metric not in RULES)
        return Stat(
            self.title,
            " ".join(filter(None, (self.intro, *map(d, metrics), self.note))),
            unit_for(self.metric, opts.currency),
            self.size,
            links,
            targets=tuple(s.target() for s in self.series),
            thresholds=self.thresholds,
            color_mode=self.color_mode,
            decimals=self.decimals,
        )


# --- revenue ------------------------------------------------------------------------------

REVENUE_CARDS = (
    Card(
        "MRR",
        "execmetrics_mrr",
        "MRR",
        "Reporting currency.",
        IN_CURRENCY,
        size=NARROW_CARD,
        records="paying_suppliers",
    ),
    Card(
        "MRR change (month over month)",
        "execmetrics_mrr_growth_ratio",
        "MoM change",
        "Green when MRR grew or held, red when it fell.",
        thresholds=UP_GREEN,
        color_mode="background",
        size=NARROW_CARD,
        records="mrr_movements",
    ),
    Card(
        "ARR",
        "execmetrics_arr",
        "ARR",
        matchers=IN_CURRENCY,
        size=NARROW_CARD,
        records="paying_suppliers",
    ),
    Card(
        "Net revenue retention",
        "execmetrics_net_revenue_retention_ratio",
        "NRR",
        "Green at or above 100 % (the suppliers of a month ago pay more now than then).",
        thresholds=AT_LEAST_ONE,
        color_mode="value",
        size=NARROW_CARD,
        records="mrr_movements",
    ),
    Card(
        "Customer churn",
        "execmetrics_customer_churn_ratio",
        "Customer churn",
        size=NARROW_CARD,
        records="mrr_losses",
    ),
    Card(
        "Revenue churn (gross)",
        "execmetrics_revenue_churn_ratio",
        "Revenue churn",
        size=NARROW_CARD,
        records="mrr_losses",
    ),
    Card(
        "Paying suppliers",
        "execmetrics_paying_suppliers",
        "Paying suppliers",
        size=NARROW_CARD,
        records="paying_suppliers",
    ),
    Card(
        "ARPA",
        "execmetrics_arpa",
        "ARPA",
        matchers=IN_CURRENCY,
        size=NARROW_CARD,
        records="paying_suppliers",
    ),
)


# --- pacing to target (estimates) ---------------------------------------------------------

PACING_TITLES = {
    TargetName.MRR: "MRR pacing to target",
    TargetName.PAYING_SUPPLIERS: "Paying suppliers pacing to target",
    TargetName.VIRAL_COEFFICIENT: "K pacing to target",
}


def pacing_card(target: TargetName) -> Card:
    """The median forecast at the target day over the target, beside the probability of
    reaching it: an estimate (docs/forecast.md)."""
    pinned = {"metric": str(target)}
    return Card(
        PACING_TITLES[target],
        "execmetrics_target_pacing_ratio",
        "median forecast / target",
        "Green at or above 100 %. An estimate: the forecast's accuracy is in docs/forecast.md.",
        pinned,
        thresholds=AT_LEAST_ONE,
        color_mode="value",
        intro=f"Target `{target}` (config `targets`).",
        more=(
            Series("execmetrics_target_reach_probability", "probability of reaching it", pinned),
        ),
    )


PACING_CARDS = tuple(pacing_card(t) for t in PACED_TARGETS)


def pacing_cards(opts: BuildOptions, links: Links = ()) -> list[Stat]:
    return [c.stat(opts, links) for c in PACING_CARDS]


def revenue_cards(opts: BuildOptions, links: Links = ()) -> list[Stat]:
    return [c.stat(opts, links) for c in REVENUE_CARDS]


GAINS = Re("|".join(m for m in Movement if m.sign > 0))
LOSSES = Re("|".join(m for m in Movement if m.sign < 0))
MRR = agg("execmetrics_mrr", **IN_CURRENCY)
MOVEMENT_COLORS = {
    "retained": "blue",
    Movement.NEW: "green",
    Movement.REACTIVATION: "light-green",
    Movement.EXPANSION: "dark-green",
    Movement.CONTRACTION: "orange",
    Movement.CHURN: "red",
}


def mrr_movements_trend(opts: BuildOptions, links: Links = (), size: Size = TWO_THIRDS) -> Trend:
    """MRR stacked from what was kept plus the three gains, with the two losses below zero.

    The top of the positive stack is MRR(T): retained = MRR(T) - (new + reactivation +
    expansion) = MRR(M1) - (contraction + churn).
    """
    m = "execmetrics_mrr_movement"
    return Trend(
        "MRR and its five movements",
        "MRR at each instant, stacked as the part retained from one month earlier plus the "
        "new, reactivation and expansion MRR of the trailing month; contraction and churn of "
        "the same month are stacked below zero. The top of the stack is MRR. " + d(m),
        unit_for("execmetrics_mrr", opts.currency),
        size,
        links,
        targets=(
            Target(f"{MRR} - ({agg(m, **IN_CURRENCY, movement=GAINS)} or vector(0))", "retained"),
            Target(agg(m, ("movement",), **IN_CURRENCY, movement=GAINS), "{{movement}}"),
            Target("-" + agg(m, ("movement",), **IN_CURRENCY, movement=LOSSES), "{{movement}}"),
        ),
        stacked=True,
        fill=60,
        colors={str(k): v for k, v in MOVEMENT_COLORS.items()},
    )


def mrr_by_plan(opts: BuildOptions, links: Links = (), plan: str = ".*") -> Bars:
    m = "execmetrics_mrr_by_plan"
    return Bars(
        "MRR by plan",
        d(m) + " At the end of the time range.",
        unit_for(m, opts.currency),
        THIRD,
        links,
        targets=(Target(agg(m, ("plan",), **IN_CURRENCY, plan=Re(plan)), "{{plan}}"),),
    )


# --- users ----------------------------------------------------------------------------------

ACTIVE = "execmetrics_active_users"
SIDES = {UserType.SUPPLIER: "suppliers", UserType.COUPLE: "couples"}


REGISTERED = "execmetrics_registered_users"
SIGNUPS = "execmetrics_signups_today"


def active_side_card(user_type: UserType) -> Card:
    side = SIDES[user_type]
    return Card(
        f"Active {side}",
        ACTIVE,
        f"active ({MAU})",
        matchers={"user_type": user_type, "window": MAU},
        intro=f"{side.capitalize()} with a session in the last 30 days, of all {side} "
        "existing now (created and not deleted).",
        more=(Series(REGISTERED, "of total", {"user_type": user_type}),),
        records="active_users",
    )


USER_CARDS = (
    active_side_card(UserType.SUPPLIER),
    active_side_card(UserType.COUPLE),
    Card(
        "Sign-ups today",
        SIGNUPS,
        SIDES[UserType.SUPPLIER],
        matchers={"user_type": UserType.SUPPLIER},
        more=(Series(SIGNUPS, SIDES[UserType.COUPLE], {"user_type": UserType.COUPLE}),),
        records="signups",
    ),
    Card(
        "DAU / WAU / MAU",
        ACTIVE,
        WINDOW_NAMES[ActiveWindow.D1],
        matchers={"window": ActiveWindow.D1},
        intro="Distinct users of both sides with a session in the last day, 7 days and 30 days.",
        more=tuple(Series(ACTIVE, WINDOW_NAMES[w], {"window": w}) for w in tuple(ActiveWindow)[1:]),
        records="active_users",
    ),
)


def user_cards(opts: BuildOptions, links: Links = ()) -> list[Stat]:
    return [c.stat(opts, links) for c in USER_CARDS]


def dau_wau_mau_targets() -> tuple[Target, ...]:
    return tuple(Target(agg(ACTIVE, window=w), WINDOW_NAMES[w]) for w in ActiveWindow)


def active_users_trend(opts: BuildOptions, links: Links = (), size: Size = THIRD) -> Trend:
    return Trend(
        "Active users per side",
        "Suppliers and couples active in the last 30 days (MAU) and in the last day (DAU). "
        + d(ACTIVE),
        unit_for(ACTIVE, opts.currency),
        size,
        links,
        targets=(
            Target(agg(ACTIVE, ("user_type",), window=MAU), f"{{{{user_type}}}}s ({MAU})"),
            Target(agg(ACTIVE, ("user_type",), window=DAY), f"{{{{user_type}}}}s ({DAY})"),
        ),
        min=0,
    )


# --- viral ------------------------------------------------------------------------------------

K = "execmetrics_viral_coefficient"
K_TEXT = f"{TARGETS.viral_coefficient:.1f}"

VIRAL_CARDS = (
    Card(
        "Viral coefficient (K)",
        K,
        "K",
        f"Red below the {K_TEXT} target, green at or above it.",
        IN_VIRAL_WINDOW,
        thresholds=K_TARGET,
        color_mode="background",
        decimals=2,
        records="k_invitations",
    ),
    Card(
        "Invitations sent and accepted",
        "execmetrics_invitations_sent",
        "sent",
        matchers=IN_VIRAL_WINDOW,
        more=(Series("execmetrics_invitations_accepted", "accepted", IN_VIRAL_WINDOW),),
        records="k_invitations",
    ),
    Card(
        "Invites per active supplier",
        "execmetrics_invites_per_supplier",
        "invites per supplier",
        matchers=IN_VIRAL_WINDOW,
        decimals=2,
        records="inviters",
    ),
    Card(
        "Invitation conversion",
        "execmetrics_invitation_conversion_ratio",
        "conversion",
        matchers=IN_VIRAL_WINDOW,
        records="k_invitations",
    ),
)


def viral_cards(opts: BuildOptions, links: Links = ()) -> list[Stat]:
    return [c.stat(opts, links) for c in VIRAL_CARDS]


def viral_coefficient_trend(opts: BuildOptions, links: Links = (), size: Size = THIRD) -> Trend:
    return Trend(
        f"Viral coefficient against the {K_TEXT} target",
        d(K) + f" The shaded area is red below the {K_TEXT} target and green above it.",
        unit_for(K, opts.currency),
        size,
        links,
        targets=(Target(agg(K, **IN_VIRAL_WINDOW), "K ({{window}})"),),
        thresholds=K_TARGET,
        thresholds_style="dashed+area",
        decimals=2,
        min=0,
    )


# --- engagement -------------------------------------------------------------------------------

STICKINESS = rule("execmetrics:stickiness:ratio")
SIDE_STICKINESS = "execmetrics:stickiness_by_user_type:ratio"
BENCHMARK = percent(TARGETS.stickiness_benchmark)
SUPPLIER_BANDS = band_text(TARGETS.supplier_stickiness)
COUPLE_BANDS = band_text(TARGETS.couple_stickiness)


def _side_stickiness(user_type: UserType) -> str:
    return rule(SIDE_STICKINESS, user_type=user_type)


def _bands_sentence(b: Bands) -> str:
    return (
        f"red below {percent(b.orange)}, orange from {percent(b.orange)}, yellow from "
        f"{percent(b.yellow)}, green from {percent(b.green)}"
    )


ENGAGEMENT_CARDS = (
    Card(
        "DAU/MAU stickiness",
        "execmetrics:stickiness:ratio",
        "DAU/MAU",
        "Users of both sides active in the last day / in the last 30 days (recording rule "
        f"execmetrics:stickiness:ratio). Green at or above the {BENCHMARK} industry average.",
        thresholds=INDUSTRY_AVERAGE,
        color_mode="background",
        records="engaged_users",
    ),
    Card(
        "Supplier stickiness (DAU/MAU)",
        SIDE_STICKINESS,
        "suppliers",
        "Suppliers active in the last day / in the last 30 days. Bands for a B2B SaaS "
        f"audience: {_bands_sentence(TARGETS.supplier_stickiness)}.",
        {"user_type": UserType.SUPPLIER},
        thresholds=SUPPLIER_STICKINESS_BANDS,
        color_mode="background",
        records="engaged_users",
    ),
    Card(
        "Couple stickiness (DAU/MAU)",
        SIDE_STICKINESS,
        "couples",
        "Couples active in the last day / in the last 30 days. Bands for a consumer "
        f"audience: {_bands_sentence(TARGETS.couple_stickiness)}.",
        {"user_type": UserType.COUPLE},
        thresholds=COUPLE_STICKINESS_BANDS,
        color_mode="background",
        records="engaged_users",
    ),
    Card(
        "Average session duration",
        "execmetrics_session_duration_average_seconds",
        "average session",
        records="sessions",
    ),
)


def engagement_cards(opts: BuildOptions, links: Links = ()) -> list[Stat]:
    return [c.stat(opts, links) for c in ENGAGEMENT_CARDS]


def stickiness_trend(opts: BuildOptions, links: Links = (), size: Size = THIRD) -> Trend:
    return Trend(
        f"DAU/MAU stickiness against the {BENCHMARK} industry average",
        "DAU/MAU over both sides and per side (recording rules execmetrics:stickiness:ratio "
        f"and execmetrics:stickiness_by_user_type:ratio). The dashed line is the {BENCHMARK} "
        f"industry average; suppliers are benchmarked at {SUPPLIER_BANDS} (B2B SaaS) and "
        f"couples at {COUPLE_BANDS} (consumer) on the Engagement board.",
        unit_for("execmetrics:stickiness:ratio", opts.currency),
        size,
        links,
        targets=(
            Target(STICKINESS, "all users"),
            Target(rule(SIDE_STICKINESS), "{{user_type}}s"),
        ),
        thresholds=steps("transparent", (TARGETS.stickiness_benchmark, "orange")),
        thresholds_style="dashed",
        min=0,
    )


def side_stickiness_trend(opts: BuildOptions, user_type: UserType) -> Trend:
    supplier = user_type == UserType.SUPPLIER
    bands = SUPPLIER_STICKINESS_BANDS if supplier else COUPLE_STICKINESS_BANDS
    audience = f"B2B SaaS ({SUPPLIER_BANDS})" if supplier else f"consumer ({COUPLE_BANDS})"
    side = "Supplier" if supplier else "Couple"
    return Trend(
        f"{side} stickiness against {audience.split(' (')[0]} benchmarks",
        f"{side}s active in the last day / in the last 30 days, over shaded benchmark "
        f"bands for a {audience} audience: red, orange, yellow, green from the lowest band up.",
        unit_for(SIDE_STICKINESS, opts.currency),
        HALF.high(8),
        targets=(Target(_side_stickiness(user_type), f"{user_type}s"),),
        thresholds=bands,
        thresholds_style="line+area",
        min=0,
    )


# --- data quality and exporter health --------------------------------------------------------

# The data-quality checks (catalog.QUALITY_CHECKS) each area's numbers depend on, by
# name prefix: subscription and fx-rate checks distort revenue, session checks users and
# engagement, invitation checks the viral loop, and future timestamps the windows of
# users and viral.
QUALITY_PREFIXES: dict[GroupName, tuple[str, ...]] = {
    GroupName.REVENUE: ("subscription_", "fx_rate_"),
    GroupName.USERS: ("session_user_", "timestamp_"),
    GroupName.VIRAL: ("invitation_", "timestamp_"),
    GroupName.ENGAGEMENT: ("session_",),
    # Growth reads the sources of every other area; their boards list the checks.
    GroupName.GROWTH: (),
}
QUALITY_BY_AREA: dict[GroupName, tuple[str, ...]] = {
    area: tuple(sorted(c for c in catalog.QUALITY_CHECKS if c.startswith(prefixes)))
    for area, prefixes in QUALITY_PREFIXES.items()
}
ISSUES_METRIC = "execmetrics_data_quality_issues"
LAST_SUCCESS = "execmetrics_group_last_success_timestamp_seconds"
INTERVAL = "execmetrics_group_interval_seconds"
LAST_RUN = "execmetrics_group_last_run_duration_seconds"
STALE_TEXT = (
    f"orange from {STALE} intervals (stale, as the ExecMetricsStale alert says), red from "
    f"{4 * STALE}"
)


def data_age(**group: str) -> str:
    """Time since each group's last success in multiples of its configured interval
    (execmetrics_group_interval_seconds), the oldest group's."""
    by = ("group",)
    return f"max((time() - {agg(LAST_SUCCESS, by, **group)}) / {agg(INTERVAL, by, **group)})"


def data_quality_total(opts: BuildOptions) -> Stat:
    return Stat(
        "Data-quality issues",
        "Source rows failing a data-quality check at the last computation, all checks "
        "together; each detail board lists the checks of its area. " + d(ISSUES_METRIC),
        unit_for(ISSUES_METRIC, opts.currency),
        CARD,
        tuple(AREAS.values()),
        targets=(Target(agg(ISSUES_METRIC), "issues"),),
        thresholds=ISSUES,
        color_mode="background",
        graph=False,
    )


def data_freshness(opts: BuildOptions) -> Stat:
    return Stat(
        "Data age",
        "Time since the least recently computed metric group last succeeded, in multiples "
        f"of that group's configured interval: {STALE_TEXT}. Each detail board shows its "
        "own group.",
        INTERVALS,
        CARD,
        tuple(AREAS.values()),
        targets=(Target(data_age(), "oldest group"),),
        thresholds=STALENESS,
        color_mode="background",
        graph=False,
        decimals=1,
    )


def area_quality(opts: BuildOptions, area: GroupName) -> Bars:
    checks = QUALITY_BY_AREA[area]
    explained = " ".join(f"{c}: {catalog.QUALITY_CHECKS[c]}." for c in checks)
    return Bars(
        "Data-quality issues of this area",
        f"Source rows failing each check this area's numbers depend on, at the last "
        f"computation. {explained}",
        unit_for(ISSUES_METRIC, opts.currency),
        HALF.high(6),
        targets=(Target(agg(ISSUES_METRIC, ("check",), check=Re("|".join(checks))), "{{check}}"),),
        thresholds=ISSUES,
    )


def area_freshness(opts: BuildOptions, area: GroupName) -> Stat:
    return Stat(
        "Data age",
        f"Time since the exporter's {area} group last computed successfully, in multiples of "
        f"its configured interval ({STALE_TEXT}).",
        INTERVALS,
        CARD.high(6),
        targets=(Target(data_age(group=area), area),),
        thresholds=STALENESS,
        color_mode="background",
        graph=False,
        decimals=1,
    )


def area_last_run(opts: BuildOptions, area: GroupName) -> Stat:
    return Stat(
        "Last computation time",
        f"Wall time of the {area} group's last computation. " + d(LAST_RUN),
        unit_for(LAST_RUN, opts.currency),
        CARD.high(6),
        targets=(Target(agg(LAST_RUN, group=area), area),),
        thresholds=NEUTRAL,
    )
