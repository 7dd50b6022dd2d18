-- Grafana panel query (revenue board), run as grafana_reader by the PostgreSQL datasource.
-- The views are found through grafana_reader's search_path (the exporter schema); $__ macros are Grafana's.
SELECT category AS "Category",
       coalesce(sum(mrr_change) FILTER (WHERE mrr_change > 0), 0) AS "Gained",
       coalesce(sum(mrr_change) FILTER (WHERE mrr_change < 0), 0) AS "Lost",
       sum(mrr_change) AS "Net change"
FROM grafana_supplier_mrr_changes($__timeFrom(), $__timeTo())
GROUP BY category
ORDER BY "Net change", category
