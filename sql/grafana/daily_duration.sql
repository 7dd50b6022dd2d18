-- Grafana panel query (engagement board), run as grafana_reader by the PostgreSQL datasource.
-- {schema} is replaced by the exporter's schema when the boards are built; $__ macros are Grafana's.
SELECT day::timestamp AS "time",
       average_session_duration_seconds AS "average session"
FROM {schema}.daily_metrics
WHERE day BETWEEN $__timeFrom()::date AND $__timeTo()::date
ORDER BY 1
