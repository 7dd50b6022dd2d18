"""The demo data generator: determinism, refusal and replace, the SPEC §3 bad rows, and
the shapes the dashboards and metrics rely on. Small scale only, on a real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from exporter.contract import SourceTable
from exporter.errors import ConfigError, DatabaseError, SchemaError
from exporter.seed import (
    BAD_ROWS,
    SCALES,
    UNRATED_CURRENCY,
    SeedResult,
    default_end,
    seed,
    world,
)
from exporter.vocabulary import Check

S = SourceTable
TABLES = tuple(SourceTable)

END = datetime(2026, 11, 29, 21, 0, tzinfo=UTC)
REFERENCE_SQL = Path(__file__).resolve().parents[1] / "sql" / "reference" / "source_tables.sql"
# A schema name that only works when quoted as an identifier.
ODD_SCHEMA = 'Demo "src"'


def create_source_tables(url: str, schema: str = "public") -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(schema)))
        conn.execute(REFERENCE_SQL.read_text())


def query(url: str, statement: str, params: Any = None, schema: str = "public") -> list[Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(schema)))
        return conn.execute(statement, params).fetchall()


def scalar(url: str, statement: str, params: Any = None) -> Any:
    return query(url, statement, params)[0][0]


def fingerprints(url: str, schema: str = "public") -> dict[str, str]:
    """md5 of each table's rows as text, in id (or key) order."""
    result = {}
    for table in TABLES:
        order = "currency, valid_from" if table == "fx_rates" else "id"
        statement = f"SELECT md5(string_agg(t::text, E'\\n' ORDER BY {order})) FROM {table} t"
        result[table] = query(url, statement, schema=schema)[0][0]
    return result


@pytest.fixture(scope="module")
def seeded(pg_server_url: str) -> Iterator[tuple[str, SeedResult]]:
    """One small seed shared by the read-only tests of this module."""
    name = f"t_seed_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(pg_server_url, dbname=name)
    try:
        create_source_tables(url)
        yield url, seed(url, "public", "small", end=END, progress=False)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def seeded_url(seeded: tuple[str, SeedResult]) -> str:
    return seeded[0]


# --- API and database behaviour ------------------------------------------------------


def test_result_reports_the_rows_loaded(seeded: tuple[str, SeedResult]) -> None:
    url, result = seeded
    assert result.scale == "small"
    assert result.end == END
    assert result.seconds > 0
    assert set(result.rows) == set(TABLES)
    for table in TABLES:
        assert result.rows[table] == scalar(url, f"SELECT count(*) FROM {table}")
    small = SCALES["small"]
    assert (
        result.rows["suppliers"]
        == small.suppliers + BAD_ROWS[Check.TIMESTAMP_IN_FUTURE, S.SUPPLIERS]
    )
    assert result.rows["couples"] == small.couples + BAD_ROWS[Check.TIMESTAMP_IN_FUTURE, S.COUPLES]
    assert 0.9 * small.sessions <= result.rows["user_sessions"] <= 1.1 * small.sessions
    assert 5_000 <= result.rows["invitations"] <= 30_000


def test_ids_are_sequential_from_one(seeded_url: str) -> None:
    for table in TABLES:
        if table == "fx_rates":
            continue
        low, high, count = query(seeded_url, f"SELECT min(id), max(id), count(*) FROM {table}")[0]
        assert (low, high) == (1, count), table


def test_same_end_and_seed_give_identical_tables(seeded_url: str, db_url: str) -> None:
    create_source_tables(db_url, ODD_SCHEMA)
    seed(db_url, ODD_SCHEMA, "small", end=END, progress=False)
    assert fingerprints(db_url, ODD_SCHEMA) == fingerprints(seeded_url)


def test_another_random_seed_gives_other_data() -> None:
    def first_sessions(random_seed: int) -> list[tuple[Any, ...]]:
        tables = {load.table: load.rows for load in world(SCALES["small"], END, random_seed)}
        return list(islice(tables["user_sessions"], 200))

    assert first_sessions(1) != first_sessions(2)


def test_refuses_existing_data_and_replace_reloads(
    seeded_url: str, db_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    create_source_tables(db_url)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO suppliers VALUES (1, now(), NULL, 'venue', 'GB')")
    with pytest.raises(SchemaError, match=r"already hold data \(suppliers\).*--replace"):
        seed(db_url, "public", "small", end=END, progress=False)
    assert scalar(db_url, "SELECT count(*) FROM suppliers") == 1
    capfd.readouterr()
    seed(db_url, "public", "small", end=END, replace=True, progress=True)
    assert "user_sessions" in capfd.readouterr().err
    assert fingerprints(db_url) == fingerprints(seeded_url)


def test_missing_tables_are_named(db_url: str) -> None:
    with pytest.raises(SchemaError, match="missing in schema 'public': suppliers, couples"):
        seed(db_url, "public", "small", end=END, progress=False)
    create_source_tables(db_url)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DROP TABLE invitations")
    with pytest.raises(SchemaError, match=r"missing in schema 'public': invitations;"):
        seed(db_url, "public", "small", end=END, progress=False)


def test_connect_error_is_one_line_without_password() -> None:
    with pytest.raises(DatabaseError) as caught:
        seed("postgresql://ann:s3cr3t-pw@127.0.0.1:1/x", "public", "small", progress=False)
    message = str(caught.value)
    assert "\n" not in message
    assert "s3cr3t-pw" not in message


def test_unknown_scale_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="small, medium, large"):
        seed("postgresql://127.0.0.1:1/x", "public", "huge")


def test_default_end_is_now_truncated_to_the_hour() -> None:
    now = datetime(2026, 3, 4, 5, 6, 7, 8, tzinfo=UTC)
    assert default_end(now) == datetime(2026, 3, 4, 5, tzinfo=UTC)
    assert default_end().minute == 0


# --- Deliberate data-quality rows ----------------------------------------------------


def _bad_row_counts(end: datetime) -> list[tuple[str, tuple[Any, ...] | None, list[Any]]]:
    """(query, its parameters, what each of its columns counts: a BAD_ROWS key or a value)."""
    sub = S.SUBSCRIPTIONS
    negative = (Check.SUBSCRIPTION_NEGATIVE_AMOUNT, sub)
    missing_fx = (Check.SUBSCRIPTION_MISSING_FX_RATE, sub)
    inv = S.INVITATIONS
    return [
        (
            "SELECT count(*) FILTER (WHERE amount_minor < 0),"
            " count(*) FILTER (WHERE currency NOT IN ('GBP', 'EUR', 'USD')),"
            " count(*) FILTER (WHERE currency = %s),"
            " count(*) FILTER (WHERE ended_at < started_at)"
            " FROM subscriptions",
            (UNRATED_CURRENCY,),
            [negative, missing_fx, missing_fx, (Check.SUBSCRIPTION_ENDED_BEFORE_STARTED, sub)],
        ),
        ("SELECT count(*) FROM fx_rates WHERE currency = %s", ("CHF",), [0]),
        (
            "SELECT count(*) FILTER (WHERE rate = 0), count(*) FILTER (WHERE rate < 0),"
            " count(*) FILTER (WHERE rate = 'NaN'),"
            " bool_and(valid_from < (SELECT min(valid_from) FROM fx_rates g"
            "   WHERE g.currency = f.currency AND g.rate > 0 AND g.rate <> 'NaN'))"
            " FROM fx_rates f WHERE NOT (rate > 0 AND rate <> 'NaN')",
            None,
            [(Check.FX_RATE_INVALID, kind) for kind in ("zero", "negative", "NaN")] + [True],
        ),
        (
            "SELECT count(*) FILTER (WHERE supplier_id IS NOT NULL AND couple_id IS NOT NULL),"
            " count(*) FILTER (WHERE supplier_id IS NULL AND couple_id IS NULL),"
            " count(*) FILTER (WHERE session_duration = 0),"
            " count(*) FILTER (WHERE session_duration < 0),"
            " count(*) FILTER (WHERE created_at > %s)"
            " FROM user_sessions",
            (end,),
            [(Check.SESSION_USER_NOT_EXACTLY_ONE, k) for k in ("both ids", "neither id")]
            + [(Check.SESSION_NONPOSITIVE_DURATION, k) for k in ("zero", "negative")]
            + [(Check.TIMESTAMP_IN_FUTURE, S.USER_SESSIONS)],
        ),
        (
            "SELECT count(*) FILTER (WHERE accepted_at < sent_at),"
            " count(*) FILTER (WHERE sent_at > %s) FROM invitations",
            (end,),
            [(Check.INVITATION_ACCEPTED_BEFORE_SENT, inv), (Check.TIMESTAMP_IN_FUTURE, inv)],
        ),
    ]


def test_bad_rows_are_present_in_the_declared_counts(seeded_url: str) -> None:
    end = END
    for statement, params, counts in _bad_row_counts(end):
        expected = tuple(BAD_ROWS[c] if isinstance(c, tuple) else c for c in counts)
        assert query(seeded_url, statement, params)[0] == expected, statement
    for table in (S.SUPPLIERS, S.COUPLES):
        assert (
            scalar(seeded_url, f"SELECT count(*) FROM {table} WHERE created_at > %s", (end,))
            == (BAD_ROWS[Check.TIMESTAMP_IN_FUTURE, table])
        )


def test_future_rows_are_one_to_three_days_after_end(seeded_url: str) -> None:
    lag = query(
        seeded_url,
        "SELECT min(t) - %(end)s, max(t) - %(end)s FROM ("
        " SELECT created_at AS t FROM suppliers UNION ALL"
        " SELECT created_at FROM couples UNION ALL"
        " SELECT created_at FROM user_sessions UNION ALL"
        " SELECT sent_at FROM invitations) x WHERE t > %(end)s",
        {"end": END},
    )[0]
    assert timedelta(days=1) <= lag[0] <= lag[1] <= timedelta(days=3)


def test_nothing_else_happens_after_end(seeded_url: str) -> None:
    """Only the deliberate future rows and planned instants (wedding dates, the trial end
    of a subscription started in the last 14 days) lie after end."""
    checks = {
        "suppliers deleted": "SELECT count(*) FROM suppliers WHERE deleted_at > %(end)s",
        "couples deleted": "SELECT count(*) FROM couples WHERE deleted_at > %(end)s",
        "subscriptions": "SELECT count(*) FROM subscriptions"
        " WHERE started_at > %(end)s OR ended_at > %(end)s",
        "fx": "SELECT count(*) FROM fx_rates WHERE valid_from > %(end)s::date",
        "sessions ending": "SELECT count(*) FROM user_sessions WHERE created_at <= %(end)s"
        " AND created_at + session_duration * interval '1 second' > %(end)s",
        "acceptances": "SELECT count(*) FROM invitations WHERE accepted_at > %(end)s",
        "trials ending later": "SELECT count(*) FROM subscriptions"
        " WHERE trial_ends_at > %(end)s AND started_at <= %(end)s - interval '14 days'",
    }
    for name, statement in checks.items():
        assert scalar(seeded_url, statement, {"end": END}) == 0, name


# --- Shapes --------------------------------------------------------------------------


def test_each_session_has_exactly_one_user_except_the_bad_ones(seeded_url: str) -> None:
    wrong = scalar(
        seeded_url,
        "SELECT count(*) FROM user_sessions WHERE (supplier_id IS NULL) = (couple_id IS NULL)",
    )
    assert (
        wrong
        == BAD_ROWS[Check.SESSION_USER_NOT_EXACTLY_ONE, "both ids"]
        + BAD_ROWS[Check.SESSION_USER_NOT_EXACTLY_ONE, "neither id"]
    )
    orphans = scalar(
        seeded_url,
        "SELECT count(*) FROM user_sessions s"
        " LEFT JOIN suppliers p ON p.id = s.supplier_id"
        " LEFT JOIN couples c ON c.id = s.couple_id"
        " WHERE (s.supplier_id IS NOT NULL AND p.id IS NULL)"
        " OR (s.couple_id IS NOT NULL AND c.id IS NULL)",
    )
    assert orphans == 0


def test_session_activity_and_durations(seeded_url: str) -> None:
    (
        supplier_rate,
        couple_rate,
        open_share,
        recent_open_share,
        older_open_share,
        median,
        over_four_hours,
        before_signup,
    ) = query(
        seeded_url,
        "SELECT"
        " count(*) FILTER (WHERE supplier_id IS NOT NULL AND couple_id IS NULL)::float"
        "   / (SELECT count(*) FROM suppliers),"
        " count(*) FILTER (WHERE couple_id IS NOT NULL AND supplier_id IS NULL)::float"
        "   / (SELECT count(*) FROM couples),"
        " avg((session_duration IS NULL)::int::float),"
        " avg((session_duration IS NULL)::int::float)"
        "   FILTER (WHERE created_at > %(end)s - interval '14 days'),"
        " avg((session_duration IS NULL)::int::float)"
        "   FILTER (WHERE created_at <= %(end)s - interval '14 days'),"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY session_duration)"
        "   FILTER (WHERE session_duration > 0),"
        " count(*) FILTER (WHERE session_duration > 14400),"
        " (SELECT count(*) FROM user_sessions s JOIN suppliers p ON p.id = s.supplier_id"
        "   WHERE s.created_at < p.created_at)"
        " FROM user_sessions",
        {"end": END},
    )[0]
    assert supplier_rate > 3 * couple_rate
    assert 0.005 <= open_share <= 0.015
    assert recent_open_share > 5 * older_open_share
    assert 4 * 60 <= median <= 8 * 60
    assert over_four_hours > 0
    assert before_signup == 0


def test_seasonality_of_signups_sessions_and_weddings(seeded_url: str) -> None:
    by_month = dict(
        query(
            seeded_url,
            "SELECT extract(month FROM created_at)::int, count(*) FROM couples GROUP BY 1",
        )
    )
    assert by_month[6] > 1.5 * by_month[1]
    weddings = query(
        seeded_url,
        "SELECT avg((extract(month FROM wedding_date) BETWEEN 5 AND 9)::int),"
        " min(wedding_date - (created_at AT TIME ZONE 'UTC')::date),"
        " max(wedding_date - (created_at AT TIME ZONE 'UTC')::date),"
        " count(*) FILTER (WHERE wedding_date IS NULL)"
        " FROM couples",
    )[0]
    assert weddings[0] > 0.6
    assert 180 <= weddings[1] <= weddings[2] <= 550
    assert weddings[3] > 0


def test_supplier_and_couple_attributes(seeded_url: str) -> None:
    categories = {row[0] for row in query(seeded_url, "SELECT DISTINCT category FROM suppliers")}
    assert categories == {
        "photographer",
        "venue",
        "florist",
        "caterer",
        "band",
        "dj",
        "planner",
        "videographer",
        "cake",
        "dress",
    }
    for table in ("suppliers", "couples"):
        shares = dict(
            query(
                seeded_url,
                f"SELECT coalesce(country, '-'), count(*)::float / sum(count(*)) OVER ()"
                f" FROM {table} GROUP BY 1",
            )
        )
        assert shares["GB"] > 0.6, table
        assert {"-", "IE", "FR", "ES", "US"} <= set(shares), table
        deleted = query(
            seeded_url,
            f"SELECT count(*), count(*) FILTER (WHERE deleted_at <= created_at)"
            f" FROM {table} WHERE deleted_at IS NOT NULL",
        )[0]
        assert deleted[0] > 0 and deleted[1] == 0, table


def test_subscription_shapes(seeded_url: str) -> None:
    intervals = {
        row[0] for row in query(seeded_url, "SELECT DISTINCT interval_months FROM subscriptions")
    }
    assert intervals == {1, 3, 12}
    plans = {row[0] for row in query(seeded_url, "SELECT DISTINCT plan FROM subscriptions")}
    assert plans == {"free", "basic", "pro", "premium"}
    assert scalar(
        seeded_url, "SELECT bool_and(amount_minor = 0) FROM subscriptions WHERE plan = 'free'"
    )
    statuses = {row[0] for row in query(seeded_url, "SELECT DISTINCT status FROM subscriptions")}
    assert {"active", "canceled", "trialing"} <= statuses
    gbp = scalar(
        seeded_url,
        "SELECT avg((currency = 'GBP')::int) FROM subscriptions WHERE currency <> %s",
        (UNRATED_CURRENCY,),
    )
    assert 0.75 <= gbp <= 0.92
    trials = query(
        seeded_url,
        "SELECT count(*), count(*) FILTER (WHERE trial_ends_at <> started_at + interval '14 days')"
        " FROM subscriptions WHERE trial_ends_at IS NOT NULL",
    )[0]
    assert trials[0] > 0 and trials[1] == 0
    reactivated = scalar(
        seeded_url,
        "SELECT count(DISTINCT a.supplier_id) FROM subscriptions a JOIN subscriptions b"
        " ON b.supplier_id = a.supplier_id AND b.started_at > a.ended_at"
        " WHERE a.ended_at >= a.started_at",
    )
    assert reactivated > 0
    plan_changes = scalar(
        seeded_url,
        "SELECT count(*) FROM subscriptions a JOIN subscriptions b"
        " ON b.supplier_id = a.supplier_id AND b.started_at = a.ended_at AND b.id <> a.id",
    )
    assert plan_changes > 0


def test_fx_rates_cover_every_priced_period(seeded_url: str) -> None:
    currencies = {row[0] for row in query(seeded_url, "SELECT DISTINCT currency FROM fx_rates")}
    assert currencies == {"EUR", "USD"}
    used = {row[0] for row in query(seeded_url, "SELECT DISTINCT currency FROM subscriptions")}
    assert {"EUR", "USD", "GBP"} <= used
    uncovered = scalar(
        seeded_url,
        "SELECT count(*) FROM subscriptions s WHERE currency IN ('EUR', 'USD')"
        " AND NOT EXISTS (SELECT 1 FROM fx_rates f WHERE f.currency = s.currency"
        " AND f.valid_from <= (s.started_at AT TIME ZONE 'UTC')::date)",
    )
    assert uncovered == 0
    ranges = query(
        seeded_url,
        "SELECT currency, min(rate), max(rate), count(DISTINCT rate) FROM fx_rates"
        " WHERE rate > 0 AND rate <> 'NaN' GROUP BY 1",
    )
    for currency, low, high, distinct in ranges:
        assert distinct > 6, currency
        assert 0.6 < low <= high < 1.0, currency


def test_invitations_and_viral_coefficient_at_end(seeded_url: str) -> None:
    channels = {row[0] for row in query(seeded_url, "SELECT DISTINCT channel FROM invitations")}
    assert channels == {"email", "sms", "link", "whatsapp", None}
    accepted_share, linked = query(
        seeded_url,
        "SELECT avg((accepted_at IS NOT NULL)::int),"
        " bool_and((accepted_at IS NULL) = (couple_id IS NULL))"
        " FROM invitations WHERE accepted_at IS NULL OR accepted_at >= sent_at",
    )[0]
    assert 0.3 <= accepted_share <= 0.45
    assert linked
    late_couples = scalar(
        seeded_url,
        "SELECT count(*) FROM invitations i JOIN couples c ON c.id = i.couple_id"
        " WHERE c.created_at > i.accepted_at AND i.accepted_at >= i.sent_at",
    )
    assert late_couples == 0
    viral = scalar(
        seeded_url,
        "SELECT (SELECT count(*) FROM invitations WHERE sent_at > %(end)s - interval '30 days'"
        "   AND sent_at <= %(end)s AND accepted_at <= %(end)s AND accepted_at >= sent_at)::float"
        " / (SELECT count(DISTINCT supplier_id) FROM user_sessions"
        "   WHERE couple_id IS NULL AND created_at > %(end)s - interval '30 days'"
        "   AND created_at <= %(end)s)",
        {"end": END},
    )
    assert 1.1 <= viral <= 1.4


def test_generator_alone_yields_what_was_loaded(seeded: tuple[str, SeedResult]) -> None:
    tables = world(SCALES["small"], END, 20261129)
    counts = {table: sum(1 for _ in rows) for table, rows, _ in tables}
    assert counts == seeded[1].rows
    assert counts["fx_rates"] == next(t.expected for t in tables if t.table == "fx_rates")
