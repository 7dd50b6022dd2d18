"""SPEC §4's bound on data-driven labels, on tiny datasets computed by hand.

Every label whose values come from the data (plan, category, country, channel) keeps
the top N values (breakdowns.top_n) and sums the rest as 'other'; NULL, empty and
whitespace-only values are 'unknown' and rank like any other value. Values are ranked
by the metric's value (or the count named in its definition), largest first, ties by
the label in code-point order.
"""

from __future__ import annotations

from typing import Any

from pytest import approx

from exporter.config import parse_config
from tests.instants import T, ts
from tests.support import invite, run, sub, supplier, with_suppliers

SHARED_DATABASE = True  # see conftest's db_url

GBP = ("currency", "GBP")


def top(n: int) -> Any:
    return parse_config({"breakdowns": {"top_n": n}})


def by_plan(ev: Any) -> dict[str, float]:
    return {dict(k)["plan"]: v for k, v in ev.series("execmetrics_mrr_by_plan").items()}


def paying_by_plan(ev: Any) -> dict[str, float]:
    return {
        dict(k)["plan"]: v for k, v in ev.series("execmetrics_paying_suppliers_by_plan").items()
    }


def _one_each(plans: list[tuple[int, str | None]]) -> list[dict[str, Any]]:
    """One subscription per (amount_minor, plan), each of its own supplier 1, 2..."""
    return [sub(i, i, amount_minor=a, plan=p) for i, (a, p) in enumerate(plans, 1)]  # type: ignore[arg-type]


def _run_plans(db_url: str, top_n: int, subs: list[dict[str, Any]]) -> Any:
    """The subscriptions with a supplier row for each of their suppliers, at T."""
    return run(db_url, T, top(top_n), **with_suppliers(subs))


def test_plans_past_the_top_n_are_other(db_url: str) -> None:
    # MRR per plan: gold 50, silver 30, bronze 20, tin 5 (suppliers 3 and 4 on two plans).
    subs = [
        sub(1, 1, amount_minor=5000, plan="gold"),
        sub(2, 2, amount_minor=3000, plan="silver"),
        sub(3, 3, amount_minor=1500, plan="bronze"),
        sub(4, 4, amount_minor=500, plan="bronze"),
        sub(5, 4, amount_minor=500, plan="tin"),
        sub(6, 3, amount_minor=0, plan="free"),
    ]
    ev = _run_plans(db_url, 2, subs)
    assert by_plan(ev) == {"gold": approx(50.0), "silver": approx(30.0), "other": approx(25.0)}
    # 'other' holds bronze, tin and free: suppliers 3 and 4 pay there, each counted once.
    assert paying_by_plan(ev) == {"gold": 1.0, "silver": 1.0, "other": 2.0}
    assert sum(by_plan(ev).values()) == approx(ev.value("execmetrics_mrr", currency="GBP"))


def test_missing_and_blank_plans_are_one_unknown_value(db_url: str) -> None:
    blanks = [None, "\n", "", "  \t"]
    ev = _run_plans(
        db_url, 2, _one_each([(1000, p) for p in blanks] + [(2500, "pro"), (100, "basic")])
    )
    # unknown = 4 x 10 = 40 ranks first, pro 25 second, basic 1 is 'other'.
    assert by_plan(ev) == {"unknown": approx(40.0), "pro": approx(25.0), "other": approx(1.0)}
    assert paying_by_plan(ev) == {"unknown": 4.0, "pro": 1.0, "other": 1.0}


def test_blank_means_ascii_white_space_only(db_url: str) -> None:
    # Vertical tab and form feed are blank; letters that spell escape codes are values, and
    # so is a no-break space (blank is ASCII white space only, whatever the server locale).
    plans = ["\x0b\x0c\r", "vvv", "tnr", "\u00a0"]
    ev = _run_plans(db_url, 10, _one_each([(1000 * i, p) for i, p in enumerate(plans, 1)]))
    assert by_plan(ev) == {
        "unknown": approx(10.0),
        "vvv": approx(20.0),
        "tnr": approx(30.0),
        "\u00a0": approx(40.0),
    }


def test_ties_are_broken_by_the_label(db_url: str) -> None:
    # Three plans of 10 each: with top 2 the first two in code-point order stay
    # ('B' < 'a' < 'b': upper case sorts first whatever the server's locale).
    ev = _run_plans(db_url, 2, _one_each([(1000, "b"), (1000, "a"), (1000, "B")]))
    assert by_plan(ev) == {"B": approx(10.0), "a": approx(10.0), "other": approx(10.0)}


def test_every_plan_within_the_top_n_keeps_its_name(db_url: str) -> None:
    ev = _run_plans(db_url, 2, _one_each([(1000, "a"), (2000, "b")]))
    assert by_plan(ev) == {"a": approx(10.0), "b": approx(20.0)}


def test_blank_category_country_and_channel_are_unknown(db_url: str) -> None:
    suppliers = [
        supplier(1, category=" ", country=""),
        supplier(4, category=None, country=None),  # type: ignore[arg-type]
        supplier(2, category="venue", country="  "),
        supplier(3, category="florist", country="GB"),
    ]
    subs = [*(sub(i, i, amount_minor=1000 * i) for i in range(1, 4)), sub(4, 4, amount_minor=500)]
    invites = [
        invite(1, 1, ts("2024-06-10 12:00"), channel=None),
        invite(2, 1, ts("2024-06-10 12:00"), channel=" "),
        invite(3, 2, ts("2024-06-10 12:00"), channel="sms"),
    ]
    ev = run(db_url, T, top(5), suppliers=suppliers, subscriptions=subs, invitations=invites)
    by_category = {
        dict(k)["category"]: v for k, v in ev.series("execmetrics_mrr_by_category").items()
    }
    assert by_category == {"unknown": approx(15.0), "venue": approx(20.0), "florist": approx(30.0)}
    by_country = {dict(k)["country"]: v for k, v in ev.series("execmetrics_mrr_by_country").items()}
    assert by_country == {"unknown": approx(35.0), "GB": approx(30.0)}
    users = {
        dict(k)["country"]: v
        for k, v in ev.series("execmetrics_registered_users_by_country").items()
        if dict(k)["user_type"] == "supplier"
    }
    assert users == {"unknown": 3.0, "GB": 1.0}
    sent = {
        dict(k)["channel"]: v
        for k, v in ev.series("execmetrics_invitations_sent_by_channel").items()
    }
    assert sent == {"unknown": 2.0, "sms": 1.0}


def test_country_and_category_are_bounded_each_on_their_own(db_url: str) -> None:
    # MRR 40 / 30 / 20 / 10 over four categories and two countries.
    suppliers = [
        supplier(1, category="venue", country="FR"),
        supplier(2, category="florist", country="FR"),
        supplier(3, category="band", country="GB"),
        supplier(4, category="cake", country="GB"),
    ]
    subs = [sub(i, i, amount_minor=1000 * (5 - i)) for i in range(1, 5)]
    ev = run(db_url, T, top(1), suppliers=suppliers, subscriptions=subs)
    by_category = {
        dict(k)["category"]: v for k, v in ev.series("execmetrics_mrr_by_category").items()
    }
    assert by_category == {"venue": approx(40.0), "other": approx(60.0)}
    by_country = {dict(k)["country"]: v for k, v in ev.series("execmetrics_mrr_by_country").items()}
    assert by_country == {"FR": approx(70.0), "other": approx(30.0)}
