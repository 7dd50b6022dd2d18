"""The grafana_reader role and its aggregates (sql/views/50_grafana_reader.sql), and the
row-level records the boards' tables read (sql/views/60_grafana_records.sql).

After ``migrate``, grafana_reader reads daily_metrics, the grafana_ aggregates and the
bounded records_ functions, and nothing else: a SELECT on a source table or on a
per-user view is refused. The functions return the expected rows on a small hand-made
dataset, carry no personal column, and every SQL query of the boards runs as
grafana_reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import sql

from exporter.config import parse_config
from tests.board_queries import expand_sql_macros, login_as_reader, sql_queries
from tests.instants import ts
from tests.support import config, couple, invite, load, migrate, rate, session, sub, supplier

READER = "grafana_reader"
AGGREGATE_VIEWS = ("daily_metrics",)
FUNCTIONS = {
    "grafana_mrr_changes_by_category": "(%s::timestamptz, %s::timestamptz)",
    "grafana_signups_by_category": "(%s::timestamptz, %s::timestamptz)",
}
SOURCE_TABLES = (
    "suppliers",
    "couples",
    "subscriptions",
    "fx_rates",
    "user_sessions",
    "invitations",
)
LEAD_OBJECTS = ("subscription_periods", "valid_sessions", "settings")
PERSONAL = re.compile(r"mail|name|phone|couple_id|wedding", re.IGNORECASE)

START = ts("2024-02-15 00:00")
END = ts("2024-03-15 00:00")

DATA: dict[str, list[dict[str, Any]]] = {
    "suppliers": [
        supplier(1, ts("2023-01-01 00:00"), category="venue", country="GB"),
        supplier(2, ts("2023-01-02 00:00"), category="photography", country="FR"),
        supplier(3, ts("2023-01-03 00:00"), category="florist", country=None),
        supplier(4, ts("2024-03-01 00:00"), ts("2024-06-01 00:00"), "venue", "GB"),
        supplier(5, ts("2023-05-01 00:00"), category="music", country="GB"),
    ],
    "couples": [
        couple(1, ts("2024-03-03 00:00"), country="GB"),
        couple(2, ts("2024-03-04 00:00"), country=None),
    ],
    "fx_rates": [rate("EUR", "2024-01-01", "0.85")],
    "subscriptions": [
        # supplier 1 contracts: 30 -> 10 on 1 March
        sub(1, 1, 3000, ts("2024-01-01 00:00"), ts("2024-03-01 00:00"), plan="pro"),
        sub(2, 1, 1000, ts("2024-03-01 00:00")),
        # supplier 2 churns on 5 March (20 EUR at 0.85 = 17 GBP)
        sub(3, 2, 2000, ts("2024-01-10 00:00"), ts("2024-03-05 00:00"), currency="EUR"),
        # supplier 3 paid in 2023, comes back on 10 March: reactivation
        sub(4, 3, 500, ts("2023-06-01 00:00"), ts("2023-09-01 00:00")),
        sub(5, 3, 500, ts("2024-03-10 00:00")),
        # supplier 4 is new: yearly plan of 120, live after its trial ends on 9 March
        sub(
            6,
            4,
            12000,
            ts("2024-03-02 00:00"),
            trial_ends_at=ts("2024-03-09 00:00"),
            interval_months=12,
            plan="annual",
        ),
        # supplier 5 unchanged; its negative add-on is left out of revenue
        sub(7, 5, 3000, ts("2023-06-01 00:00"), plan="pro"),
        sub(8, 5, -100, ts("2023-06-01 00:00"), plan="addon"),
    ],
    "invitations": [
        invite(1, 1, ts("2024-03-01 00:00"), ts("2024-03-02 00:00"), couple_id=10),
        invite(2, 1, ts("2024-03-02 00:00")),
        invite(3, 1, ts("2024-03-03 00:00"), ts("2024-03-01 00:00"), couple_id=11, channel=None),
        invite(4, 2, ts("2024-03-05 00:00"), ts("2024-03-20 00:00"), channel="whatsapp"),
        invite(5, 2, ts("2024-02-01 00:00"), ts("2024-03-06 00:00"), channel="whatsapp"),
    ],
    "user_sessions": [
        session(1, ts("2024-03-01 10:00"), supplier_id=1, duration=100),
        session(2, ts("2024-03-01 11:00"), couple_id=1, duration=200),
        session(3, ts("2024-03-01 12:00"), supplier_id=1, couple_id=1, duration=50),
    ],
}


@pytest.fixture
def db(db_url: str) -> str:
    """A migrated database holding DATA, with daily_metrics refreshed."""
    cfg = config()
    migrate(db_url, cfg)
    load(db_url, cfg.source_schema, **DATA)
    with psycopg.connect(db_url) as conn:
        conn.execute("SELECT execmetrics.refresh_session_rollups(true)")
    return db_url


@contextmanager
def as_reader(url: str, search_path: str | None = None) -> Iterator[psycopg.Connection]:
    """A connection acting as grafana_reader (with the role's own settings, its
    search_path among them, as Grafana's datasource logs in, unless one is given)."""
    with psycopg.connect(url, autocommit=True) as conn:
        login_as_reader(conn)
        if search_path is not None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(search_path)))
        yield conn


def rows(conn: psycopg.Connection, query: str, *params: object) -> list[tuple[Any, ...]]:
    return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


# --- privileges -----------------------------------------------------------------------------


def test_reader_reads_the_grafana_objects(db: str) -> None:
    with as_reader(db) as conn:
        for view in AGGREGATE_VIEWS:
            assert rows(conn, f"SELECT * FROM execmetrics.{view}")
        for fn, args in FUNCTIONS.items():
            rows(conn, f"SELECT * FROM execmetrics.{fn}{args}", START, END)


@pytest.mark.parametrize("table", SOURCE_TABLES)
def test_reader_is_refused_every_source_table(db: str, table: str) -> None:
    with as_reader(db) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"SELECT * FROM public.{table}")


@pytest.mark.parametrize("relation", LEAD_OBJECTS)
def test_reader_is_refused_the_other_exporter_objects(db: str, relation: str) -> None:
    with as_reader(db) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"SELECT * FROM execmetrics.{relation}")


def test_reader_is_refused_every_per_user_view(db: str) -> None:
    """Every view of the exporter but the aggregates holds rows per user: refused."""
    with psycopg.connect(db) as conn:
        views = [
            name
            for (name,) in rows(
                conn,
                """
                SELECT c.relname FROM pg_class AS c
                WHERE c.relnamespace = 'execmetrics'::regnamespace AND c.relkind IN ('v', 'm')
                """,
            )
            if name not in AGGREGATE_VIEWS
        ]
    assert {"subscription_periods", "valid_sessions"} <= set(views)
    for view in views:
        with as_reader(db) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"SELECT * FROM execmetrics.{view}")


def test_reader_privileges_are_exactly_the_grafana_objects(db: str) -> None:
    with psycopg.connect(db) as conn:
        found = rows(
            conn,
            """
            SELECT n.nspname, c.relname,
                   has_table_privilege(%s, c.oid, 'SELECT'),
                   has_table_privilege(%s, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
            FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
            WHERE n.nspname IN ('execmetrics', 'public') AND c.relkind IN ('r', 'v', 'm', 'p')
            """,
            READER,
            READER,
        )
        readable = {(s, r) for s, r, select, _ in found if select}
        assert readable == {("execmetrics", v) for v in AGGREGATE_VIEWS}
        assert not [(s, r) for s, r, _, write in found if write]
        executable = rows(
            conn,
            """
            SELECT p.proname FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
            WHERE n.nspname = 'execmetrics' AND p.proname LIKE 'grafana%%'
              AND has_function_privilege(%s, p.oid, 'EXECUTE')
            """,
            READER,
        )
        assert {r[0] for r in executable} == set(FUNCTIONS)
        public_exec = rows(
            conn,
            """
            SELECT p.proname FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
            WHERE n.nspname = 'execmetrics' AND p.proname LIKE 'grafana%%'
              AND has_function_privilege('public', p.oid, 'EXECUTE')
            """,
        )
        assert public_exec == []
        # LOGIN is the deployment's to grant (the role is server-wide); no other power.
        role = rows(
            conn,
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication"
            " FROM pg_roles WHERE rolname = %s",
            READER,
        )
        assert role == [(False, False, False, False, False)]


def test_migrate_again_keeps_the_role_and_grants(db: str) -> None:
    from exporter.migrate import migrate as run_migrate

    run_migrate(db, config(), force_views=True)
    run_migrate(db, config(), force_views=True)
    with as_reader(db) as conn:
        signups = "SELECT count(*) FROM execmetrics.records_signups(%s, %s)"
        assert rows(conn, signups, ts("2000-01-01 00:00"), END) == [(7,)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM public.suppliers")


# --- the rows -----------------------------------------------------------------------------------


def test_mrr_movements_over_the_time_range_classify_like_the_spec(db: str) -> None:
    changes = (
        "SELECT supplier_id, category, country, movement, round(mrr_start, 2),"
        " round(mrr_end, 2), round(mrr_change, 2)"
        " FROM execmetrics.records_mrr_movements(%s, 1000, %s) ORDER BY 1"
    )
    with as_reader(db) as conn:
        got = rows(conn, changes, END, START)
        # Bounds are instants: at the exact instant of a change the new MRR counts.
        at_change = rows(
            conn,
            "SELECT supplier_id, movement FROM execmetrics.records_mrr_movements(%s, 1000, %s)",
            ts("2024-03-01 00:00"),
            START,
        )
        empty = rows(conn, changes, START, END)
    d = Decimal
    assert got == [
        (1, "venue", "GB", "contraction", d("30.00"), d("10.00"), d("-20.00")),
        (2, "photography", "FR", "churn", d("17.00"), d("0.00"), d("-17.00")),
        (3, "florist", "unknown", "reactivation", d("0.00"), d("5.00"), d("5.00")),
        (4, "venue", "GB", "new", d("0.00"), d("10.00"), d("10.00")),
    ]
    assert at_change == [(1, "contraction")]
    assert empty == []


def test_mrr_changes_by_category(db: str) -> None:
    by_category = "SELECT * FROM execmetrics.grafana_mrr_changes_by_category(%s, %s) ORDER BY 1"
    with as_reader(db) as conn:
        got = rows(conn, by_category, START, END)
        empty = rows(conn, by_category, END, START)
    d = Decimal
    assert got == [
        ("florist", d("5.00"), d("0.00"), d("5.00")),
        ("photography", d("0.00"), d("-17.00"), d("-17.00")),
        ("venue", d("10.00"), d("-20.00"), d("-10.00")),
    ]
    assert empty == []


def test_top_inviters(db: str) -> None:
    with as_reader(db) as conn:
        top = rows(conn, "SELECT * FROM execmetrics.records_top_inviters(%s, %s)", START, END)
        first = rows(conn, "SELECT * FROM execmetrics.records_top_inviters(%s, %s, 1)", START, END)
        # T = 20 March: supplier 2's invitation of 5 March is accepted by then.
        later = rows(
            conn,
            "SELECT supplier_id, invitations_sent, invitations_accepted"
            " FROM execmetrics.records_top_inviters(%s, %s)",
            START,
            ts("2024-03-20 00:00"),
        )
    # invitation 3 was "accepted" before it was sent: sent, not accepted
    assert top == [
        (1, 1, "venue", "GB", 3, 1, pytest.approx(1 / 3)),
        (2, 2, "photography", "FR", 1, 0, 0.0),
    ]
    assert first == top[:1]
    assert later == [(1, 3, 1), (2, 1, 1)]


def test_signups(db: str) -> None:
    since = ts("2022-01-01 00:00")
    later = ts("2024-07-01 00:00")  # supplier 4 was deleted on 1 June
    with as_reader(db) as conn:
        got = rows(conn, "SELECT * FROM execmetrics.records_signups(%s, %s)", since, later)
        at_end = rows(
            conn, "SELECT user_id, registered FROM execmetrics.records_signups(%s, %s)", START, END
        )
        by_category = "SELECT * FROM execmetrics.grafana_signups_by_category(%s, %s) ORDER BY 1, 2"
        counts = rows(conn, by_category, START, END)
        counts_later = rows(conn, by_category, START, later)
    assert got == [
        ("couple", 2, None, "unknown", ts("2024-03-04 00:00"), True),
        ("couple", 1, None, "GB", ts("2024-03-03 00:00"), True),
        ("supplier", 4, "venue", "GB", ts("2024-03-01 00:00"), False),
        ("supplier", 5, "music", "GB", ts("2023-05-01 00:00"), True),
        ("supplier", 3, "florist", "unknown", ts("2023-01-03 00:00"), True),
        ("supplier", 2, "photography", "FR", ts("2023-01-02 00:00"), True),
        ("supplier", 1, "venue", "GB", ts("2023-01-01 00:00"), True),
    ]
    assert at_end == [(2, True), (1, True), (4, True)]
    assert counts == [("couple", None, 2, 2), ("supplier", "venue", 1, 1)]
    assert counts_later == [("couple", None, 2, 2), ("supplier", "venue", 1, 0)]


def test_no_personal_column(db: str) -> None:
    with psycopg.connect(db) as conn:
        columns = rows(
            conn,
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = 'execmetrics' AND table_name LIKE 'grafana%%'
            """,
        )
        assert columns == []
        outputs = rows(
            conn,
            """
            SELECT p.proname, unnest(p.proargnames)
            FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
            WHERE n.nspname = 'execmetrics' AND p.proname LIKE 'grafana%%'
            """,
        )
    assert {f for f, _ in outputs} == set(FUNCTIONS)
    for owner, column in outputs:
        assert not PERSONAL.search(column), f"{owner}.{column}"


# --- the boards' SQL ----------------------------------------------------------------------------


def test_every_board_sql_query_runs_as_the_reader(db: str) -> None:
    queries = sql_queries()
    assert queries
    with as_reader(db) as conn:
        results = {}
        for q in queries:
            text = expand_sql_macros(q.sql, START, END)
            cur = conn.execute(text)  # type: ignore[call-overload]
            names = [c.name for c in cur.description or []]
            for n in names:
                assert not PERSONAL.search(n), f"{q.panel_title}: column {n}"
            if q.format == "time_series":
                assert names[0] == "time"
            results[q.panel_title] = cur.fetchall()
    churned = results["Suppliers who churned or contracted in the time range"]
    assert [(r[0], r[3], r[6]) for r in churned] == [
        ("1", "contraction", Decimal("-20.00")),
        ("2", "churn", Decimal("-17.00")),
    ]
    top = results["Top inviting suppliers in the time range"]
    assert [(r[1], r[4], r[5], r[6]) for r in top] == [
        ("1", 3, 1, Decimal("33.3")),
        ("2", 1, 0, Decimal("0.0")),
    ]
    recent = results["Recent sign-ups"]
    assert [(r[1], r[2], r[3]) for r in recent] == [
        ("couple", "2", "-"),
        ("couple", "1", "-"),
        ("supplier", "4", "venue"),
    ]
    sessions = results["Sessions per day (database history)"]
    assert sessions == [(datetime(2024, 3, 1), 2)]


def test_expand_sql_macros() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    end = datetime(2024, 1, 2, 12, 30, tzinfo=UTC)
    assert expand_sql_macros(
        "WHERE $__timeFilter(t.created_at) AND x < $__timeTo()", start, end
    ) == (
        "WHERE t.created_at BETWEEN '2024-01-01T00:00:00Z' AND '2024-01-02T12:30:00Z'"
        " AND x < '2024-01-02T12:30:00Z'"
    )
    with pytest.raises(ValueError):
        expand_sql_macros("$__timeGroup(t, '1d')", start, end)


def test_another_exporter_schema(db_url: str) -> None:
    cfg = parse_config({"exporter": {"schema": "metrics"}})
    migrate(db_url, cfg)
    load(db_url, cfg.source_schema, **DATA)
    with as_reader(db_url) as conn:
        for q in sql_queries():
            conn.execute(expand_sql_macros(q.sql, START, END))  # type: ignore[call-overload]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM metrics.settings")


def test_mrr_changes_agree_with_the_exporter_movements(db: str) -> None:
    """Over (M1, T] the function's per-supplier changes sum to the exported movements."""
    from exporter.instant import month_back
    from tests.support import evaluate

    cfg = config()
    m1 = month_back(END, cfg.reporting.zone)
    assert m1 == START
    ev = evaluate(db, cfg, END)
    with as_reader(db) as conn:
        sums = dict(
            rows(
                conn,
                "SELECT movement, sum(abs(mrr_change))"
                " FROM execmetrics.records_mrr_movements(%s, 1000, %s) GROUP BY movement",
                END,
                m1,
            )
        )
    for movement in ("new", "reactivation", "expansion", "contraction", "churn"):
        exported = ev.value("execmetrics_mrr_movement", currency="GBP", movement=movement)
        assert float(sums.get(movement, 0)) == pytest.approx(exported), movement
