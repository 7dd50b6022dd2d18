"""Growth: growth accounting of both sides (new, returning, resurrected, dormant users and
the users' quick ratio), cohort retention, the viral loop's unique K and cycle time,
marketplace liquidity, MRR at risk, LTV, trial conversion and couples by stage."""

from __future__ import annotations

from dashboards import cards as c
from dashboards.cards import IN_CURRENCY, IN_VIRAL_WINDOW, K_TEXT, d
from dashboards.layout import Board
from dashboards.links import AREAS, Area
from dashboards.options import BuildOptions
from dashboards.queries import agg, rule
from dashboards.specs import (
    CARD,
    HALF,
    CohortTable,
    Row,
    Stat,
    Target,
    Trend,
    stacked,
)
from dashboards.thresholds import AT_LEAST_ONE, K_TARGET, bands, percent, steps
from dashboards.units import unit_for
from dashboards.variables import CURRENCY_VARIABLE, VIRAL_WINDOW_VARIABLE
from exporter.vocabulary import (
    CYCLE_TIME_QUANTILES,
    Bands,
    GroupName,
    LifecycleState,
    UserType,
)

GROUP = GroupName.GROWTH
AREA = AREAS[GROUP]
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


def _lifecycle(side: UserType, opts: BuildOptions) -> Trend:
    def state(s: LifecycleState) -> str:
        return agg(LIFECYCLE, user_type=side, state=s)

    gains = (LifecycleState.NEW, LifecycleState.RETURNING, LifecycleState.RESURRECTED)
    return Trend(
        f"{side.capitalize()} growth accounting",
        d(LIFECYCLE) + f" {side.capitalize()}s; the dormant users are drawn below zero (negated).",
        unit_for(LIFECYCLE, opts.currency),
        HALF,
        targets=(
            *(Target(state(s), str(s)) for s in gains),
            Target(f"-{state(LifecycleState.DORMANT)}", str(LifecycleState.DORMANT)),
        ),
        stacked=True,
        fill=80,
        bars=True,
        colors={str(k): v for k, v in LIFECYCLE_COLORS.items()},
    )


def _cohorts(title: str, name: str, opts: BuildOptions, **matchers: str) -> CohortTable:
    return CohortTable(
        title,
        d(name) + " One row per cohort at the end of the time range. " + RETENTION_TEXT,
        unit_for(name, opts.currency),
        HALF.high(12),
        targets=(Target(agg(name, ("cohort",), **matchers), "{{cohort}}"),),
        thresholds=RETENTION_BANDS,
    )


def growth_cards(opts: BuildOptions, links: tuple[Area, ...] = ()) -> list[Stat]:
    """The headline numbers of growth; the overview passes ``links`` to this board."""

    def unit(name: str) -> str:
        return unit_for(name, opts.currency)

    return [
        Stat(
            "MRR at risk",
            d(MRR_AT_RISK),
            unit(MRR_AT_RISK),
            CARD,
            links,
            targets=(Target(agg(MRR_AT_RISK, **IN_CURRENCY), "MRR at risk"),),
        ),
        Stat(
            "LTV",
            d(LTV),
            unit(LTV),
            CARD,
            links,
            targets=(Target(agg(LTV, **IN_CURRENCY), "LTV"),),
        ),
        Stat(
            "Trial conversion",
            d(TRIAL_CONVERSION),
            unit(TRIAL_CONVERSION),
            CARD,
            links,
            targets=(Target(agg(TRIAL_CONVERSION), "trial conversion"),),
            decimals=1,
        ),
        Stat(
            "Users' quick ratio",
            "(new + resurrected) / dormant users over the last 30 days, per side "
            f"(recording rule {USER_QUICK_RATIO}); above 1 the active base grows.",
            unit(USER_QUICK_RATIO),
            CARD,
            links,
            targets=tuple(
                Target(rule(USER_QUICK_RATIO, user_type=side), f"{side}s") for side in UserType
            ),
            thresholds=AT_LEAST_ONE,
            color_mode="value",
            decimals=2,
        ),
    ]


def board(opts: BuildOptions) -> Board:
    def unit(name: str) -> str:
        return unit_for(name, opts.currency)

    return Board(
        uid=AREA.uid,
        title="Growth",
        description=(
            "Growth accounting of both sides (who is new, returning, resurrected or dormant), "
            "cohort retention, the viral loop counted per couple, marketplace liquidity, and "
            "the revenue signals of growth: MRR at risk, LTV and trial conversion."
        ),
        items=(
            Row("Summary"),
            *growth_cards(opts),
            Row("Growth accounting"),
            *(_lifecycle(side, opts) for side in UserType),
            Trend(
                "Users' quick ratio",
                "(new + resurrected) / dormant users over the last 30 days, per side "
                f"(recording rule {USER_QUICK_RATIO}); absent when nobody went dormant. "
                "The dashed line marks 1: above it the active base grows.",
                unit(USER_QUICK_RATIO),
                HALF.high(8),
                targets=(Target(rule(USER_QUICK_RATIO), "{{user_type}}"),),
                thresholds=steps("transparent", (1.0, "green")),
                thresholds_style="dashed",
                decimals=2,
                min=0,
            ),
            stacked(
                "Couples by stage",
                d(COUPLES),
                unit(COUPLES),
                HALF.high(8),
                Target(agg(COUPLES, ("stage",)), "{{stage}}"),
            ),
            Row("Cohorts"),
            _cohorts("Supplier logo retention by cohort", LOGO_RETENTION, opts),
            _cohorts("Supplier MRR retention by cohort", MRR_RETENTION, opts),
            *(
                _cohorts(f"Active {side}s by cohort", ACTIVE_RATIO, opts, user_type=side)
                for side in UserType
            ),
            Row("Viral loop"),
            Trend(
                "K and unique K against the target",
                f"{d(K)} {d(K_UNIQUE)} The dashed line is the K target ({K_TEXT}).",
                unit(K),
                HALF,
                targets=(
                    Target(agg(K, **IN_VIRAL_WINDOW), "K ({{window}})"),
                    Target(agg(K_UNIQUE, **IN_VIRAL_WINDOW), "unique K"),
                ),
                thresholds=K_TARGET,
                thresholds_style="dashed",
                decimals=2,
                min=0,
            ),
            Trend(
                "Viral cycle time",
                d(CYCLE_TIME),
                unit(CYCLE_TIME),
                HALF,
                targets=tuple(
                    Target(agg(CYCLE_TIME, quantile=f"{q:g}", **IN_VIRAL_WINDOW), f"p{100 * q:g}")
                    for q in CYCLE_TIME_QUANTILES
                ),
                min=0,
            ),
            Trend(
                "Marketplace liquidity",
                d(LIQUIDITY),
                unit(LIQUIDITY),
                HALF.high(8),
                targets=(Target(agg(LIQUIDITY, ("side",)), "{{side}}"),),
                min=0,
            ),
            Row("Revenue"),
            Trend(
                "MRR at risk",
                d(MRR_AT_RISK) + " Drawn with the MRR it is part of.",
                unit(MRR_AT_RISK),
                HALF.high(8),
                targets=(
                    Target(agg(MRR_AT_RISK, **IN_CURRENCY), "MRR at risk ({{currency}})"),
                    Target(agg(MRR, **IN_CURRENCY), "MRR"),
                ),
                colors={"MRR": "blue"},
                min=0,
            ),
            Row("Data"),
            c.area_freshness(opts, GROUP),
            c.area_last_run(opts, GROUP),
        ),
        variables=(CURRENCY_VARIABLE, VIRAL_WINDOW_VARIABLE),
        tags=(GROUP,),
    )
