-- MRR(T) by supplier country: the top_n countries by MRR keep their code, the rest
-- are summed as 'other'; a missing country is 'unknown'.
WITH live AS (
    SELECT coalesce(su.country, 'unknown') AS country, p.mrr
    FROM subscription_periods AS p
    LEFT JOIN suppliers AS su ON su.id = p.supplier_id
    WHERE p.live_from <= %(t)s AND (p.live_until IS NULL OR %(t)s < p.live_until)
),
per_country AS (
    SELECT country, sum(mrr) AS mrr,
           row_number() OVER (ORDER BY sum(mrr) DESC, country) AS rank
    FROM live
    GROUP BY country
)
SELECT CASE WHEN rank <= %(top_n)s THEN country ELSE 'other' END AS country,
       sum(mrr)::double precision AS mrr
FROM per_country
GROUP BY 1
ORDER BY 1;
