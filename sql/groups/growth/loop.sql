-- The marketplace loop over W = (viral_start, T] (SPEC §6), at every instant of a pass.
-- k_unique: distinct non-NULL couple ids over the invitations K counts as accepted
-- (sent in W, accepted at or before T and not before sent) / suppliers active in W;
-- 0 when none was accepted, absent when no supplier was active.
-- couple liquidity: among couples active in W, the share with an invitation accepted at
-- or before T (and not before it was sent) from a supplier paying at T.
-- supplier liquidity: among suppliers paying at T, the share with an invitation
-- accepted in W (and not before it was sent).
--
-- How (docs/spec.md, "Many instants"): the times of the pass are numbered 1..K in time
-- order, and width_bucket(x, sweep_edges) is the number of times before x. Each user,
-- supplier and couple gets the set of numbers of the instants at which it counts, as an
-- int4multirange: a session at s makes its user active in W at the numbers (times
-- before s) + 1 to (times before s + W); a revenue row with mrr above zero makes its
-- supplier pay while it is live, [live_from, live_until) (m_x(T) > 0 exactly when such a
-- row is live: no row's mrr is negative); an invitation counts for K from its acceptance
-- until sent_at + W, and for the supplier's liquidity from its acceptance until
-- accepted_at + W; a couple is linked, at an instant, to each supplier that accepted
-- it by then while that supplier pays. The conditions are intersections of these sets,
-- and each count at an instant is the number of sets holding its number.
WITH instants AS (
    SELECT i.n, i.k FROM unnest(%(n)s::integer[], %(k)s::integer[]) AS i (n, k)
),
runs AS (
    SELECT s.supplier_id,
           s.couple_id,
           width_bucket(s.created_at, %(sweep_edges)s::timestamptz[]) + 1 AS j,
           max(s.created_at) AS last
    FROM unnest(%(read_viral_from)s::timestamptz[], %(read_viral_to)s::timestamptz[]) AS rd (lo, hi)
    JOIN valid_sessions AS s ON s.created_at > rd.lo AND s.created_at <= rd.hi
    GROUP BY 1, 2, 3
),
active AS (
    SELECT r.supplier_id,
           r.couple_id,
           range_agg(int4range(
               r.j,
               width_bucket(
                   r.last + make_interval(secs => %(viral_seconds)s), %(sweep_edges)s::timestamptz[]
               ) + 1
           )) AS at
    FROM runs AS r
    GROUP BY 1, 2
),
pay AS (
    SELECT x.supplier_id, range_agg(int4range(x.lo, greatest(x.lo, x.hi))) AS at
    FROM (
        SELECT p.supplier_id,
               width_bucket(p.live_from, %(sweep_edges)s::timestamptz[]) + 1 AS lo,
               CASE
                   WHEN p.live_until IS NULL THEN cardinality(%(sweep_edges)s::timestamptz[])
                   ELSE width_bucket(p.live_until, %(sweep_edges)s::timestamptz[])
               END + 1 AS hi
        FROM subscription_periods AS p
        WHERE p.mrr > 0
    ) AS x
    GROUP BY 1
),
-- The invitations accepted by the last T and not before they were sent, each with the
-- number of its acceptance.
accepted AS (
    SELECT i.supplier_id,
           i.couple_id,
           i.sent_at,
           i.accepted_at,
           width_bucket(i.accepted_at, %(sweep_edges)s::timestamptz[]) + 1 AS a
    FROM invitations AS i
    WHERE i.accepted_at >= i.sent_at AND i.accepted_at <= %(last_t)s::timestamptz
),
k_couples AS (
    SELECT ac.couple_id,
           range_agg(int4range(ac.a, greatest(ac.a, width_bucket(
               ac.sent_at + make_interval(secs => %(viral_seconds)s), %(sweep_edges)s::timestamptz[]
           ) + 1))) AS at
    FROM accepted AS ac
    WHERE ac.couple_id IS NOT NULL
      AND ac.sent_at > %(first_t)s::timestamptz - make_interval(secs => %(viral_seconds)s)
    GROUP BY 1
),
linked_suppliers AS (
    SELECT ac.supplier_id,
           range_agg(int4range(ac.a, width_bucket(
               ac.accepted_at + make_interval(secs => %(viral_seconds)s),
               %(sweep_edges)s::timestamptz[]
           ) + 1)) AS at
    FROM accepted AS ac
    WHERE ac.accepted_at > %(first_t)s::timestamptz - make_interval(secs => %(viral_seconds)s)
    GROUP BY 1
),
-- Per couple, the instants at which one of its accepting suppliers pays.
linked_couples AS (
    SELECT l.couple_id, range_agg(p.at * int4multirange(int4range(l.a, NULL))) AS at
    FROM (
        SELECT ac.couple_id, ac.supplier_id, min(ac.a) AS a
        FROM accepted AS ac
        WHERE ac.couple_id IS NOT NULL
        GROUP BY 1, 2
    ) AS l
    JOIN pay AS p ON p.supplier_id = l.supplier_id
    GROUP BY 1
),
sets AS (
    SELECT 'active_suppliers'::text AS key, a.at FROM active AS a WHERE a.supplier_id IS NOT NULL
    UNION ALL
    SELECT 'active_couples', a.at FROM active AS a WHERE a.couple_id IS NOT NULL
    UNION ALL
    SELECT 'paying', p.at FROM pay AS p
    UNION ALL
    SELECT 'k_couples', k.at FROM k_couples AS k
    UNION ALL
    SELECT 'matched_couples', a.at * l.at
    FROM active AS a
    JOIN linked_couples AS l ON l.couple_id = a.couple_id
    UNION ALL
    SELECT 'matched_suppliers', p.at * l.at
    FROM pay AS p
    JOIN linked_suppliers AS l ON l.supplier_id = p.supplier_id
),
binned AS (
    SELECT e.key, e.at, sum(e.delta) AS delta
    FROM sets AS st
    CROSS JOIN LATERAL unnest(st.at) AS r (r)
    CROSS JOIN LATERAL (VALUES (st.key, lower(r.r), 1), (st.key, upper(r.r), -1)) AS e (key, at, delta)
    GROUP BY 1, 2
),
counts AS (
    SELECT i.n,
           coalesce(sum(b.delta) FILTER (WHERE b.key = 'active_suppliers'), 0) AS active_suppliers,
           coalesce(sum(b.delta) FILTER (WHERE b.key = 'active_couples'), 0) AS active_couples,
           coalesce(sum(b.delta) FILTER (WHERE b.key = 'paying'), 0) AS paying,
           coalesce(sum(b.delta) FILTER (WHERE b.key = 'k_couples'), 0) AS k_couples,
           coalesce(sum(b.delta) FILTER (WHERE b.key = 'matched_couples'), 0) AS matched_couples,
           coalesce(sum(b.delta) FILTER (WHERE b.key = 'matched_suppliers'), 0)
               AS matched_suppliers
    FROM instants AS i
    LEFT JOIN binned AS b ON b.at <= i.k
    GROUP BY i.n
)
SELECT c.n,
       (c.k_couples::numeric / nullif(c.active_suppliers, 0))::double precision AS k_unique,
       (c.matched_couples::numeric / nullif(c.active_couples, 0))::double precision
           AS couple_liquidity,
       (c.matched_suppliers::numeric / nullif(c.paying, 0))::double precision
           AS supplier_liquidity
FROM counts AS c
ORDER BY c.n;
