"""Random rows thrown at the engine: the extremes the source contract admits.

Huge amounts (up to bigint's largest), timestamps in years 1 and 9999, fx rates that
are NaN, ±Infinity, 0 or negative, empty and non-ASCII text, and NULL in every column
exporter/contract.py declares nullable. Whatever comes, every group computes (never a
crash), no exported value is NaN or ±Inf, and every data-quality count equals the
oracle's (tests/oracle.py).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.contract import TABLES
from tests import oracle
from tests.instants import T
from tests.support import config, evaluate, load, migrate, truncate

SHARED_DATABASE = True  # see conftest's db_url

TZ = "America/New_York"  # west of UTC: year-1 instants are local dates in year 1 too
BIGINT = 2**63 - 1

NULLABLE = {t.name.value: {c.name for c in t.columns if c.nullable} for t in TABLES}

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
_label = st.one_of(st.just(""), st.just(" "), st.just("Fotografía 写真 💍"), _text)

_instants = st.one_of(
    st.sampled_from(
        [
            datetime(1, 1, 2, tzinfo=UTC),  # year 1 (its first day would be year 0 locally)
            datetime(1, 6, 1, 12, tzinfo=UTC),
            datetime(9999, 12, 30, 23, 59, tzinfo=UTC),
            datetime(9999, 1, 1, tzinfo=UTC),
            T,
            T - timedelta(days=1),
            T + timedelta(minutes=5),
            T + timedelta(minutes=5, microseconds=1),
        ]
    ),
    st.datetimes(
        min_value=datetime(2023, 1, 1), max_value=datetime(2025, 1, 1), timezones=st.just(UTC)
    ),
)
# The run's wall clock: T (a live run, so the instants at T + 5 minutes are the edge),
# a day before T (T ahead of the clock) or a day after it (rows stamped since T are no issue).
WALLS = [T, T - timedelta(days=1), T + timedelta(days=1)]
_amounts = st.one_of(
    st.sampled_from([0, 1, -1, BIGINT, -BIGINT, BIGINT // 2, 10**15]),
    st.integers(-(10**6), 10**6),
)
_rates = st.one_of(
    st.sampled_from(["NaN", "Infinity", "-Infinity", "0", "-0", "-1.5", "1e-30", "1e30"]),
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(1000), places=4),
)
_currencies = st.sampled_from(["GBP", "EUR", "USD", "JPY", "ÄÖÜ"])


def _maybe(column: str, table: str, value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """NULL too, where the contract allows it."""
    return st.one_of(st.none(), value) if column in NULLABLE[table] else value


def _rows(
    draw: st.DrawFn, table: str, most: int, values: dict[str, st.SearchStrategy[Any]]
) -> list[dict[str, Any]]:
    """Up to ``most`` rows of ``table`` with ids 1, 2...: each column drawn from its
    strategy, or NULL too where the contract allows it."""
    return [
        {"id": i, **{c: draw(_maybe(c, table, v)) for c, v in values.items()}}
        for i in range(1, draw(st.integers(0, most)) + 1)
    ]


@st.composite
def datasets(draw: st.DrawFn) -> oracle.Tables:
    ids = st.integers(1, 6)
    weddings = st.sampled_from([date(1, 1, 2), date(9999, 12, 31)])
    suppliers = _rows(
        draw,
        "suppliers",
        5,
        {"created_at": _instants, "deleted_at": _instants, "category": _label, "country": _label},
    )
    couples = _rows(
        draw,
        "couples",
        4,
        {
            "created_at": _instants,
            "deleted_at": _instants,
            "wedding_date": weddings,
            "country": _label,
        },
    )
    subscriptions = _rows(
        draw,
        "subscriptions",
        8,
        {
            "supplier_id": ids,
            "plan": _label,
            "status": _label,
            "amount_minor": _amounts,
            "currency": _currencies,
            "interval_months": st.sampled_from([1, 12, 0, -1, 2**31 - 1]),
            "started_at": _instants,
            "trial_ends_at": _instants,
            "ended_at": _instants,
        },
    )
    rates: dict[tuple[str, date], Decimal] = {}
    for _ in range(draw(st.integers(0, 6))):
        day = draw(
            st.sampled_from([date(1, 1, 1), date(2020, 1, 1), date(2024, 6, 1), date(9999, 12, 31)])
        )
        rates[(draw(_currencies), day)] = Decimal(draw(_rates))
    fx_rates = [{"currency": c, "valid_from": d, "rate": r} for (c, d), r in rates.items()]
    durations = st.sampled_from([0, -1, 1, 60, 2**31 - 1, -(2**31)])
    sessions = []
    for i in range(1, draw(st.integers(0, 8)) + 1):
        kind = draw(st.sampled_from(["supplier", "couple", "both", "none"]))
        sessions.append(
            {
                "id": i,
                "supplier_id": draw(ids) if kind in ("supplier", "both") else None,
                "couple_id": draw(ids) if kind in ("couple", "both") else None,
                "created_at": draw(_instants),
                "session_duration": draw(_maybe("session_duration", "user_sessions", durations)),
            }
        )
    invitations = _rows(
        draw,
        "invitations",
        6,
        {
            "supplier_id": ids,
            "couple_id": ids,
            "channel": _label,
            "sent_at": _instants,
            "accepted_at": _instants,
        },
    )
    return oracle.tables(suppliers, couples, subscriptions, fx_rates, sessions, invitations)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tables=datasets(), wall=st.sampled_from(WALLS))
def test_random_rows_never_crash_nor_export_nan_and_quality_counts_agree(
    db_url: str, tables: oracle.Tables, wall: datetime
) -> None:
    cfg = config(tz=TZ)
    migrate(db_url, cfg)
    truncate(db_url)
    load(db_url, **tables)
    ev = evaluate(db_url, cfg, T, wall)  # asserts that no group failed
    bad = {k: v for k, v in ev.items() if not math.isfinite(v)}
    assert not bad, bad
    expected = oracle.quality_metrics(oracle.settings_of(cfg), T, oracle.source(tables), wall=wall)
    got = {k: v for k, v in ev.items() if k[0] == "execmetrics_data_quality_issues"}
    assert got == expected
