"""Viral loop: K against its target, invitations and conversion, by channel, and the top
inviting suppliers (PostgreSQL)."""

from __future__ import annotations

from dashboards import cards as c
from dashboards.cards import IN_VIRAL_WINDOW, K_TEXT, d
from dashboards.layout import Board
from dashboards.links import AREAS
from dashboards.options import BuildOptions
from dashboards.queries import Re, agg, panel_sql, sel
from dashboards.specs import FULL, HALF, Bars, Row, SqlTable, Target, Trend, stacked
from dashboards.units import unit_for
from dashboards.variables import VIRAL_WINDOW, VIRAL_WINDOW_VARIABLE, LabelVariable
from exporter.vocabulary import GroupName

GROUP = GroupName.VIRAL
AREA = AREAS[GROUP]
CHANNEL = Re("$channel")
SENT = "execmetrics_invitations_sent"
ACCEPTED = "execmetrics_invitations_accepted"
SENT_BY_CHANNEL = "execmetrics_invitations_sent_by_channel"
ACCEPTED_BY_CHANNEL = "execmetrics_invitations_accepted_by_channel"
CONVERSION = "execmetrics_invitation_conversion_ratio"
PER_SUPPLIER = "execmetrics_invites_per_supplier"
CHANNEL_VARIABLE = LabelVariable(
    "channel",
    "Channel",
    "Invitation channels shown by the per-channel panels (top N, the rest as 'other').",
    sel(SENT_BY_CHANNEL, window=VIRAL_WINDOW),
    "channel",
    multi=True,
)


def _per_channel(name: str) -> str:
    return agg(name, ("channel",), **IN_VIRAL_WINDOW, channel=CHANNEL)


def board(opts: BuildOptions) -> Board:
    def unit(name: str) -> str:
        return unit_for(name, opts.currency)

    return Board(
        uid=AREA.uid,
        title="Viral loop",
        description=(
            f"Suppliers invite couples: the viral coefficient K (target above {K_TEXT}), "
            "invitations sent and accepted over the viral window, conversion per channel, "
            "and the suppliers who invite the most in the time range."
        ),
        items=(
            Row("Summary"),
            *c.viral_cards(opts),
            Row("Trends"),
            c.viral_coefficient_trend(opts, size=HALF),
            Trend(
                "Invitations sent and accepted",
                f"{d(SENT)} {d(ACCEPTED)}",
                unit(SENT),
                HALF,
                targets=(
                    Target(agg(SENT, **IN_VIRAL_WINDOW), "sent ({{window}})"),
                    Target(agg(ACCEPTED, **IN_VIRAL_WINDOW), "accepted"),
                ),
                min=0,
            ),
            Trend(
                "Invitation conversion",
                d(CONVERSION),
                unit(CONVERSION),
                HALF.high(8),
                targets=(Target(agg(CONVERSION, **IN_VIRAL_WINDOW), "conversion"),),
                min=0,
            ),
            Trend(
                "Invites per active supplier",
                d(PER_SUPPLIER),
                unit(PER_SUPPLIER),
                HALF.high(8),
                targets=(Target(agg(PER_SUPPLIER, **IN_VIRAL_WINDOW), "invites per supplier"),),
                decimals=2,
                min=0,
            ),
            Row("By channel"),
            stacked(
                "Invitations sent by channel",
                d(SENT_BY_CHANNEL),
                unit(SENT),
                HALF,
                Target(_per_channel(SENT_BY_CHANNEL), "{{channel}}"),
            ),
            stacked(
                "Invitations accepted by channel",
                d(ACCEPTED_BY_CHANNEL),
                unit(ACCEPTED),
                HALF,
                Target(_per_channel(ACCEPTED_BY_CHANNEL), "{{channel}}"),
            ),
            Bars(
                "Conversion by channel",
                "Invitations accepted / sent in the viral window, per channel, at the end of "
                "the time range; channels with nothing sent are left out.",
                unit(CONVERSION),
                HALF.high(8),
                targets=(
                    Target(
                        f"{_per_channel(ACCEPTED_BY_CHANNEL)} / ({_per_channel(SENT_BY_CHANNEL)} > 0)",
                        "{{channel}}",
                    ),
                ),
            ),
            Bars(
                "Invitations sent by channel, now",
                d(SENT_BY_CHANNEL) + " At the end of the time range.",
                unit(SENT),
                HALF.high(8),
                targets=(Target(_per_channel(SENT_BY_CHANNEL), "{{channel}}"),),
            ),
            Row("Suppliers"),
            SqlTable(
                "Top inviting suppliers in the time range",
                "Suppliers ranked by invitations accepted, then sent, among the invitations "
                "sent in the dashboard's time range (accepted by its end), with the "
                "conversion in per cent; at most 50. From the exporter's read-only function "
                "grafana_top_inviters (PostgreSQL); business ids, categories and countries "
                "only.",
                unit(SENT),
                FULL.high(10),
                sql=panel_sql("top_inviters"),
            ),
            Row("Data"),
            c.area_quality(opts, GROUP),
            c.area_freshness(opts, GROUP),
            c.area_last_run(opts, GROUP),
        ),
        variables=(VIRAL_WINDOW_VARIABLE, CHANNEL_VARIABLE),
        tags=(GROUP,),
    )
