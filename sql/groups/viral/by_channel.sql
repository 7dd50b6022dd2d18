-- Invitations sent in W and accepted by T, by channel: the top_n channels by sent keep
-- their name, the rest are summed as 'other'; a missing or blank channel is 'unknown'
-- (label_buckets, label_value). At every instant of a pass, as viral/summary.sql counts
-- sent and accepted.
WITH instants AS (
    SELECT i.n, i.k, i.k_viral
    FROM unnest(%(n)s::integer[], %(k)s::integer[], %(k_viral)s::integer[]) AS i (n, k, k_viral)
),
weighted AS (
    SELECT x.channel, x.sent, x.accepted_from, x.accepted_to, count(*) AS w
    FROM (
        SELECT label_value(iv.channel) AS channel,
               width_bucket(iv.sent_at, %(sweep_edges)s::timestamptz[]) + 1 AS sent,
               CASE
                   WHEN iv.accepted_at >= iv.sent_at
                       THEN width_bucket(iv.accepted_at, %(sweep_edges)s::timestamptz[]) + 1
               END AS accepted_from,
               width_bucket(
                   iv.sent_at + make_interval(secs => %(viral_seconds)s),
                   %(sweep_edges)s::timestamptz[]
               ) AS accepted_to
        FROM unnest(%(read_viral_from)s::timestamptz[], %(read_viral_to)s::timestamptz[])
            AS rd (lo, hi)
        JOIN invitations AS iv ON iv.sent_at > rd.lo AND iv.sent_at <= rd.hi
    ) AS x
    GROUP BY 1, 2, 3, 4
),
per_channel AS (
    SELECT i.n,
           w.channel,
           sum(w.w) AS sent,
           coalesce(sum(w.w) FILTER (WHERE w.accepted_from <= i.k AND w.accepted_to >= i.k), 0)
               AS accepted
    FROM instants AS i
    JOIN weighted AS w ON w.sent > i.k_viral AND w.sent <= i.k
    GROUP BY 1, 2
),
buckets AS (
    SELECT a.n, b.*
    FROM (SELECT n, jsonb_object_agg(channel, sent) AS w FROM per_channel GROUP BY 1) AS a
    CROSS JOIN LATERAL label_buckets(a.w, %(top_n)s) AS b
)
SELECT c.n,
       b.bucket AS channel,
       sum(c.sent)::double precision AS sent,
       sum(c.accepted)::double precision AS accepted
FROM per_channel AS c
JOIN buckets AS b ON b.n = c.n AND b.label = c.channel
GROUP BY 1, 2
ORDER BY 1, 2;
