"""Two small hand-checked data sets in Europe/London, loaded after a migrate.

``clock_change_week`` spans the spring clock change of 2026 (the backfill's range);
``march_2026`` is a whole month with every kind of MRR movement (the board report's).
Both share their last session and their accepted invitation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from tests.instants import ts
from tests.support import Row, config, couple, invite, load, migrate, session, sub, supplier

if TYPE_CHECKING:
    from exporter.config import Config

ZONE = "Europe/London"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
# clock_change_week: the backfill's days, the last three after the clock change.
FIRST, LAST = date(2026, 3, 27), date(2026, 3, 31)


def _activity(supplier_1_at: str, couple_10_at: str, invite_2_sent: str) -> dict[str, list[Row]]:
    """Three sessions (suppliers 1 and 2, couple 10) and two invitations (one accepted)."""
    return {
        "user_sessions": [
            session(1, ts(supplier_1_at), supplier_id=1, duration=600),
            session(2, ts(couple_10_at), couple_id=10, duration=1200),
            session(3, ts("2026-03-30 08:00"), supplier_id=2, duration=300),
        ],
        "invitations": [
            invite(1, 1, ts("2026-03-20 10:00"), ts("2026-03-29 11:00"), couple_id=11),
            invite(2, 2, ts(invite_2_sent)),
        ],
    }


def clock_change_week(url: str) -> Config:
    cfg = config(tz=ZONE)
    migrate(url, cfg)
    load(
        url,
        suppliers=[supplier(1), supplier(2, ts("2026-03-28 09:00")), supplier(3)],
        couples=[couple(10), couple(11, ts("2026-03-29 12:00"))],
        subscriptions=[
            sub(1, 1, 2999, ts("2026-01-10 00:00")),
            sub(2, 2, 12000, ts("2026-03-28 12:00"), interval_months=12, plan="annual"),
            sub(3, 3, 5000, ts("2026-01-05 00:00"), ended_at=ts("2026-03-30 10:00")),
        ],
        **_activity("2026-03-26 10:00", "2026-03-28 22:30", "2026-03-29 10:00"),
    )
    return cfg


def march_2026(url: str) -> Config:
    cfg = config(tz=ZONE)
    migrate(url, cfg)
    load(
        url,
        suppliers=[
            supplier(1, ts("2025-01-01 00:00"), category="photography"),
            supplier(2, ts("2026-03-14 09:00"), category="venues"),
            supplier(3, ts("2025-05-01 00:00"), category="florists"),
            supplier(4, ts("2025-01-20 00:00"), category="bands"),
        ],
        couples=[
            couple(10, ts("2025-03-05 00:00")),
            couple(11, ts("2026-03-29 12:00")),
            couple(12, ts("2026-03-31 23:30")),  # 1 April local: not a March sign-up
        ],
        subscriptions=[
            sub(1, 1, 2999, ts("2025-01-10 00:00")),
            sub(2, 2, 12000, ts("2026-03-15 12:00"), interval_months=12, plan="annual"),
            sub(3, 3, 5000, ts("2025-06-01 00:00"), ended_at=ts("2026-03-20 10:00")),
            sub(4, 4, 2000, ts("2025-02-01 00:00"), ended_at=ts("2026-03-10 00:00")),
            sub(5, 4, 3500, ts("2026-03-10 00:00"), plan="pro"),
        ],
        **_activity("2026-03-31 10:00", "2026-03-20 22:30", "2026-03-25 10:00"),
    )
    return cfg
