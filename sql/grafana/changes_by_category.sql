-- Grafana panel query (revenue board), run as grafana_reader by the PostgreSQL datasource.
-- {schema} is replaced by the exporter's schema when the boards are built; $__ macros are Grafana's.
SELECT category AS "Category",
       coalesce(sum(mrr_change) FILTER (WHERE mrr_change > 0), 0) AS "Gained",
       coalesce(sum(mrr_change) FILTER (WHERE mrr_change < 0), 0) AS "Lost",
       sum(mrr_change) AS "Net change"
FROM {schema}.grafana_supplier_mrr_changes($__timeFrom(), $__timeTo())
GROUP BY category
ORDER BY "Net change", category
