-- Grafana panel query (revenue board), run as grafana_reader by the PostgreSQL datasource.
-- The functions are found through grafana_reader's search_path (the exporter schema); $__ macros are Grafana's.
SELECT category AS "Category",
       mrr_gained AS "Gained",
       mrr_lost AS "Lost",
       mrr_change AS "Net change"
FROM grafana_mrr_changes_by_category($__timeFrom(), $__timeTo())
ORDER BY "Net change", category
