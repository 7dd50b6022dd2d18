-- MRR(T) by supplier category: the top_n categories by MRR keep their name, the rest
-- are summed as 'other'.
WITH live AS (
    SELECT coalesce(su.category, 'unknown') AS category, p.mrr
    FROM subscription_periods AS p
    LEFT JOIN suppliers AS su ON su.id = p.supplier_id
    WHERE p.live_from <= %(t)s AND (p.live_until IS NULL OR %(t)s < p.live_until)
),
per_category AS (
    SELECT category, sum(mrr) AS mrr,
           row_number() OVER (ORDER BY sum(mrr) DESC, category) AS rank
    FROM live
    GROUP BY category
)
SELECT CASE WHEN rank <= %(top_n)s THEN category ELSE 'other' END AS category,
       sum(mrr)::double precision AS mrr
FROM per_category
GROUP BY 1
ORDER BY 1;
