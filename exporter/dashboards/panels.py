"""Panels shown on more than one board: the headline cards and trends of each area.

The overview passes ``links`` so that each card opens its area's detail board; the detail
boards reuse the same declarations without links.
"""

from __future__ import annotations

from exporter import catalog
from exporter.dashboards.common import (
    AREAS,
    COUPLE_STICKINESS_BANDS,
    CURRENCY,
    INDUSTRY_AVERAGE,
    INDUSTRY_AVERAGE_STICKINESS,
    ISSUES,
    K_TARGET,
    MAU_WINDOW,
    NEUTRAL,
    STALE_AFTER_SECONDS,
    STALENESS,
    SUPPLIER_STICKINESS_BANDS,
    UP_GREEN,
    VIRAL_WINDOW,
    Area,
    Bars,
    BuildOptions,
    Re,
    Stat,
    Target,
    Trend,
    rule,
    sel,
    steps,
    unit_for,
)

Links = tuple[Area, ...]


def _d(name: str) -> str:
    """The catalog definition of a metric, for panel descriptions."""
    return catalog.BY_NAME[name].definition


# --- revenue ------------------------------------------------------------------------------

MRR = f"sum({sel('execmetrics_mrr', currency=CURRENCY)})"


def mrr(opts: BuildOptions, links: Links = ()) -> Stat:
    return Stat(
        "MRR",
        _d("execmetrics_mrr") + " Reporting currency.",
        unit_for("execmetrics_mrr", opts),
        3,
        5,
        links,
        targets=(Target(MRR, "MRR"),),
    )


def mrr_growth(opts: BuildOptions, links: Links = ()) -> Stat:
    return Stat(
        "MRR change (month over month)",
        _d("execmetrics_mrr_growth_ratio") + " Green when MRR grew or held, red when it fell.",
        unit_for("execmetrics_mrr_growth_ratio", opts),
        3,
        5,
        links,
        targets=(Target(f"max({sel('execmetrics_mrr_growth_ratio')})", "MoM change"),),
        thresholds=UP_GREEN,
        color_mode="background",
    )


def arr(opts: BuildOptions, links: Links = ()) -> Stat:
    return Stat(
        "ARR",
        _d("execmetrics_arr"),
        unit_for("execmetrics_arr", opts),
        3,
        5,
        links,
        targets=(Target(f"sum({sel('execmetrics_arr', currency=CURRENCY)})", "ARR"),),
    )


def net_revenue_retention(opts: BuildOptions, links: Links = ()) -> Stat:
    return Stat(
        "Net revenue retention",
        _d("execmetrics_net_revenue_retention_ratio")
        + " Green at or above 100 % (the suppliers of a month ago pay more now than then).",
        unit_for("execmetrics_net_revenue_retention_ratio", opts),
        3,
        5,
        links,
        targets=(Target(f"max({sel('execmetrics_net_revenue_retention_ratio')})", "NRR"),),
        thresholds=steps("red", (1.0, "green")),
        color_mode="value",
    )


def customer_churn(opts: BuildOptions, links: Links = ()) -> Stat:
    return Stat(
        "Customer churn",
        _d("execmetrics_customer_churn_ratio"),
        unit_for("execmetrics_customer_churn_ratio", opts),
        3,
        5,
        links,
        targets=(Target(f"max({sel('execmetrics_customer_churn_ratio')})", "Customer churn"),),
    )


def revenue_churn(opts: BuildOptions, links: Links = ()) -> Stat:
    return Stat(
        "Revenue churn (gross)",
        _d("execmetrics_revenue_churn_ratio"),
        unit_for("execmetrics_revenue_churn_ratio", opts),
        3,
        5,
        links,
        targets=(Target(f"max({sel('execmetrics_revenue_churn_ratio')})", "Revenue churn"),),
    )


def paying_suppliers(opts: BuildOptions, links: Links = ()) -> Stat:
    return Stat(
        "Paying suppliers",
        _d("execmetrics_paying_suppliers"),
        unit_for("execmetrics_paying_suppliers", opts),
        3,
        5,
        links,
        targets=(Target(f"sum({sel('execmetrics_paying_suppliers')})", "Paying suppliers"),),
    )


def arpa(opts: BuildOptions, links: Links = ()) -> Stat:
    return Stat(
        "ARPA",
        _d("execmetrics_arpa"),
        unit_for("execmetrics_arpa", opts),
        3,
        5,
        links,
        targets=(Target(f"max({sel('execmetrics_arpa', currency=CURRENCY)})", "ARPA"),),
    )


def revenue_cards(opts: BuildOptions, links: Links = ()) -> list[Stat]:
    return [
        f(opts, links)
        for f in (
            mrr,
            mrr_growth,
            arr,
            net_revenue_retention,
            customer_churn,
            revenue_churn,
            paying_suppliers,
            arpa,
        )
    ]


GAINS = Re("new|reactivation|expansion")
LOSSES = Re("contraction|churn")


def mrr_movements_trend(opts: BuildOptions, links: Links = (), width: int = 16) -> Trend:
    """MRR stacked from what was kept plus the three gains, with the two losses below zero.

    The top of the positive stack is MRR(T): retained = MRR(T) - (new + reactivation +
    expansion) = MRR(M1) - (contraction + churn).
    """
    gains = sel("execmetrics_mrr_movement", currency=CURRENCY, movement=GAINS)
    losses = sel("execmetrics_mrr_movement", currency=CURRENCY, movement=LOSSES)
    return Trend(
        "MRR and its five movements",
        "MRR at each instant, stacked as the part retained from one month earlier plus the "
        "new, reactivation and expansion MRR of the trailing month; contraction and churn of "
        "the same month are stacked below zero. The top of the stack is MRR. "
        + _d("execmetrics_mrr_movement"),
        unit_for("execmetrics_mrr", opts),
        width,
        9,
        links,
        targets=(
            Target(f"{MRR} - (sum({gains}) or vector(0))", "retained"),
            Target(f"sum by (movement) ({gains})", "{{movement}}"),
            Target(f"-sum by (movement) ({losses})", "{{movement}}"),
        ),
        stacked=True,
        fill=60,
        colors={
            "retained": "blue",
            "new": "green",
            "reactivation": "light-green",
            "expansion": "dark-green",
            "contraction": "orange",
            "churn": "red",
        },
    )


def mrr_by_plan(opts: BuildOptions, links: Links = (), plan: str = ".*") -> Bars:
    m = "execmetrics_mrr_by_plan"
    return Bars(
        "MRR by plan",
        _d(m) + " At the end of the time range.",
        unit_for(m, opts),
        8,
        9,
        links,
        targets=(
            Target(f"sum by (plan) ({sel(m, currency=CURRENCY, plan=Re(plan))})", "{{plan}}"),
        ),
    )


# --- users ----------------------------------------------------------------------------------


def _active(user_type: str, window: str = MAU_WINDOW) -> str:
    return f"sum({sel('execmetrics_active_users', user_type=user_type, window=window)})"


def _total(user_type: str) -> str:
    return f"sum({sel('execmetrics_registered_users', user_type=user_type)})"


def active_side(opts: BuildOptions, user_type: str, links: Links = ()) -> Stat:
    side = "suppliers" if user_type == "supplier" else "couples"
    return Stat(
        f"Active {side}",
        f"{side.capitalize()} with a session in the last 30 days, of all {side} existing now "
        "(created and not deleted). " + _d("execmetrics_active_users"),
        unit_for("execmetrics_active_users", opts),
        6,
        5,
        links,
        targets=(
            Target(_active(user_type), "active (30d)"),
            Target(_total(user_type), "of total"),
        ),
    )


def signups_today(opts: BuildOptions, links: Links = ()) -> Stat:
    s = "execmetrics_signups_today"
    return Stat(
        "Sign-ups today",
        _d(s),
        unit_for(s, opts),
        6,
        5,
        links,
        targets=(
            Target(f"sum({sel(s, user_type='supplier')})", "suppliers"),
            Target(f"sum({sel(s, user_type='couple')})", "couples"),
        ),
    )


def dau_wau_mau(opts: BuildOptions, links: Links = ()) -> Stat:
    a = "execmetrics_active_users"
    return Stat(
        "DAU / WAU / MAU",
        "Distinct users of both sides with a session in the last day, 7 days and 30 days. " + _d(a),
        unit_for(a, opts),
        6,
        5,
        links,
        targets=tuple(
            Target(f"sum({sel(a, window=w)})", name)
            for w, name in (("1d", "DAU"), ("7d", "WAU"), ("30d", "MAU"))
        ),
    )


def active_users_trend(opts: BuildOptions, links: Links = (), width: int = 8) -> Trend:
    a = "execmetrics_active_users"
    return Trend(
        "Active users per side",
        "Suppliers and couples active in the last 30 days (MAU) and in the last day (DAU). "
        + _d(a),
        unit_for(a, opts),
        width,
        9,
        links,
        targets=(
            Target(f"sum by (user_type) ({sel(a, window=MAU_WINDOW)})", "{{user_type}}s (30d)"),
            Target(f"sum by (user_type) ({sel(a, window='1d')})", "{{user_type}}s (1d)"),
        ),
        min=0,
    )


# --- viral ------------------------------------------------------------------------------------


def viral_coefficient(opts: BuildOptions, links: Links = ()) -> Stat:
    k = "execmetrics_viral_coefficient"
    return Stat(
        "Viral coefficient (K)",
        _d(k) + " Red below the 1.0 target, green at or above it.",
        unit_for(k, opts),
        6,
        5,
        links,
        targets=(Target(f"max({sel(k, window=VIRAL_WINDOW)})", "K"),),
        thresholds=K_TARGET,
        color_mode="background",
        decimals=2,
    )


def invitations(opts: BuildOptions, links: Links = ()) -> Stat:
    s, a = "execmetrics_invitations_sent", "execmetrics_invitations_accepted"
    return Stat(
        "Invitations sent and accepted",
        f"{_d(s)} {_d(a)}",
        unit_for(s, opts),
        6,
        5,
        links,
        targets=(
            Target(f"sum({sel(s, window=VIRAL_WINDOW)})", "sent"),
            Target(f"sum({sel(a, window=VIRAL_WINDOW)})", "accepted"),
        ),
    )


def invites_per_supplier(opts: BuildOptions, links: Links = ()) -> Stat:
    m = "execmetrics_invites_per_supplier"
    return Stat(
        "Invites per active supplier",
        _d(m),
        unit_for(m, opts),
        6,
        5,
        links,
        targets=(Target(f"max({sel(m, window=VIRAL_WINDOW)})", "invites per supplier"),),
        decimals=2,
    )


def invitation_conversion(opts: BuildOptions, links: Links = ()) -> Stat:
    m = "execmetrics_invitation_conversion_ratio"
    return Stat(
        "Invitation conversion",
        _d(m),
        unit_for(m, opts),
        6,
        5,
        links,
        targets=(Target(f"max({sel(m, window=VIRAL_WINDOW)})", "conversion"),),
    )


def viral_cards(opts: BuildOptions, links: Links = ()) -> list[Stat]:
    return [
        f(opts, links)
        for f in (viral_coefficient, invitations, invites_per_supplier, invitation_conversion)
    ]


def viral_coefficient_trend(opts: BuildOptions, links: Links = (), width: int = 8) -> Trend:
    k = "execmetrics_viral_coefficient"
    return Trend(
        "Viral coefficient against the 1.0 target",
        _d(k) + " The shaded area is red below the 1.0 target and green above it.",
        unit_for(k, opts),
        width,
        9,
        links,
        targets=(Target(f"max({sel(k, window=VIRAL_WINDOW)})", "K ({{window}})"),),
        thresholds=K_TARGET,
        thresholds_style="dashed+area",
        decimals=2,
        min=0,
    )


# --- engagement -------------------------------------------------------------------------------

STICKINESS = rule("execmetrics:stickiness:ratio")


def _side_stickiness(user_type: str) -> str:
    return rule("execmetrics:stickiness_by_user_type:ratio", user_type=user_type)


def stickiness(opts: BuildOptions, links: Links = ()) -> Stat:
    return Stat(
        "DAU/MAU stickiness",
        "Users of both sides active in the last day / in the last 30 days (recording rule "
        "execmetrics:stickiness:ratio). Green at or above the 40 % industry average.",
        unit_for("execmetrics:stickiness:ratio", opts),
        6,
        5,
        links,
        targets=(Target(STICKINESS, "DAU/MAU"),),
        thresholds=INDUSTRY_AVERAGE,
        color_mode="background",
    )


def supplier_stickiness(opts: BuildOptions, links: Links = ()) -> Stat:
    return Stat(
        "Supplier stickiness (DAU/MAU)",
        "Suppliers active in the last day / in the last 30 days. Bands for a B2B SaaS "
        "audience: red below 15 %, orange from 15 %, yellow from 20 %, green from 30 %.",
        unit_for("execmetrics:stickiness_by_user_type:ratio", opts),
        6,
        5,
        links,
        targets=(Target(_side_stickiness("supplier"), "suppliers"),),
        thresholds=SUPPLIER_STICKINESS_BANDS,
        color_mode="background",
    )


def couple_stickiness(opts: BuildOptions, links: Links = ()) -> Stat:
    return Stat(
        "Couple stickiness (DAU/MAU)",
        "Couples active in the last day / in the last 30 days. Bands for a consumer "
        "audience: red below 30 %, orange from 30 %, yellow from 40 %, green from 50 %.",
        unit_for("execmetrics:stickiness_by_user_type:ratio", opts),
        6,
        5,
        links,
        targets=(Target(_side_stickiness("couple"), "couples"),),
        thresholds=COUPLE_STICKINESS_BANDS,
        color_mode="background",
    )


def session_duration(opts: BuildOptions, links: Links = ()) -> Stat:
    m = "execmetrics_session_duration_average_seconds"
    return Stat(
        "Average session duration",
        _d(m),
        unit_for(m, opts),
        6,
        5,
        links,
        targets=(Target(f"max({sel(m)})", "average session"),),
    )


def stickiness_trend(opts: BuildOptions, links: Links = (), width: int = 8) -> Trend:
    return Trend(
        "DAU/MAU stickiness against the 40 % industry average",
        "DAU/MAU over both sides and per side (recording rules execmetrics:stickiness:ratio "
        "and execmetrics:stickiness_by_user_type:ratio). The dashed line is the 40 % "
        "industry average; suppliers are benchmarked at 15/20/30 % (B2B SaaS) and couples "
        "at 30/40/50 % (consumer) on the Engagement board.",
        unit_for("execmetrics:stickiness:ratio", opts),
        width,
        9,
        links,
        targets=(
            Target(STICKINESS, "all users"),
            Target(
                rule("execmetrics:stickiness_by_user_type:ratio"),
                "{{user_type}}s",
            ),
        ),
        thresholds=steps("transparent", (INDUSTRY_AVERAGE_STICKINESS, "orange")),
        thresholds_style="dashed",
        min=0,
    )


def side_stickiness_trend(opts: BuildOptions, user_type: str) -> Trend:
    supplier = user_type == "supplier"
    bands = SUPPLIER_STICKINESS_BANDS if supplier else COUPLE_STICKINESS_BANDS
    audience = "B2B SaaS (15 / 20 / 30 %)" if supplier else "consumer (30 / 40 / 50 %)"
    side = "Supplier" if supplier else "Couple"
    return Trend(
        f"{side} stickiness against {audience.split(' (')[0]} benchmarks",
        f"{side}s active in the last day / in the last 30 days, over shaded benchmark "
        f"bands for a {audience} audience: red, orange, yellow, green from the lowest band up.",
        unit_for("execmetrics:stickiness_by_user_type:ratio", opts),
        12,
        8,
        targets=(Target(_side_stickiness(user_type), f"{user_type}s"),),
        thresholds=bands,
        thresholds_style="line+area",
        min=0,
    )


# --- data quality and exporter health --------------------------------------------------------

# The data-quality checks (catalog.QUALITY_CHECKS) each area's numbers depend on, by
# name prefix: subscription checks distort revenue, session checks users and engagement,
# invitation checks the viral loop, and future timestamps the windows of users and viral.
QUALITY_PREFIXES: dict[str, tuple[str, ...]] = {
    "revenue": ("subscription_",),
    "users": ("session_user_", "timestamp_"),
    "viral": ("invitation_", "timestamp_"),
    "engagement": ("session_",),
}
QUALITY_BY_AREA: dict[str, tuple[str, ...]] = {
    area: tuple(sorted(c for c in catalog.QUALITY_CHECKS if c.startswith(prefixes)))
    for area, prefixes in QUALITY_PREFIXES.items()
}


def data_quality_total(opts: BuildOptions) -> Stat:
    m = "execmetrics_data_quality_issues"
    return Stat(
        "Data-quality issues",
        "Source rows failing a data-quality check at the last computation, all checks "
        "together; each detail board lists the checks of its area. " + _d(m),
        unit_for(m, opts),
        6,
        5,
        tuple(AREAS.values()),
        targets=(Target(f"sum({sel(m)})", "issues"),),
        thresholds=ISSUES,
        color_mode="background",
        graph=False,
    )


def data_freshness(opts: BuildOptions) -> Stat:
    m = "execmetrics_group_last_success_timestamp_seconds"
    return Stat(
        "Data age",
        "Time since the least recently computed metric group last succeeded: orange after "
        f"{STALE_AFTER_SECONDS:g} s (three default intervals), red after "
        f"{4 * STALE_AFTER_SECONDS:g} s. Each detail board shows its own group.",
        unit_for("execmetrics_group_last_run_duration_seconds", opts),
        6,
        5,
        tuple(AREAS.values()),
        targets=(Target(f"max(time() - {sel(m)})", "oldest group"),),
        thresholds=STALENESS,
        color_mode="background",
        graph=False,
    )


def area_quality(opts: BuildOptions, area: str) -> Bars:
    m = "execmetrics_data_quality_issues"
    checks = QUALITY_BY_AREA[area]
    explained = " ".join(f"{c}: {catalog.QUALITY_CHECKS[c]}." for c in checks)
    return Bars(
        "Data-quality issues of this area",
        f"Source rows failing each check this area's numbers depend on, at the last "
        f"computation. {explained}",
        unit_for(m, opts),
        12,
        6,
        targets=(Target(f"sum by (check) ({sel(m, check=Re('|'.join(checks)))})", "{{check}}"),),
        thresholds=ISSUES,
    )


def area_freshness(opts: BuildOptions, area: str) -> Stat:
    m = "execmetrics_group_last_success_timestamp_seconds"
    return Stat(
        "Data age",
        f"Time since the exporter's {area} group last computed successfully "
        f"(orange after {STALE_AFTER_SECONDS:g} s, red after {4 * STALE_AFTER_SECONDS:g} s).",
        unit_for("execmetrics_group_last_run_duration_seconds", opts),
        6,
        6,
        targets=(Target(f"max(time() - {sel(m, group=area)})", area),),
        thresholds=STALENESS,
        color_mode="background",
        graph=False,
    )


def area_last_run(opts: BuildOptions, area: str) -> Stat:
    m = "execmetrics_group_last_run_duration_seconds"
    return Stat(
        "Last computation time",
        f"Wall time of the {area} group's last computation. " + _d(m),
        unit_for(m, opts),
        6,
        6,
        targets=(Target(f"max({sel(m, group=area)})", area),),
        thresholds=NEUTRAL,
    )
