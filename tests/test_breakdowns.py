"""Breakdown metrics add up to the contract's totals on realistic (seeded) data."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from exporter.config import parse_config
from exporter.engine import evaluate
from exporter.migrate import migrate
from exporter.seed import bad_row_count, seed
from exporter.snapshot import Evaluation
from exporter.vocabulary import Check

P = "execmetrics_"
END = datetime(2026, 6, 15, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def seeded(pg_server_url: str) -> str:
    import uuid

    import psycopg
    from psycopg import sql

    name = f"t_breakdowns_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(pg_server_url, dbname=name)
    migrate(
        url, parse_config({"reporting": {"timezone": "Europe/London"}}), create_source_tables=True
    )
    seed(url, "public", "small", end=END, progress=False)
    yield url
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _sum_by(ev: Evaluation, name: str, *keep: str) -> dict[tuple[str, ...], float]:
    out: dict[tuple[str, ...], float] = defaultdict(float)
    for labels, value in ev.series(name).items():
        d = dict(labels)
        out[tuple(d[k] for k in keep)] += value
    return dict(out)


@pytest.mark.parametrize("top_n", [3, 10])
@pytest.mark.parametrize("offset_days", [0, 45])
def test_breakdowns_sum_to_totals(seeded: str, top_n: int, offset_days: int) -> None:
    config = parse_config(
        {"reporting": {"timezone": "Europe/London"}, "breakdowns": {"top_n": top_n}}
    )
    ev = evaluate(seeded, config, END - timedelta(days=offset_days))
    assert ev.errors == {}
    mrr = ev.value(P + "mrr", currency="GBP")
    assert mrr is not None and mrr > 0

    for name in ("mrr_by_plan", "mrr_by_category", "mrr_by_country"):
        assert sum(ev.series(P + name).values()) == pytest.approx(mrr, rel=1e-9), name

    # Top N plus 'other': never more than N + 2 values ('other' and 'unknown').
    for name, label in (("mrr_by_category", "category"), ("mrr_by_country", "country")):
        values = {dict(k)[label] for k in ev.series(P + name)}
        assert len(values) <= top_n + 2, (name, values)

    for user_type in ("supplier", "couple"):
        total = ev.value(P + "registered_users", user_type=user_type)
        by_country = _sum_by(ev, P + "registered_users_by_country", "user_type")
        assert by_country[(user_type,)] == total

    active = _sum_by(ev, P + "active_suppliers_by_category", "window")
    for window in ("1d", "7d", "30d"):
        expected = ev.value(P + "active_users", user_type="supplier", window=window)
        assert active[(window,)] == expected, window

    signups = sum(ev.series(P + "signups_today_by_category").values())
    assert signups == ev.value(P + "signups_today", user_type="supplier")

    sent = sum(ev.series(P + "invitations_sent_by_channel").values())
    accepted = sum(ev.series(P + "invitations_accepted_by_channel").values())
    assert sent == ev.value(P + "invitations_sent", window="30d")
    assert accepted == ev.value(P + "invitations_accepted", window="30d")

    paying_by_plan = ev.series(P + "paying_suppliers_by_plan")
    paying = ev.value(P + "paying_suppliers")
    assert paying is not None
    # A supplier on two paid plans at once counts in both: the sum is at least the total.
    assert sum(paying_by_plan.values()) >= paying

    # The movement identity on realistic data.
    moves = {dict(k)["movement"]: v for k, v in ev.series(P + "mrr_movement").items()}
    growth = ev.value(P + "mrr_growth_ratio")
    assert growth is not None
    mrr_m1 = mrr / (1 + growth)
    net = (
        moves["new"]
        + moves["reactivation"]
        + moves["expansion"]
        - moves["contraction"]
        - moves["churn"]
    )
    assert net == pytest.approx(mrr - mrr_m1, rel=1e-9, abs=1e-6)


def test_data_quality_counts_are_the_seeded_bad_rows(seeded: str) -> None:
    """Every check the exporter reports counts exactly the rows the seed declares for it,
    in a live run at the seed's end (the wall clock at END: its future rows, 1-3 days
    later, are in the future of the run)."""
    cfg = parse_config({"reporting": {"timezone": "Europe/London"}})
    ev = evaluate(seeded, cfg, END, wall=END)
    assert ev.errors == {}
    counts = {
        dict(labels)["check"]: value
        for labels, value in ev.series(P + "data_quality_issues").items()
    }
    assert counts
    for check, value in counts.items():
        assert value == bad_row_count(Check(check)), check
    # Run today (the wall clock now, long after END + 3 days), END is a past instant:
    # its later rows are no issue, and nothing else changes.
    later = evaluate(seeded, cfg, END)
    assert later.errors == {}
    assert later.value(P + "data_quality_issues", check=Check.TIMESTAMP_IN_FUTURE) == 0
    for check, value in counts.items():
        if check != Check.TIMESTAMP_IN_FUTURE:
            assert later.value(P + "data_quality_issues", check=check) == value, check
