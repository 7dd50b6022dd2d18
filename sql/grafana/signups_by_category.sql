-- Grafana panel query (users board), run as grafana_reader by the PostgreSQL datasource.
-- The views are found through grafana_reader's search_path (the exporter schema); $__ macros are Grafana's.
SELECT coalesce(category, '(couples)') AS "Category",
       count(*) AS "Sign-ups",
       count(*) FILTER (WHERE deleted_at IS NULL) AS "Still active accounts"
FROM grafana_recent_signups
WHERE $__timeFilter(created_at)
GROUP BY 1
ORDER BY 2 DESC, 1
