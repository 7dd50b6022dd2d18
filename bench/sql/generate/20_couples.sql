INSERT INTO couples (id, created_at, deleted_at, wedding_date, country)
SELECT g,
       t.created_at,
       CASE WHEN random() < 0.04
            THEN t.created_at + (%(end)s::timestamptz - t.created_at) * random() END,
       CASE WHEN random() < 0.85
            THEN (t.created_at + make_interval(days => 90 + floor(random() * 540)::int))::date END,
       (ARRAY['GB', 'GB', 'IE', 'FR', 'US', NULL])[1 + floor(random() * 6)::int]
FROM generate_series(1, %(couples)s) AS g
CROSS JOIN LATERAL (
    SELECT %(end)s::timestamptz - make_interval(days => %(days)s)
           + make_interval(secs => %(days)s * 86400.0 * (g - random()) / %(couples)s) AS created_at
) AS t
