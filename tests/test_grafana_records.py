"""The records behind the cards (sql/views/60_grafana_records.sql), as grafana_reader.

Each function's rows make its card's number at the same instant: the test evaluates the
exporter at T and calls every function as grafana_reader with the same T. The reader
can call them, cannot read a source table, and no function returns a personal column.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg import sql
from pytest import approx

from tests.instants import DAY, SECOND, ts
from tests.oracle import Tables
from tests.support import config, couple, evaluate, invite, load, migrate, session, sub, supplier

SHARED_DATABASE = True  # see conftest's db_url

READER = "grafana_reader"
T = ts("2025-01-15 12:00")
M1 = ts("2024-12-15 12:00")
P = "execmetrics_"
FUNCTIONS = {
    "records_paying_suppliers": "(%s::timestamptz)",
    "records_mrr_movements": "(%s::timestamptz)",
    "records_at_risk": "(%s::timestamptz)",
    "records_k_invitations": "(%s::timestamptz)",
    "records_revenue_cohorts": "(%s::timestamptz)",
    "records_activity_cohorts": "(%s::timestamptz)",
    "records_active_users": "(%s::timestamptz)",
    "records_lifecycle": "(%s::timestamptz)",
    "records_trials": "(%s::timestamptz)",
    "records_sessions": "(%s::timestamptz)",
    "records_top_inviters": "(%s::timestamptz - interval '30 days', %s::timestamptz)",
    "records_signups": "(%s::timestamptz - interval '30 days', %s::timestamptz)",
}
PERSONAL = re.compile(r"mail|name|phone|wedding", re.IGNORECASE)

OLD = ts("2024-01-01 00:00")
DATA: Tables = {
    "suppliers": [
        supplier(1, ts("2023-05-01"), category="venue", country="GB"),
        supplier(2, ts("2024-03-01"), category="photography", country="FR"),
        supplier(3, ts("2024-06-10"), category="florist", country=None),
        supplier(4, ts("2024-07-01"), category="venue"),
        supplier(5, ts("2024-07-02"), category="music"),
        supplier(6, ts("2024-12-20"), category="music", deleted_at=T - DAY),
    ],
    "couples": [
        couple(1, ts("2024-02-10")),
        couple(2, ts("2024-02-11")),
        couple(3, ts("2024-11-30 23:59")),
    ],
    "subscriptions": [
        sub(1, 1, amount_minor=3000, started_at=OLD, plan="pro"),  # steady 30
        sub(2, 2, amount_minor=2000, started_at=ts("2024-03-02"), ended_at=M1 + DAY),
        sub(3, 2, amount_minor=2500, started_at=M1 + DAY, plan="pro"),  # expansion 20 -> 25
        sub(4, 3, amount_minor=1000, started_at=ts("2024-06-15"), ended_at=T - DAY),  # churn
        sub(5, 4, amount_minor=4000, started_at=ts("2024-07-05"), ended_at=M1 + DAY),
        sub(6, 4, amount_minor=1500, started_at=M1 + DAY),  # contraction 40 -> 15
        sub(7, 5, amount_minor=1200, started_at=T - 2 * DAY, trial_ends_at=T - DAY),  # new
        sub(8, 6, amount_minor=900, started_at=ts("2024-07-20"), ended_at=ts("2024-08-01")),
        sub(9, 6, amount_minor=900, started_at=T - DAY),  # reactivation
    ],
    "user_sessions": [
        session(1, T - DAY, supplier_id=1),
        session(2, T - 14 * DAY, supplier_id=2),  # the quiet edge: at risk
        session(3, T - DAY, couple_id=1),
        session(4, T - 40 * DAY, couple_id=2),
        session(5, T - DAY, couple_id=3),
    ],
    "invitations": [
        invite(1, 1, T - 3 * DAY, accepted_at=T - 2 * DAY, couple_id=1, channel="email"),
        invite(2, 1, T - 3 * DAY, accepted_at=T - DAY, couple_id=1, channel=None),
        invite(3, 4, T - 10 * DAY, accepted_at=T - 9 * DAY, couple_id=3),
        invite(4, 4, T - 10 * DAY),  # not accepted
        invite(5, 5, T - 40 * DAY, accepted_at=T - 5 * DAY, couple_id=2),  # sent before W
        invite(6, 6, T - DAY, accepted_at=T - DAY - SECOND, couple_id=2),  # accepted before sent
    ],
}


@pytest.fixture
def db(db_url: str) -> str:
    cfg = config(tz="Europe/London")
    migrate(db_url, cfg)
    load(db_url, cfg.source_schema, **DATA)
    return db_url


@contextmanager
def as_reader(url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(READER)))
        yield conn


def call(conn: psycopg.Connection, fn: str, *params: object) -> list[dict[str, Any]]:
    placeholders = ", ".join(["%s"] * len(params))
    cur = conn.execute(f"SELECT * FROM execmetrics.{fn}({placeholders})", params)  # type: ignore[arg-type]
    names = [d.name for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def test_each_table_makes_its_card(db: str) -> None:
    ev = evaluate(db, config(tz="Europe/London"), T)
    with as_reader(db) as conn:
        paying = call(conn, "records_paying_suppliers", T)
        assert len(paying) == ev.value(P + "paying_suppliers") == 5
        assert float(sum(r["mrr"] for r in paying)) == approx(ev.value(P + "mrr", currency="GBP"))
        assert {r["supplier_id"]: r["plan"] for r in paying}[2] == "pro"

        moves = call(conn, "records_mrr_movements", T)
        by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in moves:
            by_kind[r["movement"]].append(r)
        assert {k: [r["supplier_id"] for r in v] for k, v in by_kind.items()} == {
            "new": [5],
            "reactivation": [6],
            "expansion": [2],
            "contraction": [4],
            "churn": [3],
        }
        for kind, rows in by_kind.items():
            card = ev.value(P + "mrr_movement", currency="GBP", movement=kind)
            sign = -1 if kind in ("contraction", "churn") else 1
            assert sign * float(sum(r["mrr_change"] for r in rows)) == approx(card)
        churned = by_kind["churn"][0]
        assert (churned["category"], churned["country"], churned["plan"]) == (
            "florist",
            "unknown",
            "basic",
        )

        at_risk = call(conn, "records_at_risk", T)
        # supplier 2's last session is exactly 14 days ago; 5 was last heard from 40 days
        # ago; 6 sent an invitation yesterday
        assert sorted(r["supplier_id"] for r in at_risk) == [2, 5]
        assert float(sum(r["mrr"] for r in at_risk)) == approx(
            ev.value(P + "mrr_at_risk", currency="GBP")
        )

        k = call(conn, "records_k_invitations", T)
        assert len(k) == ev.value(P + "invitations_accepted", window="30d") == 3
        assert {(r["invitation_id"], r["channel"], r["supplier_id"]) for r in k} == {
            (1, "email", 1),
            (2, "unknown", 1),
            (3, "email", 4),
        }
        assert {r["invitation_id"]: r["lag_seconds"] for r in k}[3] == 86400.0

        cohorts = call(conn, "records_revenue_cohorts", T)
        members: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in cohorts:
            members[r["cohort"]].append(r)
        logo = ev.series(P + "cohort_logo_retention_ratio")
        assert set(logo) == {(("cohort", c),) for c in members}
        for cohort, rows in members.items():
            paying_now = sum(1 for r in rows if r["mrr_now"] > 0)
            assert paying_now / len(rows) == approx(logo[(("cohort", cohort),)])
            mrr_ratio = sum(r["mrr_now"] for r in rows) / sum(r["mrr_first"] for r in rows)
            card = ev.value(P + "cohort_mrr_retention_ratio", cohort=cohort)
            assert float(mrr_ratio) == approx(card)

        activity = call(conn, "records_activity_cohorts", T)
        groups: dict[tuple[str, str], list[bool]] = defaultdict(list)
        for r in activity:
            groups[(r["user_type"], r["cohort"])].append(r["active"])
        ratios = ev.series(P + "cohort_active_ratio")
        assert set(ratios) == {(("cohort", c), ("user_type", u)) for u, c in groups}
        for (user_type, cohort), flags in groups.items():
            card = ratios[(("cohort", cohort), ("user_type", user_type))]
            assert sum(flags) / len(flags) == approx(card)
        # supplier 6 was deleted before T: not a member
        assert ("supplier", "2024-12") not in groups


def test_active_users_make_the_active_cards_and_stickiness(db: str) -> None:
    ev = evaluate(db, config(tz="Europe/London"), T)
    with as_reader(db) as conn:
        active = call(conn, "records_active_users", T)
    assert {(r["user_type"], r["user_id"]) for r in active} == {
        ("supplier", 1),
        ("supplier", 2),
        ("couple", 1),
        ("couple", 3),
    }
    for side in ("supplier", "couple"):
        rows = [r for r in active if r["user_type"] == side]
        for window, flag in (("30d", None), ("7d", "active_7d"), ("1d", "active_1d")):
            n = sum(1 for r in rows if flag is None or r[flag])
            assert n == ev.value(P + "active_users", user_type=side, window=window), (side, window)
    # supplier 2's only session is 14 days old: active in 30 days, not in 7
    two = next(r for r in active if r["user_type"] == "supplier" and r["user_id"] == 2)
    assert (two["category"], two["active_7d"], two["active_1d"]) == ("photography", False, False)
    assert all(r["category"] is None for r in active if r["user_type"] == "couple")
    assert [r["last_seen_at"] for r in active] == sorted(
        (r["last_seen_at"] for r in active), reverse=True
    )


def test_lifecycle_trials_and_sessions_make_their_cards(db: str) -> None:
    ev = evaluate(db, config(tz="Europe/London"), T)
    with as_reader(db) as conn:
        lifecycle = call(conn, "records_lifecycle", T)
        trials = call(conn, "records_trials", T)
        sessions = call(conn, "records_sessions", T)
    states: dict[tuple[str, str], int] = defaultdict(int)
    for r in lifecycle:
        states[(r["user_type"], r["state"])] += 1
    for side in ("supplier", "couple"):
        for state in ("new", "returning", "resurrected", "dormant"):
            card = ev.value(P + "user_lifecycle", user_type=side, state=state)
            assert states[(side, state)] == card, (side, state)
    assert sum(states.values()) > 0
    ended = len(trials)
    assert ended == 1 and trials[0]["supplier_id"] == 5
    converted = sum(1 for r in trials if r["converted"])
    assert converted / ended == approx(ev.value(P + "trial_conversion_ratio"))
    assert sessions and {r["session_id"] for r in sessions} == {1, 3, 5}
    mean = sum(r["duration_seconds"] for r in sessions) / len(sessions)
    assert mean == approx(ev.value(P + "session_duration_average_seconds"))
    assert {r["category"] for r in sessions if r["user_type"] == "couple"} == {None}


def test_each_board_records_table_makes_its_cards(db: str) -> None:
    """The drill-down tables of the boards, run as Grafana would at T (the end of the time
    range), hold the records of the overview cards that open them."""
    from dashboards.records import RECORDS
    from tests.board_queries import expand_sql_macros, login_as_reader, sql_queries

    ev = evaluate(db, config(tz="Europe/London"), T)
    by_title = {q.panel_title: q.sql for q in sql_queries()}
    with psycopg.connect(db, autocommit=True) as conn:
        login_as_reader(conn)  # with the reader's search_path, as Grafana's datasource

        def table(key: str) -> list[dict[str, Any]]:
            cur = conn.execute(expand_sql_macros(by_title[RECORDS[key].title], M1, T))  # type: ignore[call-overload]
            names = [d.name for d in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

        paying = table("paying_suppliers")
        assert len(paying) == ev.value(P + "paying_suppliers")
        assert float(sum(r["MRR"] for r in paying)) == approx(ev.value(P + "mrr", currency="GBP"))

        moves = table("mrr_movements")
        for kind in ("new", "reactivation", "expansion", "contraction", "churn"):
            change = sum(r["MRR change"] for r in moves if r["Movement"] == kind)
            card = ev.value(P + "mrr_movement", currency="GBP", movement=kind)
            assert abs(float(change)) == approx(card), kind
        losses = table("mrr_losses")
        assert [(r["Supplier id"], r["Movement"]) for r in losses] == [
            ("4", "contraction"),
            ("3", "churn"),
        ]

        for key in ("active_users", "engaged_users"):
            rows = table(key)
            for side in ("supplier", "couple"):
                n = sum(1 for r in rows if r["Side"] == side)
                assert n == ev.value(P + "active_users", user_type=side, window="30d")

        signups = table("signups")
        assert {(r["Side"], r["Id"]) for r in signups} == {("supplier", "6")}

        k = table("k_invitations")
        assert len(k) == ev.value(P + "invitations_accepted", window="30d")
        inviters = table("inviters")
        assert sum(r["Sent"] for r in inviters) == ev.value(P + "invitations_sent", window="30d")
        assert sum(r["Accepted"] for r in inviters) == len(k)

        at_risk = table("at_risk")
        assert float(sum(r["MRR"] for r in at_risk)) == approx(
            ev.value(P + "mrr_at_risk", currency="GBP")
        )
        assert {r["Cohort"] for r in table("revenue_cohorts")} == {
            dict(k)["cohort"] for k in ev.series(P + "cohort_logo_retention_ratio")
        }
        assert table("activity_cohorts")

        lifecycle = table("lifecycle")
        for side in ("supplier", "couple"):
            for state in ("new", "returning", "resurrected", "dormant"):
                n = sum(1 for r in lifecycle if (r["Side"], r["State"]) == (side, state))
                assert n == ev.value(P + "user_lifecycle", user_type=side, state=state)
        trials = table("trials")
        share = sum(1 for r in trials if r["Converted"]) / len(trials)
        assert share == approx(ev.value(P + "trial_conversion_ratio"))
        sessions = table("sessions")
        mean = sum(r["Duration"] for r in sessions) / len(sessions)
        assert mean == approx(ev.value(P + "session_duration_average_seconds"))


def test_row_limit_and_configured_windows(db: str) -> None:
    with as_reader(db) as conn:
        assert len(call(conn, "records_paying_suppliers", T, 2)) == 2
        assert call(conn, "records_paying_suppliers", T, -1) == []
        # a quiet period of 15 days: supplier 2's session 14 days ago is inside it
        quiet = call(conn, "records_at_risk", T, 13 * DAY, 1000)
        assert sorted(r["supplier_id"] for r in quiet) == [2, 5]
        longer = call(conn, "records_at_risk", T, 15 * DAY, 1000)
        assert sorted(r["supplier_id"] for r in longer) == [5]
        week = call(conn, "records_k_invitations", T, 7 * DAY, 1000)
        assert sorted(r["invitation_id"] for r in week) == [1, 2]


def test_reader_calls_the_functions_but_reads_no_source_table(db: str) -> None:
    with as_reader(db) as conn:
        for fn, args in FUNCTIONS.items():
            conn.execute(f"SELECT * FROM execmetrics.{fn}{args}", (T,) * args.count("%s"))
        for table in ("suppliers", "subscriptions", "user_sessions", "invitations", "couples"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT * FROM public.{table}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM execmetrics.subscription_periods")
    with psycopg.connect(db) as conn:
        found = conn.execute(
            """
            SELECT p.proname,
                   has_function_privilege(%s, p.oid, 'EXECUTE'),
                   has_function_privilege('public', p.oid, 'EXECUTE'),
                   p.prosecdef
            FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
            WHERE n.nspname = 'execmetrics' AND p.proname LIKE 'records%%'
            """,
            (READER,),
        ).fetchall()
    assert {name for name, *_ in found} == set(FUNCTIONS)
    assert all(reader and not public and definer for _, reader, public, definer in found)


def test_no_personal_column(db: str) -> None:
    with psycopg.connect(db) as conn:
        columns = conn.execute(
            """
            SELECT p.proname, unnest(p.proargnames)
            FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
            WHERE n.nspname = 'execmetrics' AND p.proname LIKE 'records%%'
            """
        ).fetchall()
    assert columns
    assert [c for c in columns if PERSONAL.search(c[1])] == []
