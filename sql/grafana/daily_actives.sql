-- Grafana panel query (users board), run as grafana_reader by the PostgreSQL datasource.
-- The views are found through grafana_reader's search_path (the exporter schema); $__ macros are Grafana's.
SELECT day::timestamp AS "time",
       active_suppliers AS "active suppliers",
       active_couples AS "active couples"
FROM daily_metrics
WHERE day BETWEEN $__timeFrom()::date AND $__timeTo()::date
ORDER BY 1
