-- Grafana panel query (users board), run as grafana_reader by the PostgreSQL datasource.
-- {schema} is replaced by the exporter's schema when the boards are built; $__ macros are Grafana's.
SELECT coalesce(category, '(couples)') AS "Category",
       count(*) AS "Sign-ups",
       count(*) FILTER (WHERE deleted_at IS NULL) AS "Still active accounts"
FROM {schema}.grafana_recent_signups
WHERE $__timeFilter(created_at)
GROUP BY 1
ORDER BY 2 DESC, 1
