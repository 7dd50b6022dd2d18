INSERT INTO suppliers (id, created_at, deleted_at, category, country)
SELECT g,
       t.created_at,
       CASE WHEN random() < 0.06
            THEN t.created_at + (%(end)s::timestamptz - t.created_at) * random() END,
       (ARRAY['venue', 'photographer', 'florist', 'caterer', 'band', 'dj', 'planner',
              'dress', 'cake', 'stationery', 'hair', 'transport'])[1 + floor(random() * 12)::int],
       (ARRAY['GB', 'GB', 'GB', 'IE', 'FR', 'ES', 'US', NULL])[1 + floor(random() * 8)::int]
FROM generate_series(1, %(suppliers)s) AS g
CROSS JOIN LATERAL (
    SELECT %(end)s::timestamptz - make_interval(days => %(days)s)
           + make_interval(secs => %(days)s * 86400.0 * (g - random()) / %(suppliers)s) AS created_at
) AS t
