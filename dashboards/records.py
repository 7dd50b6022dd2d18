"""The records behind the cards: one table per set of records, on its area board's
collapsed "Records" row, each a call of one read-only ``records_`` function of
sql/views/60_grafana_records.sql at the board's instant (``$__timeTo()``).

Each table has a fixed panel id (:data:`FIRST_ID` + its place in :data:`RECORDS`), so
that a card of the overview links to it (``viewPanel``) without building the board
first. The tables show business ids (as text, so that no unit applies to them),
categories, countries, plans, channels, amounts and instants only, at most
:data:`MAX_ROWS` rows (the functions' ``max_rows``).
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.links import AREAS, PanelLink
from dashboards.options import BuildOptions
from dashboards.specs import FULL, Size, SqlTable
from dashboards.units import currency_unit
from dashboards.variables import VIRAL_WINDOW
from exporter.config import EngagementConfig
from exporter.vocabulary import TARGETS, GroupName

# The row limit passed to every records_ function (its default; the functions cap it
# at 10000).
MAX_ROWS = 1000
# Panel ids of the records tables: FIRST_ID, FIRST_ID + 1, ... in RECORDS order, above
# the ids build_board numbers the other panels with (1.. in layout order).
FIRST_ID = 100
AT = "$__timeTo()"
# Grafana writes the macro as a quoted literal: typed, so that an interval subtracts.
AT_TYPED = f"{AT}::timestamptz"
VIRAL_INTERVAL = f"'{VIRAL_WINDOW}'::interval"
QUIET = f"interval '{TARGETS.at_risk_quiet_period.days} days'"
# The engagement window and session cap of the default config (the card's).
ENGAGEMENT = EngagementConfig()
ENGAGEMENT_WINDOW = f"interval '{int(ENGAGEMENT.window.delta.total_seconds() // 3600)} hours'"
SESSION_CAP = str(ENGAGEMENT.session_cap)
MONEY = "money"  # the reporting currency's unit, resolved per build
TABLE = Size(FULL.width, 10)


@dataclass(frozen=True)
class Records:
    """A table of the records behind some cards: ``function`` called with ``args``,
    the columns ``select`` of its rows (``where`` keeps some), in ``order``."""

    key: str
    group: GroupName
    title: str
    description: str
    function: str
    args: tuple[str, ...]
    select: str
    order: str
    unit: str = "none"
    where: str = ""
    size: Size = TABLE

    @property
    def panel_id(self) -> int:
        return FIRST_ID + list(RECORDS).index(self.key)

    @property
    def call(self) -> str:
        return f"{self.function}({', '.join(self.args)})"

    @property
    def sql(self) -> str:
        lines = [f"SELECT {self.select}", f"FROM {self.call}"]
        if self.where:
            lines.append(f"WHERE {self.where}")
        lines.append(f"ORDER BY {self.order}")
        return "\n".join(lines)

    def table(self, opts: BuildOptions) -> SqlTable:
        unit = currency_unit(opts.currency) if self.unit == MONEY else self.unit
        about = (
            f"{self.description} From the exporter's read-only function {self.function} "
            f"(PostgreSQL) at the end of the time range, at most {MAX_ROWS} rows; business "
            "ids and categories only."
        )
        return SqlTable(self.title, about, unit, self.size, sql=self.sql, panel_id=self.panel_id)

    def link(self) -> PanelLink:
        return PanelLink(AREAS[self.group], self.panel_id, self.title)


SUPPLIER = 'supplier_id::text AS "Supplier id", category AS "Category"'
MOVEMENT_COLUMNS = (
    f'{SUPPLIER}, country AS "Country", plan AS "Plan", movement AS "Movement", '
    'round(mrr_start, 2) AS "MRR a month before", round(mrr_end, 2) AS "MRR now", '
    'round(mrr_change, 2) AS "MRR change"'
)
ACTIVE_COLUMNS = (
    'user_type AS "Side", user_id::text AS "Id", coalesce(category, \'-\') AS "Category", '
    'last_seen_at AS "Last seen", active_1d AS "Active in the last day", '
    'active_7d AS "Active in the last 7 days"'
)

RECORDS: dict[str, Records] = {
    r.key: r
    for r in (
        Records(
            "paying_suppliers",
            GroupName.REVENUE,
            "Paying suppliers now",
            "The suppliers paying at the end of the time range, largest MRR first: their "
            "number is the Paying suppliers card, their MRR sums to the MRR card (and to "
            "ARR / 12); ARPA is that MRR over their number.",
            "records_paying_suppliers",
            (AT, str(MAX_ROWS)),
            f'{SUPPLIER}, country AS "Country", plan AS "Plan", round(mrr, 2) AS "MRR"',
            '"MRR" DESC, supplier_id',
            MONEY,
        ),
        Records(
            "mrr_movements",
            GroupName.REVENUE,
            "MRR movements of the month to now",
            "Every supplier whose MRR moved in the calendar month to the end of the time "
            "range (new, reactivation, expansion, contraction, churn), with the MRR then "
            "and now: per movement, the changes sum to the month's movement that MRR change "
            "(month over month) and net revenue retention are made of.",
            "records_mrr_movements",
            (AT, str(MAX_ROWS)),
            MOVEMENT_COLUMNS,
            "movement, abs(mrr_change) DESC, supplier_id",
            MONEY,
        ),
        Records(
            "mrr_losses",
            GroupName.REVENUE,
            "Suppliers who churned or contracted in the month to now",
            "The suppliers who stopped paying (churn) or pay less (contraction) than a "
            "calendar month before the end of the time range, largest loss first: the "
            "churned suppliers make customer churn, the losses of both make revenue churn.",
            "records_mrr_movements",
            (AT, str(MAX_ROWS)),
            MOVEMENT_COLUMNS,
            "mrr_change, supplier_id",
            MONEY,
            where="movement IN ('churn', 'contraction')",
        ),
        Records(
            "active_users",
            GroupName.USERS,
            "Users active in the last 30 days",
            "Suppliers and couples with a session in the 30 days to the end of the time "
            "range, most recently seen first, and whether they were active in the last day "
            "and the last 7 days: per side, the rows are the active users (MAU) and those "
            "marked make DAU and WAU.",
            "records_active_users",
            (AT, str(MAX_ROWS)),
            ACTIVE_COLUMNS,
            "last_seen_at DESC, user_type, user_id",
        ),
        Records(
            "engaged_users",
            GroupName.ENGAGEMENT,
            "Users active in the last 30 days and the last day",
            "Suppliers and couples with a session in the 30 days to the end of the time "
            "range, most recently seen first: per side, those active in the last day over "
            "all the rows is the side's DAU/MAU stickiness; both sides together, the "
            "overall stickiness.",
            "records_active_users",
            (AT, str(MAX_ROWS)),
            ACTIVE_COLUMNS,
            "last_seen_at DESC, user_type, user_id",
        ),
        Records(
            "sessions",
            GroupName.ENGAGEMENT,
            "Sessions of the engagement window",
            f"The sessions with a duration created in the {ENGAGEMENT.window} to the end of "
            f"the time range, newest first, each duration capped at {ENGAGEMENT.session_cap} "
            "s: their mean duration is the Average session duration card (when all fit).",
            "records_sessions",
            (AT, ENGAGEMENT_WINDOW, SESSION_CAP, str(MAX_ROWS)),
            'session_id::text AS "Session id", user_type AS "Side", user_id::text AS "Id", '
            'coalesce(category, \'-\') AS "Category", created_at AS "Started", '
            'duration_seconds AS "Duration"',
            "created_at DESC, session_id",
            "s",
        ),
        Records(
            "signups",
            GroupName.USERS,
            "Sign-ups of the last 30 days per side",
            "Suppliers and couples created in the 30 days to the end of the time range, per "
            "side and newest first, with whether the account still exists: the first rows "
            "of each side since local midnight are the Sign-ups today card.",
            "records_signups",
            (f"{AT_TYPED} - interval '30 days'", AT, str(MAX_ROWS)),
            'user_type AS "Side", user_id::text AS "Id", coalesce(category, \'-\') AS '
            '"Category", country AS "Country", created_at AS "Signed up", registered AS '
            '"Still registered"',
            "user_type DESC, created_at DESC, user_id",
        ),
        Records(
            "k_invitations",
            GroupName.VIRAL,
            "Invitations accepted in the viral window",
            "The invitations sent in the viral window to the end of the time range and "
            "accepted by then, with the supplier who sent each and how long the couple "
            "took, quickest first: their number is the accepted count of the Invitations card, "
            "the numerator of K and of the conversion.",
            "records_k_invitations",
            (AT, VIRAL_INTERVAL, str(MAX_ROWS)),
            'invitation_id::text AS "Invitation id", channel AS "Channel", '
            'supplier_id::text AS "Supplier id", lag_seconds AS "Accepted after"',
            "lag_seconds, invitation_id",
            "s",
        ),
        Records(
            "inviters",
            GroupName.VIRAL,
            "Inviting suppliers in the viral window",
            "Every supplier who sent an invitation in the viral window to the end of the "
            "time range, ranked by invitations accepted, then sent: the sent column sums to "
            "the Invitations card's sent count, the numerator of invites per active supplier.",
            "records_top_inviters",
            (f"{AT_TYPED} - {VIRAL_INTERVAL}", AT, str(MAX_ROWS)),
            f'rank AS "Rank", {SUPPLIER}, country AS "Country", invitations_sent AS "Sent", '
            'invitations_accepted AS "Accepted"',
            "rank",
        ),
        Records(
            "at_risk",
            GroupName.GROWTH,
            "Suppliers at risk now",
            "Paying suppliers with no session and no invitation sent in the "
            f"{TARGETS.at_risk_quiet_period.days} days to the end of the time range, largest "
            "MRR first: their MRR sums to MRR at risk.",
            "records_at_risk",
            (AT, QUIET, str(MAX_ROWS)),
            f'{SUPPLIER}, country AS "Country", plan AS "Plan", round(mrr, 2) AS "MRR"',
            '"MRR" DESC, supplier_id',
            MONEY,
        ),
        Records(
            "trials",
            GroupName.GROWTH,
            "Trials that ended in the month to now",
            "Paid subscriptions whose trial ended in the calendar month to the end of the "
            "time range, latest first, and whether each went on past its trial: the share "
            "converted is the Trial conversion card.",
            "records_trials",
            (AT, str(MAX_ROWS)),
            f'{SUPPLIER}, country AS "Country", plan AS "Plan", trial_ends_at AS "Trial ended", '
            'converted AS "Converted", round(mrr, 2) AS "MRR"',
            '"Trial ended" DESC, supplier_id',
            MONEY,
        ),
        Records(
            "lifecycle",
            GroupName.GROWTH,
            "Users by lifecycle state",
            "Suppliers and couples seen in the 60 days to the end of the time range, by "
            "state: new, returning or resurrected (active in the last 30 days) or dormant "
            "(active in the 30 before only). Per side, (new + resurrected) / dormant is the "
            "users' quick ratio.",
            "records_lifecycle",
            (AT, str(MAX_ROWS)),
            'state AS "State", user_type AS "Side", user_id::text AS "Id", '
            'coalesce(category, \'-\') AS "Category", first_seen_at AS "First seen", '
            'last_seen_at AS "Last seen"',
            "state, user_type, user_id",
        ),
        Records(
            "revenue_cohorts",
            GroupName.GROWTH,
            "Supplier cohort members",
            "Suppliers by the local month they first paid in, over the 12 months before "
            "the end of the time range's, with their MRR then and now: per cohort, the "
            "share still paying is the logo retention and the MRR now over the MRR then "
            "the MRR retention.",
            "records_revenue_cohorts",
            (AT, str(MAX_ROWS)),
            f'cohort AS "Cohort", {SUPPLIER}, country AS "Country", first_paid_at AS '
            '"First paid", round(mrr_first, 2) AS "MRR first", round(mrr_now, 2) AS "MRR now"',
            "cohort, supplier_id",
            MONEY,
        ),
        Records(
            "activity_cohorts",
            GroupName.GROWTH,
            "User cohort members",
            "Suppliers and couples by the local month they signed up in, over the 12 months "
            "before the end of the time range's, and whether each was active in its last 30 "
            "days: per side and cohort, the share active is the active cohort ratio.",
            "records_activity_cohorts",
            (AT, str(MAX_ROWS)),
            'user_type AS "Side", cohort AS "Cohort", user_id::text AS "Id", active AS '
            '"Active in the last 30 days"',
            "user_type, cohort, user_id",
        ),
    )
}


def records_of(group: GroupName) -> list[Records]:
    """The records tables of an area board, in RECORDS order."""
    return [r for r in RECORDS.values() if r.group == group]
