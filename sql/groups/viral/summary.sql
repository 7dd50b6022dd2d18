-- The viral loop over the window W = (viral_start, T] (SPEC §3).
-- sent: invitations sent in W; accepted: those of them accepted at or before T, and
-- not before they were sent; active suppliers: distinct suppliers with a session in W.
--
-- At every instant of a pass (docs/spec.md, "Many instants"): sent counts the
-- invitations whose time number (width_bucket(sent_at, sweep_edges) + 1) lies after the
-- instant's k_viral up to its k; an accepted one counts at the numbers from its
-- acceptance's up to (times before sent_at + W); a supplier is active at the numbers
-- (times before s) + 1 to (times before s + W) of its sessions s, its runs of numbers
-- made disjoint in order (lag) and counted once.
WITH instants AS (
    SELECT i.n, i.k, i.k_viral
    FROM unnest(%(n)s::integer[], %(k)s::integer[], %(k_viral)s::integer[]) AS i (n, k, k_viral)
),
invites AS (
    SELECT width_bucket(iv.sent_at, %(sweep_edges)s::timestamptz[]) + 1 AS sent,
           CASE
               WHEN iv.accepted_at >= iv.sent_at
                   THEN width_bucket(iv.accepted_at, %(sweep_edges)s::timestamptz[]) + 1
           END AS accepted_from,
           width_bucket(
               iv.sent_at + make_interval(secs => %(viral_seconds)s), %(sweep_edges)s::timestamptz[]
           ) AS accepted_to
    FROM unnest(%(read_viral_from)s::timestamptz[], %(read_viral_to)s::timestamptz[]) AS rd (lo, hi)
    JOIN invitations AS iv ON iv.sent_at > rd.lo AND iv.sent_at <= rd.hi
),
weighted AS (
    SELECT iv.sent, iv.accepted_from, iv.accepted_to, count(*) AS w
    FROM invites AS iv
    GROUP BY 1, 2, 3
),
invited AS (
    SELECT i.n,
           coalesce(sum(w.w) FILTER (WHERE w.sent > i.k_viral AND w.sent <= i.k), 0) AS sent,
           coalesce(sum(w.w) FILTER (WHERE w.accepted_from <= i.k AND w.accepted_to >= i.k), 0)
               AS accepted
    FROM instants AS i
    LEFT JOIN weighted AS w ON true
    GROUP BY i.n
),
runs AS (
    SELECT s.user_id,
           width_bucket(s.created_at, %(sweep_edges)s::timestamptz[]) + 1 AS j,
           max(s.created_at) AS last
    FROM unnest(%(read_viral_from)s::timestamptz[], %(read_viral_to)s::timestamptz[]) AS rd (lo, hi)
    JOIN valid_sessions AS s ON s.created_at > rd.lo AND s.created_at <= rd.hi
    WHERE s.user_type = 'supplier'
    GROUP BY 1, 2
),
pieces AS (
    SELECT greatest(x.j, coalesce(lag(x.m) OVER w, 0) + 1) AS p_from, x.m AS p_to
    FROM (
        SELECT r.user_id, r.j,
               width_bucket(
                   r.last + make_interval(secs => %(viral_seconds)s), %(sweep_edges)s::timestamptz[]
               ) AS m
        FROM runs AS r
    ) AS x
    WINDOW w AS (PARTITION BY x.user_id ORDER BY x.j)
),
active AS (
    SELECT i.n, coalesce(sum(p.w) FILTER (WHERE p.p_from <= i.k AND p.p_to >= i.k), 0) AS suppliers
    FROM instants AS i
    LEFT JOIN (
        SELECT pc.p_from, pc.p_to, count(*) AS w
        FROM pieces AS pc
        WHERE pc.p_from <= pc.p_to
        GROUP BY 1, 2
    ) AS p ON true
    GROUP BY i.n
)
SELECT iv.n,
       iv.sent::double precision AS sent,
       iv.accepted::double precision AS accepted,
       (iv.sent::numeric / nullif(a.suppliers, 0))::double precision AS invites_per_supplier,
       (iv.accepted::numeric / nullif(iv.sent, 0))::double precision AS conversion,
       -- K = invites per supplier x conversion = accepted / active suppliers: 0 when
       -- nothing was sent, absent only when no supplier was active.
       (iv.accepted::numeric / nullif(a.suppliers, 0))::double precision AS viral_coefficient
FROM invited AS iv
JOIN active AS a ON a.n = iv.n
ORDER BY iv.n;
