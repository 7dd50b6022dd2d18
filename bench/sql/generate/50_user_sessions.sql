-- Sessions: evenly spread over the history in id order; a third are suppliers', the
-- rest couples'; users drawn with a skew (a few heavy users); one in a hundred still open.
INSERT INTO user_sessions (id, supplier_id, couple_id, created_at, session_duration)
SELECT g,
       CASE WHEN u.who < 0.33 THEN 1 + floor(power(random(), 1.5) * %(suppliers)s)::bigint END,
       CASE WHEN u.who >= 0.33 THEN 1 + floor(power(random(), 1.5) * %(couples)s)::bigint END,
       %(end)s::timestamptz - make_interval(days => %(days)s)
           + make_interval(secs => %(days)s * 86400.0 * (g - random()) / %(sessions)s),
       CASE WHEN random() >= 0.01 THEN 1 + floor(-ln(1 - random()) * 480)::int END
FROM generate_series(1, %(sessions)s) AS g
CROSS JOIN LATERAL (SELECT random() AS who, g AS n) AS u
