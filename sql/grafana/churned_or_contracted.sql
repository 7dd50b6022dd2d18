-- Grafana panel query (revenue board), run as grafana_reader by the PostgreSQL datasource.
-- {schema} is replaced by the exporter's schema when the boards are built; $__ macros are Grafana's.
SELECT supplier_id::text AS "Supplier id",
       category AS "Category",
       country AS "Country",
       movement AS "Movement",
       mrr_start AS "MRR at start",
       mrr_end AS "MRR at end",
       mrr_change AS "MRR change"
FROM {schema}.grafana_supplier_mrr_changes($__timeFrom(), $__timeTo())
WHERE movement IN ('churn', 'contraction')
ORDER BY mrr_change, supplier_id
LIMIT 500
