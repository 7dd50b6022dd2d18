-- Revenue-side growth figures at T (SPEC §6), one row per instant of a pass. The MRR at
-- T and at M1 and its movements are revenue_totals_at, as revenue/summary.sql reads them,
-- so LTV and the residuals speak of the same MRR; the MRR at risk has the quiet period (T - quiet, T].
--
-- Over many instants (docs/spec.md, "Many instants"): the periods are read once; the
-- MRR at risk counts the suppliers paying at T (supplier_mrr_at) whose heard-from set
-- does not hold T's number: a session or an invitation at x makes its supplier heard
-- from at the instants T with T - quiet < x <= T, the numbers (times before x) + 1 to
-- (times before x + quiet).
WITH instants AS (
    SELECT i.n, i.t, i.m1, i.k
    FROM unnest(%(n)s::integer[], %(t)s::timestamptz[], %(m1)s::timestamptz[], %(k)s::integer[])
        AS i (n, t, m1, k)
),
totals AS (
    SELECT * FROM revenue_totals_at(%(n)s::integer[], %(t)s::timestamptz[], %(m1)s::timestamptz[])
),
periods AS MATERIALIZED (
    SELECT p.plan, p.mrr, p.live_from, p.live_until, p.started_at, p.ended_at, p.trial_ends_at
    FROM subscription_periods AS p
),
-- Σ over plans of each plan's MRR(T): what the mrr_by_plan series add up to.
by_plan AS (
    SELECT i.n, coalesce(sum(plans.plan_mrr), 0) AS mrr
    FROM instants AS i
    LEFT JOIN (
        SELECT i2.n, p.plan, sum(p.mrr) AS plan_mrr
        FROM instants AS i2
        JOIN periods AS p ON live_at(p.live_from, p.live_until, i2.t)
        GROUP BY i2.n, p.plan
    ) AS plans ON plans.n = i.n
    GROUP BY i.n
),
-- Revenue rows whose trial ends in (M1, T] (and after the row starts): converted when
-- the row goes on past the trial's end.
trials AS (
    SELECT i.n,
           count(p.mrr) AS ended,
           count(p.mrr) FILTER (WHERE p.ended_at IS NULL OR p.ended_at > p.trial_ends_at)
               AS converted
    FROM instants AS i
    LEFT JOIN periods AS p
        ON p.mrr > 0
       AND p.trial_ends_at > i.m1 AND p.trial_ends_at <= i.t
       AND p.trial_ends_at > p.started_at
    GROUP BY i.n
),
heard AS (
    SELECT h.supplier_id,
           range_agg(int4range(
               width_bucket(h.at, %(sweep_edges)s::timestamptz[]) + 1,
               width_bucket(
                   h.at + make_interval(secs => %(at_risk_seconds)s), %(sweep_edges)s::timestamptz[]
               ) + 1
           )) AS at
    FROM (
        SELECT s.supplier_id, s.created_at AS at
        FROM unnest(%(read_quiet_from)s::timestamptz[], %(read_quiet_to)s::timestamptz[])
            AS rd (lo, hi)
        JOIN valid_sessions AS s ON s.created_at > rd.lo AND s.created_at <= rd.hi
        WHERE s.supplier_id IS NOT NULL
        UNION ALL
        SELECT i.supplier_id, i.sent_at
        FROM unnest(%(read_quiet_from)s::timestamptz[], %(read_quiet_to)s::timestamptz[])
            AS rd (lo, hi)
        JOIN invitations AS i ON i.sent_at > rd.lo AND i.sent_at <= rd.hi
        WHERE i.supplier_id IS NOT NULL
    ) AS h
    GROUP BY 1
),
risk AS (
    SELECT i.n,
           coalesce(sum(m.mrr_at_t) FILTER (WHERE h.at IS NULL OR NOT h.at @> i.k), 0) AS mrr
    FROM instants AS i
    LEFT JOIN supplier_mrr_at(%(n)s::integer[], %(t)s::timestamptz[], %(m1)s::timestamptz[]) AS m
        ON m.n = i.n AND m.mrr_at_t > 0
    LEFT JOIN heard AS h ON h.supplier_id = m.supplier_id
    GROUP BY i.n
)
SELECT totals.n,
       (
           (totals.mrr / nullif(totals.paying, 0))
           / nullif(totals.churned_suppliers::numeric / nullif(totals.paying_m1, 0), 0)
       )::double precision AS ltv,
       (trials.converted::numeric / nullif(trials.ended, 0))::double precision
           AS trial_conversion,
       risk.mrr::double precision AS mrr_at_risk,
       (totals.mrr_m1 + totals.new + totals.reactivation + totals.expansion
           - totals.contraction - totals.churn - totals.mrr)::double precision
           AS residual_movements,
       (by_plan.mrr - totals.mrr)::double precision AS residual_by_plan
FROM totals
JOIN by_plan ON by_plan.n = totals.n
JOIN trials ON trials.n = totals.n
JOIN risk ON risk.n = totals.n
ORDER BY totals.n;
