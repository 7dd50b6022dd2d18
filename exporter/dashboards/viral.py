"""Viral loop: K against its 1.0 target, invitations and conversion, by channel, and the top
inviting suppliers (PostgreSQL)."""

from __future__ import annotations

from exporter import catalog
from exporter.dashboards import panels as p
from exporter.dashboards.common import (
    AREAS,
    VIRAL_WINDOW,
    Bars,
    Board,
    BuildOptions,
    LabelVariable,
    Re,
    Row,
    SqlTable,
    Target,
    Trend,
    panel_sql,
    sel,
    unit_for,
    viral_window_variable,
)

AREA = AREAS["viral"]
CHANNEL = Re("$channel")


def _channel_variable() -> LabelVariable:
    return LabelVariable(
        "channel",
        "Channel",
        "Invitation channels shown by the per-channel panels (top N, the rest as 'other').",
        sel("execmetrics_invitations_sent_by_channel", window=VIRAL_WINDOW),
        "channel",
        multi=True,
    )


def board(opts: BuildOptions) -> Board:
    sent = "execmetrics_invitations_sent"
    accepted = "execmetrics_invitations_accepted"
    sent_ch = sel("execmetrics_invitations_sent_by_channel", window=VIRAL_WINDOW, channel=CHANNEL)
    acc_ch = sel(
        "execmetrics_invitations_accepted_by_channel", window=VIRAL_WINDOW, channel=CHANNEL
    )
    ratio = "execmetrics_invitation_conversion_ratio"
    per_supplier = "execmetrics_invites_per_supplier"
    return Board(
        uid=AREA.uid,
        title="Viral loop",
        description=(
            "Suppliers invite couples: the viral coefficient K (target above 1.0), "
            "invitations sent and accepted over the viral window, conversion per channel, "
            "and the suppliers who invite the most in the time range."
        ),
        items=(
            Row("Summary"),
            *p.viral_cards(opts),
            Row("Trends"),
            p.viral_coefficient_trend(opts, width=12),
            Trend(
                "Invitations sent and accepted",
                f"{catalog.BY_NAME[sent].definition} {catalog.BY_NAME[accepted].definition}",
                unit_for(sent, opts),
                12,
                9,
                targets=(
                    Target(f"sum({sel(sent, window=VIRAL_WINDOW)})", "sent ({{window}})"),
                    Target(f"sum({sel(accepted, window=VIRAL_WINDOW)})", "accepted"),
                ),
                min=0,
            ),
            Trend(
                "Invitation conversion",
                catalog.BY_NAME[ratio].definition,
                unit_for(ratio, opts),
                12,
                8,
                targets=(Target(f"max({sel(ratio, window=VIRAL_WINDOW)})", "conversion"),),
                min=0,
            ),
            Trend(
                "Invites per active supplier",
                catalog.BY_NAME[per_supplier].definition,
                unit_for(per_supplier, opts),
                12,
                8,
                targets=(
                    Target(
                        f"max({sel(per_supplier, window=VIRAL_WINDOW)})", "invites per supplier"
                    ),
                ),
                decimals=2,
                min=0,
            ),
            Row("By channel"),
            Trend(
                "Invitations sent by channel",
                catalog.BY_NAME["execmetrics_invitations_sent_by_channel"].definition,
                unit_for(sent, opts),
                12,
                9,
                targets=(Target(f"sum by (channel) ({sent_ch})", "{{channel}}"),),
                stacked=True,
                fill=60,
            ),
            Trend(
                "Invitations accepted by channel",
                catalog.BY_NAME["execmetrics_invitations_accepted_by_channel"].definition,
                unit_for(accepted, opts),
                12,
                9,
                targets=(Target(f"sum by (channel) ({acc_ch})", "{{channel}}"),),
                stacked=True,
                fill=60,
            ),
            Bars(
                "Conversion by channel",
                "Invitations accepted / sent in the viral window, per channel, at the end of "
                "the time range; channels with nothing sent are left out.",
                unit_for(ratio, opts),
                12,
                8,
                targets=(
                    Target(
                        f"sum by (channel) ({acc_ch}) / (sum by (channel) ({sent_ch}) > 0)",
                        "{{channel}}",
                    ),
                ),
            ),
            Bars(
                "Invitations sent by channel, now",
                catalog.BY_NAME["execmetrics_invitations_sent_by_channel"].definition
                + " At the end of the time range.",
                unit_for(sent, opts),
                12,
                8,
                targets=(Target(f"sum by (channel) ({sent_ch})", "{{channel}}"),),
            ),
            Row("Suppliers"),
            SqlTable(
                "Top inviting suppliers in the time range",
                "Suppliers ranked by invitations accepted, then sent, among the invitations "
                "sent in the dashboard's time range (accepted by its end), with the "
                "conversion in per cent; at most 50. From the exporter's read-only function "
                "grafana_top_inviters (PostgreSQL); business ids, categories and countries "
                "only.",
                unit_for(sent, opts),
                24,
                10,
                sql=panel_sql("top_inviters", opts.schema),
            ),
            Row("Data"),
            p.area_quality(opts, "viral"),
            p.area_freshness(opts, "viral"),
            p.area_last_run(opts, "viral"),
        ),
        variables=(viral_window_variable(), _channel_variable()),
        uses_postgres=True,
        tags=("viral",),
    )
