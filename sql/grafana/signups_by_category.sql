-- Grafana panel query (users board), run as grafana_reader by the PostgreSQL datasource.
-- The functions are found through grafana_reader's search_path (the exporter schema); $__ macros are Grafana's.
SELECT coalesce(category, '(couples)') AS "Category",
       signups AS "Sign-ups",
       registered AS "Still active accounts"
FROM grafana_signups_by_category($__timeFrom(), $__timeTo())
ORDER BY 2 DESC, 1
