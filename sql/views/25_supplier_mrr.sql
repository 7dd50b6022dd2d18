-- Each supplier's MRR m_x(t) (SPEC §3) and what it adds up to, read from
-- subscription_periods (and suppliers_heard_from for the MRR at risk): the one home of
-- "MRR at T, at M1, paid before M1" for the revenue and growth groups, the board
-- report's movers and the Grafana records.
-- Plain STABLE SQL functions (no SECURITY DEFINER, no SET): the planner inlines them
-- into the query that calls them, so a caller's unused columns cost nothing.

-- Per instant n of a pass (ns, ts, m1s: each instant's index, T and M1) and per
-- supplier x with a revenue row: m_x(t), m_x(m1), whether x paid at some instant before
-- m1, and the plans live at t and at m1 (comma-separated; a blank plan is 'unknown').
-- The periods are read once for all the instants.
CREATE FUNCTION supplier_mrr_at(ns integer[], ts timestamptz[], m1s timestamptz[])
RETURNS TABLE (
    n              integer,
    supplier_id    bigint,
    mrr_at_t       numeric,
    mrr_at_m1      numeric,
    paid_before_m1 boolean,
    plans_at_t     text,
    plans_at_m1    text
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
WITH periods AS MATERIALIZED (
    SELECT p.supplier_id, p.plan, p.mrr, p.live_from, p.live_until FROM subscription_periods AS p
)
SELECT i.n,
       p.supplier_id,
       coalesce(sum(p.mrr) FILTER (WHERE live_at(p.live_from, p.live_until, i.t)), 0),
       coalesce(sum(p.mrr) FILTER (WHERE live_at(p.live_from, p.live_until, i.m1)), 0),
       coalesce(bool_or(pays_on_a_span(p.mrr, p.live_from, p.live_until) AND p.live_from < i.m1), false),
       string_agg(DISTINCT label_value(p.plan), ', ' ORDER BY label_value(p.plan))
           FILTER (WHERE live_at(p.live_from, p.live_until, i.t)),
       string_agg(DISTINCT label_value(p.plan), ', ' ORDER BY label_value(p.plan))
           FILTER (WHERE live_at(p.live_from, p.live_until, i.m1))
FROM unnest(ns, ts, m1s) AS i (n, t, m1)
CROSS JOIN periods AS p
GROUP BY i.n, p.supplier_id
$$;

-- supplier_mrr_at at one instant.
CREATE FUNCTION supplier_mrr(t timestamptz, m1 timestamptz)
RETURNS TABLE (
    supplier_id    bigint,
    mrr_at_t       numeric,
    mrr_at_m1      numeric,
    paid_before_m1 boolean,
    plans_at_t     text,
    plans_at_m1    text
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT m.supplier_id, m.mrr_at_t, m.mrr_at_m1, m.paid_before_m1, m.plans_at_t, m.plans_at_m1
FROM supplier_mrr_at(ARRAY[0], ARRAY[t], ARRAY[m1]) AS m
$$;

-- The suppliers paying at t (m_x(t) > 0), with their MRR and plans at t: supplier_mrr
-- at one instant, reading only the periods live at t (a third of them, or less).
CREATE FUNCTION paying_suppliers(t timestamptz)
RETURNS TABLE (supplier_id bigint, mrr numeric, plans text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT p.supplier_id,
       sum(p.mrr),
       string_agg(DISTINCT label_value(p.plan), ', ' ORDER BY label_value(p.plan))
FROM subscription_periods AS p
WHERE live_at(p.live_from, p.live_until, t)
GROUP BY p.supplier_id
HAVING sum(p.mrr) > 0
$$;

-- MRR at t and at m1 and the movements between them (SPEC §3), one row per instant n
-- of a pass: each movement's amount is the sum of |e - s| over its suppliers;
-- retained_mrr = Σ e over the suppliers paying at m1. It reads the subscriptions only
-- (and fx rates), so the revenue group depends on no other table. An instant without
-- any revenue row has its row of zeros.
CREATE FUNCTION revenue_totals_at(ns integer[], ts timestamptz[], m1s timestamptz[])
RETURNS TABLE (
    n                 integer,
    mrr               numeric,
    mrr_m1            numeric,
    new               numeric,
    reactivation      numeric,
    expansion         numeric,
    contraction       numeric,
    churn             numeric,
    paying            bigint,
    paying_m1         bigint,
    churned_suppliers bigint,
    retained_mrr      numeric
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
WITH moves AS (
    SELECT m.n,
           m.mrr_at_t AS e,
           m.mrr_at_m1 AS s,
           mrr_movement(m.mrr_at_m1, m.mrr_at_t, m.paid_before_m1) AS movement
    FROM supplier_mrr_at(ns, ts, m1s) AS m
)
SELECT i.n,
       coalesce(sum(e), 0),
       coalesce(sum(s), 0),
       coalesce(sum(abs(e - s)) FILTER (WHERE movement = 'new'), 0),
       coalesce(sum(abs(e - s)) FILTER (WHERE movement = 'reactivation'), 0),
       coalesce(sum(abs(e - s)) FILTER (WHERE movement = 'expansion'), 0),
       coalesce(sum(abs(e - s)) FILTER (WHERE movement = 'contraction'), 0),
       coalesce(sum(abs(e - s)) FILTER (WHERE movement = 'churn'), 0),
       count(moves.n) FILTER (WHERE e > 0),
       count(moves.n) FILTER (WHERE s > 0),
       count(moves.n) FILTER (WHERE movement = 'churn'),
       coalesce(sum(e) FILTER (WHERE s > 0), 0)
FROM unnest(ns) AS i (n)
LEFT JOIN moves ON moves.n = i.n
GROUP BY i.n
$$;

-- revenue_totals_at at one instant.
CREATE FUNCTION revenue_totals(t timestamptz, m1 timestamptz)
RETURNS TABLE (
    mrr               numeric,
    mrr_m1            numeric,
    new               numeric,
    reactivation      numeric,
    expansion         numeric,
    contraction       numeric,
    churn             numeric,
    paying            bigint,
    paying_m1         bigint,
    churned_suppliers bigint,
    retained_mrr      numeric
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT r.mrr, r.mrr_m1, r.new, r.reactivation, r.expansion, r.contraction, r.churn,
       r.paying, r.paying_m1, r.churned_suppliers, r.retained_mrr
FROM revenue_totals_at(ARRAY[0], ARRAY[t], ARRAY[m1]) AS r
$$;

-- MRR at risk (SPEC §6): Σ m_x(t) over the suppliers paying at t with no valid session
-- and no invitation sent in (quiet_since, t]. One row, read in FROM: a set-returning
-- SQL function is inlined and planned with the caller's t; a scalar one would be planned
-- once with t unknown (a nested-loop anti join over every pair, 1 s at medium).
CREATE FUNCTION mrr_at_risk(t timestamptz, quiet_since timestamptz)
RETURNS TABLE (mrr numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT coalesce(sum(p.mrr), 0)
FROM paying_suppliers(t) AS p
WHERE NOT EXISTS (
    SELECT FROM suppliers_heard_from(quiet_since, t) AS h WHERE h.supplier_id = p.supplier_id
)
$$;

-- Per instant n of a pass (ns, ts) and per supplier that ever paid: its first paying
-- instant f_x (the earliest live_from of its revenue rows that pay on a span, SPEC §6),
-- m_x(f_x) and m_x(t). The supplier cohorts group them by the local month of f_x. The
-- periods are read once for all the instants.
CREATE FUNCTION supplier_first_paid_at(ns integer[], ts timestamptz[])
RETURNS TABLE (
    n integer, supplier_id bigint, first_paid_at timestamptz, mrr_first numeric, mrr_now numeric
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
WITH periods AS MATERIALIZED (
    SELECT p.supplier_id, p.mrr, p.live_from, p.live_until FROM subscription_periods AS p
),
first_paid AS (
    SELECT p.supplier_id, min(p.live_from) AS f
    FROM periods AS p
    WHERE pays_on_a_span(p.mrr, p.live_from, p.live_until)
    GROUP BY p.supplier_id
),
firsts AS (
    SELECT fp.supplier_id,
           fp.f,
           coalesce(sum(p.mrr) FILTER (WHERE live_at(p.live_from, p.live_until, fp.f)), 0)
               AS mrr_first
    FROM first_paid AS fp
    JOIN periods AS p ON p.supplier_id = fp.supplier_id
    GROUP BY fp.supplier_id, fp.f
)
SELECT i.n,
       f.supplier_id,
       f.f,
       f.mrr_first,
       coalesce(sum(p.mrr) FILTER (WHERE live_at(p.live_from, p.live_until, i.t)), 0)
FROM unnest(ns, ts) AS i (n, t)
CROSS JOIN firsts AS f
JOIN periods AS p ON p.supplier_id = f.supplier_id
GROUP BY i.n, f.supplier_id, f.f, f.mrr_first
$$;

-- supplier_first_paid_at at one instant.
CREATE FUNCTION supplier_first_paid(t timestamptz)
RETURNS TABLE (supplier_id bigint, first_paid_at timestamptz, mrr_first numeric, mrr_now numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT f.supplier_id, f.first_paid_at, f.mrr_first, f.mrr_now
FROM supplier_first_paid_at(ARRAY[0], ARRAY[t]) AS f
$$;
