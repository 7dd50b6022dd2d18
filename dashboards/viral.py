"""Viral loop: K against its target, invitations and conversion, by channel, and the top
inviting suppliers (PostgreSQL)."""

from __future__ import annotations

from dashboards import cards as c
from dashboards.cards import IN_VIRAL_WINDOW, K_TEXT, d
from dashboards.common import Metric, area_board
from dashboards.layout import Board
from dashboards.options import BuildOptions
from dashboards.queries import Re, agg, panel_sql, sel
from dashboards.specs import FULL, HALF, Row, SqlTable, Target
from dashboards.variables import VIRAL_WINDOW, VIRAL_WINDOW_VARIABLE, LabelVariable
from exporter.vocabulary import GroupName

GROUP = GroupName.VIRAL
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


def _in_window(name: str, legend: str) -> Target:
    return Target(agg(name, **IN_VIRAL_WINDOW), legend)


def _per_channel(name: str) -> str:
    return agg(name, ("channel",), **IN_VIRAL_WINDOW, channel=CHANNEL)


def board(opts: BuildOptions) -> Board:
    m = Metric(opts)
    unit = m.unit
    conversion = f"{_per_channel(ACCEPTED_BY_CHANNEL)} / ({_per_channel(SENT_BY_CHANNEL)} > 0)"
    return area_board(
        opts,
        GROUP,
        f"Suppliers invite couples: the viral coefficient K (target above {K_TEXT}), "
        "invitations sent and accepted over the viral window, conversion per channel, "
        "and the suppliers who invite the most in the time range.",
        (
            *c.viral_cards(opts),
            Row("Trends"),
            c.viral_coefficient_trend(opts, size=HALF),
            m.trend(
                "Invitations sent and accepted",
                SENT,
                HALF,
                _in_window(SENT, "sent ({{window}})"),
                _in_window(ACCEPTED, "accepted"),
                description=f"{d(SENT)} {d(ACCEPTED)}",
                min=0,
            ),
            m.trend(
                "Invitation conversion",
                CONVERSION,
                HALF.high(8),
                _in_window(CONVERSION, "conversion"),
                min=0,
            ),
            m.trend(
                "Invites per active supplier",
                PER_SUPPLIER,
                HALF.high(8),
                _in_window(PER_SUPPLIER, "invites per supplier"),
                decimals=2,
                min=0,
            ),
            Row("By channel"),
            *(
                m.stacked(
                    f"Invitations {verb} by channel",
                    name,
                    HALF,
                    Target(_per_channel(name), "{{channel}}"),
                    unit=total,
                )
                for verb, name, total in (
                    ("sent", SENT_BY_CHANNEL, SENT),
                    ("accepted", ACCEPTED_BY_CHANNEL, ACCEPTED),
                )
            ),
            m.bars(
                "Conversion by channel",
                CONVERSION,
                HALF.high(8),
                Target(conversion, "{{channel}}"),
                description="Invitations accepted / sent in the viral window, per channel, at "
                "the end of the time range; channels with nothing sent are left out.",
            ),
            m.bars(
                "Invitations sent by channel, now",
                SENT_BY_CHANNEL,
                HALF.high(8),
                Target(_per_channel(SENT_BY_CHANNEL), "{{channel}}"),
                note=" At the end of the time range.",
                unit=SENT,
            ),
            Row("Suppliers"),
            SqlTable(
                "Top inviting suppliers in the time range",
                "Suppliers ranked by invitations accepted, then sent, among the invitations "
                "sent in the dashboard's time range (accepted by its end), with the "
                "conversion in per cent; at most 50. From the exporter's read-only function "
                "records_top_inviters (PostgreSQL); business ids, categories and countries "
                "only.",
                unit(SENT),
                FULL.high(10),
                sql=panel_sql("top_inviters"),
            ),
        ),
        (VIRAL_WINDOW_VARIABLE, CHANNEL_VARIABLE),
    )
