-- Per user type and window: distinct users with a session created in (T - window, T], at
-- every instant of a pass, from one read of the valid sessions in the instants'
-- (T - 30 days, T] (the disjoint spans read_30d_*). A user is (user_id, is_couple): the one
-- of supplier_id and couple_id that is set (valid sessions have exactly one), and which;
-- the id leads the sort keys (sorting on a leading supplier_id, NULL for every couple,
-- took twice as long).
--
-- How (as sql/groups/growth/users.sql, docs/spec.md "Many instants"): the instants are
-- numbered in time order (sweep_edges: width_bucket(x, sweep_edges) is the number of
-- instants before x); a session at s counts its user at the instants numbered
-- (instants before s) + 1 to (instants before s + window); per user and window these
-- runs, taken in order, become disjoint pieces, and an instant's count is the number of
-- pieces holding its number. Windows are in hours: absolute in every time zone.
WITH instants AS (
    SELECT i.n, i.k FROM unnest(%(n)s::integer[], %(k)s::integer[]) AS i (n, k)
),
-- Per user and first instant number, the latest session.
runs AS (
    SELECT coalesce(s.supplier_id, s.couple_id) AS user_id,
           s.supplier_id IS NULL AS is_couple,
           width_bucket(s.created_at, %(sweep_edges)s::timestamptz[]) + 1 AS j,
           max(s.created_at) AS last
    FROM unnest(%(read_30d_from)s::timestamptz[], %(read_30d_to)s::timestamptz[]) AS rd (lo, hi)
    JOIN valid_sessions AS s ON s.created_at > rd.lo AND s.created_at <= rd.hi
    GROUP BY 1, 2, 3
),
ends AS (
    SELECT r.user_id, r.is_couple, r.j,
           width_bucket(r.last + interval '24 hours', %(sweep_edges)s::timestamptz[]) AS m1,
           width_bucket(r.last + interval '168 hours', %(sweep_edges)s::timestamptz[]) AS m7,
           width_bucket(r.last + interval '720 hours', %(sweep_edges)s::timestamptz[]) AS m30
    FROM runs AS r
),
-- Equal pieces counted once (most users have one run), then one row per window.
lagged AS (
    SELECT e.is_couple,
           e.j,
           e.m1,
           e.m7,
           e.m30,
           coalesce(lag(e.m1) OVER w, 0) AS prev1,
           coalesce(lag(e.m7) OVER w, 0) AS prev7,
           coalesce(lag(e.m30) OVER w, 0) AS prev30
    FROM ends AS e
    WINDOW w AS (PARTITION BY e.user_id, e.is_couple ORDER BY e.j)
),
weighted AS (
    SELECT CASE WHEN g.is_couple THEN 'couple' ELSE 'supplier' END AS user_type,
           p.window_name, p.p_from, p.p_to, sum(g.w) AS w
    FROM (
        SELECT l.is_couple, l.j, l.m1, l.m7, l.m30, l.prev1, l.prev7, l.prev30, count(*) AS w
        FROM lagged AS l
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    ) AS g
    CROSS JOIN LATERAL (VALUES
        ('1d', greatest(g.j, g.prev1 + 1), g.m1),
        ('7d', greatest(g.j, g.prev7 + 1), g.m7),
        ('30d', greatest(g.j, g.prev30 + 1), g.m30)
    ) AS p (window_name, p_from, p_to)
    WHERE p.p_from <= p.p_to
    GROUP BY 1, 2, 3, 4
),
binned AS (
    SELECT wt.user_type, wt.window_name, e.at, sum(e.delta) AS delta
    FROM weighted AS wt
    CROSS JOIN LATERAL (VALUES (wt.p_from, wt.w), (wt.p_to + 1, -wt.w)) AS e (at, delta)
    GROUP BY 1, 2, 3
),
counts AS (
    SELECT i.n, b.user_type, b.window_name, sum(b.delta) AS active
    FROM instants AS i
    JOIN binned AS b ON b.at <= i.k
    GROUP BY 1, 2, 3
)
SELECT i.n,
       types.user_type,
       coalesce(max(c.active) FILTER (WHERE c.window_name = '1d'), 0)::double precision
           AS active_1d,
       coalesce(max(c.active) FILTER (WHERE c.window_name = '7d'), 0)::double precision
           AS active_7d,
       coalesce(max(c.active) FILTER (WHERE c.window_name = '30d'), 0)::double precision
           AS active_30d
FROM instants AS i
CROSS JOIN (VALUES ('supplier'), ('couple')) AS types (user_type)
LEFT JOIN counts AS c ON c.n = i.n AND c.user_type = types.user_type
GROUP BY i.n, types.user_type
ORDER BY i.n, types.user_type;
