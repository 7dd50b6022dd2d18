"""Growth: growth accounting of both sides (new, returning, resurrected, dormant users and
the users' quick ratio), cohort retention, the viral loop's unique K and cycle time,
marketplace liquidity, MRR at risk, LTV, trial conversion and couples by stage."""

from __future__ import annotations

from dashboards.cards import IN_CURRENCY, IN_VIRAL_WINDOW, K_TEXT, Card, Series, d
from dashboards.common import Metric, area_board
from dashboards.layout import Board
from dashboards.links import Link
from dashboards.options import BuildOptions
from dashboards.queries import agg, rule
from dashboards.records import RECORDS
from dashboards.specs import HALF, CohortTable, Row, Stat, Target, Trend
from dashboards.thresholds import AT_LEAST_ONE, AT_ONE, K_TARGET, bands, percent
from dashboards.variables import CURRENCY_VARIABLE, VIRAL_WINDOW_VARIABLE
from exporter.vocabulary import (
    CYCLE_TIME_QUANTILES,
    Bands,
    GroupName,
    LifecycleState,
    UserType,
)

GROUP = GroupName.GROWTH
LIFECYCLE = "execmetrics_user_lifecycle"
USER_QUICK_RATIO = "execmetrics:user_quick_ratio:ratio"
K = "execmetrics_viral_coefficient"
K_UNIQUE = "execmetrics_viral_coefficient_unique"
CYCLE_TIME = "execmetrics_viral_cycle_time_seconds"
LIQUIDITY = "execmetrics_marketplace_liquidity_ratio"
MRR_AT_RISK = "execmetrics_mrr_at_risk"
MRR = "execmetrics_mrr"
LTV = "execmetrics_ltv"
TRIAL_CONVERSION = "execmetrics_trial_conversion_ratio"
COUPLES = "execmetrics_couples"
LOGO_RETENTION = "execmetrics_cohort_logo_retention_ratio"
MRR_RETENTION = "execmetrics_cohort_mrr_retention_ratio"
ACTIVE_RATIO = "execmetrics_cohort_active_ratio"

# Colours of the growth-accounting bars: gains above zero, the dormant users below it.
LIFECYCLE_COLORS = {
    LifecycleState.NEW: "green",
    LifecycleState.RETURNING: "blue",
    LifecycleState.RESURRECTED: "yellow",
    LifecycleState.DORMANT: "red",
}
# Retention cells: red below a half, orange below 70 %, yellow below 85 %, green above.
RETENTION = Bands(orange=0.5, yellow=0.7, green=0.85)
RETENTION_BANDS = bands(RETENTION)
RETENTION_TEXT = (
    f"Cells are red below {percent(RETENTION.orange)}, orange from "
    f"{percent(RETENTION.orange)}, yellow from {percent(RETENTION.yellow)} and green from "
    f"{percent(RETENTION.green)}."
)


def _lifecycle(m: Metric, side: UserType) -> Trend:
    def state(s: LifecycleState) -> str:
        return agg(LIFECYCLE, user_type=side, state=s)

    gains = (LifecycleState.NEW, LifecycleState.RETURNING, LifecycleState.RESURRECTED)
    return m.trend(
        f"{side.capitalize()} growth accounting",
        LIFECYCLE,
        HALF,
        *(Target(state(s), str(s)) for s in gains),
        Target(f"-{state(LifecycleState.DORMANT)}", str(LifecycleState.DORMANT)),
        note=f" {side.capitalize()}s; the dormant users are drawn below zero (negated).",
        stacked=True,
        fill=80,
        bars=True,
        colors={str(k): v for k, v in LIFECYCLE_COLORS.items()},
    )


def _cohorts(m: Metric, title: str, name: str, records: str, **matchers: str) -> CohortTable:
    """A heat map of cohorts; each cell opens the table of the cohorts' members."""
    return m.panel(
        CohortTable,
        title,
        name,
        HALF.high(12),
        Target(agg(name, ("cohort",), **matchers), "{{cohort}}"),
        note=" One row per cohort at the end of the time range. " + RETENTION_TEXT,
        thresholds=RETENTION_BANDS,
        links=(RECORDS[records].link(),),
    )


GROWTH_CARDS = (
    Card("MRR at risk", MRR_AT_RISK, "MRR at risk", matchers=IN_CURRENCY, records="at_risk"),
    Card("LTV", LTV, "LTV", matchers=IN_CURRENCY, records="paying_suppliers"),
    Card(
        "Trial conversion",
        TRIAL_CONVERSION,
        "trial conversion",
        decimals=1,
        records="trials",
    ),
    Card(
        "Users' quick ratio",
        USER_QUICK_RATIO,
        "suppliers",
        matchers={"user_type": UserType.SUPPLIER},
        intro=d(USER_QUICK_RATIO) + "; above 1 the active base grows.",
        thresholds=AT_LEAST_ONE,
        color_mode="value",
        decimals=2,
        more=(Series(USER_QUICK_RATIO, "couples", {"user_type": UserType.COUPLE}),),
        records="lifecycle",
    ),
)


def growth_cards(opts: BuildOptions, links: tuple[Link, ...] = ()) -> list[Stat]:
    """The headline numbers of growth; the overview passes ``links`` to this board."""
    return [card.stat(opts, links) for card in GROWTH_CARDS]


def board(opts: BuildOptions) -> Board:
    m = Metric(opts)
    return area_board(
        opts,
        GROUP,
        "Growth accounting of both sides (who is new, returning, resurrected or dormant), "
        "cohort retention, the viral loop counted per couple, marketplace liquidity, and "
        "the revenue signals of growth: MRR at risk, LTV and trial conversion.",
        (
            *growth_cards(opts),
            Row("Growth accounting"),
            *(_lifecycle(m, side) for side in UserType),
            m.trend(
                "Users' quick ratio",
                USER_QUICK_RATIO,
                HALF.high(8),
                Target(rule(USER_QUICK_RATIO), "{{user_type}}"),
                note="; absent when nobody went dormant. The dashed line marks 1: above it the "
                "active base grows.",
                lines=AT_ONE,
                decimals=2,
                min=0,
            ),
            m.stacked(
                "Couples by stage",
                COUPLES,
                HALF.high(8),
                Target(agg(COUPLES, ("stage",)), "{{stage}}"),
            ),
            Row("Cohorts"),
            _cohorts(m, "Supplier logo retention by cohort", LOGO_RETENTION, "revenue_cohorts"),
            _cohorts(m, "Supplier MRR retention by cohort", MRR_RETENTION, "revenue_cohorts"),
            *(
                _cohorts(
                    m,
                    f"Active {side}s by cohort",
                    ACTIVE_RATIO,
                    "activity_cohorts",
                    user_type=side,
                )
                for side in UserType
            ),
            Row("Viral loop"),
            m.trend(
                "K and unique K against the target",
                K,
                HALF,
                Target(agg(K, **IN_VIRAL_WINDOW), "K ({{window}})"),
                Target(agg(K_UNIQUE, **IN_VIRAL_WINDOW), "unique K"),
                description=f"{d(K)} {d(K_UNIQUE)} The dashed line is the K target ({K_TEXT}).",
                thresholds=K_TARGET,
                thresholds_style="dashed",
                decimals=2,
                min=0,
            ),
            m.trend(
                "Viral cycle time",
                CYCLE_TIME,
                HALF,
                *(
                    Target(agg(CYCLE_TIME, quantile=f"{q:g}", **IN_VIRAL_WINDOW), f"p{100 * q:g}")
                    for q in CYCLE_TIME_QUANTILES
                ),
                min=0,
            ),
            m.trend(
                "Marketplace liquidity",
                LIQUIDITY,
                HALF.high(8),
                Target(agg(LIQUIDITY, ("side",)), "{{side}}"),
                min=0,
            ),
            Row("Revenue"),
            m.trend(
                "MRR at risk",
                MRR_AT_RISK,
                HALF.high(8),
                Target(agg(MRR_AT_RISK, **IN_CURRENCY), "MRR at risk ({{currency}})"),
                Target(agg(MRR, **IN_CURRENCY), "MRR"),
                note=" Drawn with the MRR it is part of.",
                colors={"MRR": "blue"},
                min=0,
            ),
        ),
        (CURRENCY_VARIABLE, VIRAL_WINDOW_VARIABLE),
    )
