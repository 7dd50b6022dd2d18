"""Viral loop (SPEC §3): sent, accepted, invites per supplier, conversion and K over W."""

from __future__ import annotations

from typing import Any, NamedTuple

from pytest import approx

from tests.instants import DAY, HOUR, SECOND, T
from tests.support import config, invite, people, run, session

SHARED_DATABASE = True  # see conftest's db_url


W = "30d"
# Every supplier and couple the sessions name exists (active users do not depend on it).
PEOPLE = people(9)


class Viral(NamedTuple):
    """The five viral series of one window (None: absent)."""

    invitations_sent: Any
    invitations_accepted: Any
    invites_per_supplier: Any
    invitation_conversion_ratio: Any
    viral_coefficient: Any


def viral(ev: Any, window: str = W) -> Viral:
    return Viral(*(ev.value(f"execmetrics_{n}", window=window) for n in Viral._fields))


def test_sent_accepted_and_ratios(db_url: str) -> None:
    invitations = [
        invite(1, 1, sent_at=T, accepted_at=T),  # sent at T, accepted at T: both
        invite(2, 1, sent_at=T - 30 * DAY),  # exactly T - 30 days: outside W
        invite(3, 1, sent_at=T - 30 * DAY + SECOND, accepted_at=T - DAY),  # both
        invite(4, 2, sent_at=T - 2 * DAY, accepted_at=T + SECOND),  # accepted after T: sent only
        invite(5, 2, sent_at=T - 2 * DAY, accepted_at=T - 3 * DAY),  # accepted before sent
        invite(6, 3, sent_at=T - DAY),  # never accepted; supplier 3 not active: still sent
        invite(7, 1, sent_at=T + HOUR, accepted_at=T + 2 * HOUR),  # sent after T: nothing
        invite(8, 1, sent_at=T - 40 * DAY, accepted_at=T - DAY),  # sent before W: nothing
    ]
    sessions = [
        session(1, T - DAY, supplier_id=1),
        session(2, T - 29 * DAY, supplier_id=2),
        session(3, T - 31 * DAY, supplier_id=3),  # outside W: not active
        session(4, T - DAY, couple_id=7),  # couples are not suppliers
        session(5, T - DAY, supplier_id=9, couple_id=9),  # both ids: not activity
    ]
    ev = run(db_url, T, invitations=invitations, user_sessions=sessions, **PEOPLE)
    # sent in (T-30d, T]: 1, 3, 4, 5, 6 = 5; accepted (sent_at <= accepted_at <= T): 1, 3 = 2
    # active suppliers in W: {1, 2} = 2
    assert viral(ev) == Viral(5, 2, approx(5 / 2), approx(2 / 5), approx(2 / 2))  # 2.5 x 0.4 = 1.0
    assert ev.value("execmetrics_data_quality_issues", check="invitation_accepted_before_sent") == 1


def test_nothing_sent_but_suppliers_active(db_url: str) -> None:
    ev = run(db_url, T, user_sessions=[session(1, T - HOUR, supplier_id=1)], **PEOPLE)
    # K = 0 (nothing sent), invites per supplier 0 / 1 = 0, conversion 0 / 0: absent
    assert viral(ev) == Viral(0, 0, 0, None, 0)


def test_invitations_but_no_active_supplier(db_url: str) -> None:
    invitations = [invite(1, 1, sent_at=T - DAY, accepted_at=T - HOUR), invite(2, 1, T - DAY)]
    sessions = [session(1, T - DAY, couple_id=1)]
    ev = run(db_url, T, invitations=invitations, user_sessions=sessions, **PEOPLE)
    # no active supplier: invites per supplier and K absent; conversion 1 / 2
    assert viral(ev) == Viral(2, 1, None, approx(0.5), None)


def test_nothing_at_all(db_url: str) -> None:
    ev = run(db_url, T)
    assert viral(ev) == Viral(0, 0, None, None, None)


def test_configured_window_label_and_length(db_url: str) -> None:
    # viral.window "2w": label "2w", W = 14 x 24 h.
    invitations = [
        invite(1, 1, sent_at=T - 14 * DAY),  # exactly T - 14 d: out
        invite(2, 1, sent_at=T - 14 * DAY + SECOND, accepted_at=T),  # in, accepted
        invite(3, 2, sent_at=T - 20 * DAY, accepted_at=T - DAY),  # out of 2w
    ]
    sessions = [
        session(1, T - 13 * DAY, supplier_id=1),  # active in W
        session(2, T - 14 * DAY, supplier_id=2),  # exactly the edge: not active
        session(3, T - 20 * DAY, supplier_id=3),  # active in 30d only
    ]
    ev = run(
        db_url,
        T,
        config(viral_window="2w"),
        invitations=invitations,
        user_sessions=sessions,
        **PEOPLE,
    )
    assert viral(ev, "2w") == Viral(1, 1, approx(1.0), approx(1.0), approx(1.0))
    assert ev.series("execmetrics_invitations_sent") == {(("window", "2w"),): 1}


def test_k_below_one(db_url: str) -> None:
    # 4 active suppliers, 6 invitations, 1 accepted: ips 1.5, conversion 1/6, K 0.25.
    invitations = [invite(i, 1 + i % 2, sent_at=T - i * HOUR) for i in range(1, 7)]
    invitations[0] = invite(1, 1, sent_at=T - HOUR, accepted_at=T - HOUR)  # accepted at once
    sessions = [session(i, T - i * DAY, supplier_id=i) for i in range(1, 5)]
    ev = run(db_url, T, invitations=invitations, user_sessions=sessions, **PEOPLE)
    assert viral(ev) == Viral(6, 1, approx(6 / 4), approx(1 / 6), approx(1 / 4))
