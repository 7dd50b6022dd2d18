-- Viral cycle time (SPEC §6): over invitations accepted in (T - W, T] and not before
-- they were sent, the quantiles of accepted_at - sent_at in seconds, by linear
-- interpolation between closest ranks (percentile_cont). Absent when none qualifies.
--
-- At every instant of a pass (docs/spec.md, "Many instants"): an invitation accepted at
-- a is in the window of the instants whose time number runs from (times before a) + 1
-- to (times before a + W); with the instants ranked by their number, those are a run of
-- ranks, and each (instant, invitation) pair is read once.
WITH instants AS (
    SELECT i.n, i.k, row_number() OVER (ORDER BY i.k, i.n) AS r
    FROM unnest(%(n)s::integer[], %(k)s::integer[]) AS i (n, k)
),
ranks AS (
    SELECT array_agg(i.k ORDER BY i.k) AS ks FROM instants AS i
),
accepted AS (
    SELECT extract(epoch FROM iv.accepted_at - iv.sent_at)::double precision AS seconds,
           width_bucket(iv.accepted_at, %(sweep_edges)s::timestamptz[]) + 1 AS k_from,
           width_bucket(
               iv.accepted_at + make_interval(secs => %(viral_seconds)s),
               %(sweep_edges)s::timestamptz[]
           ) AS k_to
    FROM unnest(%(read_viral_from)s::timestamptz[], %(read_viral_to)s::timestamptz[]) AS rd (lo, hi)
    JOIN invitations AS iv ON iv.accepted_at > rd.lo AND iv.accepted_at <= rd.hi
    WHERE iv.accepted_at >= iv.sent_at
),
lags AS (
    SELECT i.n, a.seconds
    FROM accepted AS a
    CROSS JOIN ranks
    CROSS JOIN LATERAL generate_series(
        width_bucket(a.k_from - 1, ranks.ks) + 1, width_bucket(a.k_to, ranks.ks)
    ) AS g (r)
    JOIN instants AS i ON i.r = g.r
),
quantiles AS (
    SELECT l.n,
           percentile_cont(%(cycle_quantiles)s::double precision[])
               WITHIN GROUP (ORDER BY l.seconds) AS seconds
    FROM lags AS l
    GROUP BY l.n
)
SELECT q.n, x.label AS quantile, x.seconds
FROM quantiles AS q
CROSS JOIN LATERAL unnest(%(cycle_quantile_labels)s::text[], q.seconds) WITH ORDINALITY
    AS x (label, seconds, position)
ORDER BY q.n, x.position;
